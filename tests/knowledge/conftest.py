"""The knowledge base's tests: a few articles written through the services, and the personas.

- alice: agent (reads every published article); kate: knowledge editor (writes);
  sara: supervisor (approves). Customers are anonymous callers of the public API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.utils import timezone

from kefu.accounts.models import User
from kefu.knowledge import services
from kefu.knowledge.choices import Audience
from kefu.knowledge.demo import load_demo_content
from kefu.knowledge.models import Article, Category


def category(code: str) -> Category:
    return Category.objects.get(code=code)


def write(
    title: str,
    body: str,
    *,
    code: str = "",
    category_code: str = "services-tv",
    audience: str = Audience.PUBLIC,
    tags: list[str] | None = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    actor: User | None = None,
) -> Article:
    """A draft article (version 1), as `actor` (None: the system)."""
    content = services.ArticleContent(
        title=title,
        body=f"<p>{body}</p>",
        category=category(category_code),
        audience=audience,
        tags=tags or [],
        valid_from=valid_from,
        valid_until=valid_until,
    )
    return services.create_article(actor=actor, content=content, code=code)


def publish(article: Article) -> Article:
    """Submit and approve as the system: the article is live."""
    services.submit_for_review(actor=None, article=article)
    return services.publish_article(actor=None, article=article)


def live(title: str, body: str, **options: object) -> Article:
    return publish(write(title, body, **options))  # type: ignore[arg-type]


@dataclass
class Library:
    """A small knowledge base covering each rule of visibility."""

    stb_no_signal: Article  # public, 机顶盒 in the title
    stb_black_screen: Article  # public, 机顶盒 in the body only
    broadband_slow: Article  # public, about 宽带
    internal_codes: Article  # internal: staff only
    expired_campaign: Article  # public, ended last month
    future_campaign: Article  # public, starts next month
    archived_tariff: Article  # was public, archived
    draft: Article  # never published


@pytest.fixture
def library(db: None) -> Library:
    today = timezone.localdate()
    archived = live(
        "神州行经典套餐说明", "神州行经典套餐机顶盒赠送活动已经停售。", category_code="tariffs-mobile", code="KB-T-ARCH"
    )
    services.archive_article(actor=None, article=archived, reason="停售")
    return Library(
        stb_no_signal=live(
            "机顶盒无信号怎么处理",
            "电视提示无信号时，先检查机顶盒电源和信号线，再重启机顶盒。",
            code="KB-T-STB1",
            tags=["机顶盒", "无信号"],
            category_code="faults-tv",
        ),
        stb_black_screen=live(
            "电视黑屏排查",
            "电视黑屏时请确认机顶盒指示灯是否亮，信号源是否选择HDMI。",
            code="KB-T-STB2",
            category_code="faults-tv",
        ),
        broadband_slow=live(
            "宽带网速慢怎么办",
            "宽带网速慢时先用网线测速，再重启光猫和路由器。",
            code="KB-T-BB1",
            category_code="faults-broadband",
            tags=["宽带", "网速"],
        ),
        internal_codes=live(
            "机顶盒提示代码内部说明",
            "E04表示节目未授权，座席可在系统中重发机顶盒授权。",
            code="KB-T-INT",
            audience=Audience.INTERNAL,
            category_code="faults-tv",
        ),
        expired_campaign=live(
            "机顶盒以旧换新活动",
            "活动期间旧机顶盒可以折价换新高清机顶盒。",
            code="KB-T-EXP",
            category_code="tariffs-campaigns",
            valid_from=today - dt.timedelta(days=90),
            valid_until=today - dt.timedelta(days=1),
        ),
        future_campaign=live(
            "机顶盒暑期优惠",
            "暑期订购影视包赠送机顶盒遥控器。",
            code="KB-T-FUT",
            category_code="tariffs-campaigns",
            valid_from=today + dt.timedelta(days=30),
        ),
        archived_tariff=Article.objects.get(pk=archived.pk),
        draft=write("机顶盒草稿文章", "还没有审核的机顶盒内容。", code="KB-T-DRAFT"),
    )


@pytest.fixture(scope="module")
def demo_content(django_db_setup, django_db_blocker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The demo knowledge base, loaded once for a module's read-only tests and rolled back after."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo_content()
        yield
        transaction.set_rollback(True)
