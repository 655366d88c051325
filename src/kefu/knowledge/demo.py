"""The demo operator's knowledge base: about 150 articles, 100 FAQ entries and 10 diagnosis guides.

The content is written for Kefu's demo operator (南京 and 苏州, hotline 96296) and kept as
JSON in data/demo/. Articles go through the same services as an editor's (draft, review,
publish), as the system. `load_demo_content()` creates only what is missing, so the seed can
run it again; content an editor changed is left alone.

Article bodies in the files are lists of lines: a plain line is a paragraph, "- " a bullet,
"1. " a numbered step, "## " a heading.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from kefu.knowledge import services
from kefu.knowledge.choices import Audience
from kefu.knowledge.defaults import load_categories
from kefu.knowledge.models import Article, Category, DiagnosisGuide, FaqEntry

DEMO_DIR = Path(__file__).resolve().parent / "data" / "demo"
_NUMBERED = re.compile(r"^\d+\.\s*")


@dataclass(frozen=True)
class DemoSummary:
    articles: int
    faqs: int
    guides: int

    def __str__(self) -> str:
        return f"knowledge: {self.articles} articles, {self.faqs} FAQ entries, {self.guides} guides created"


def _read(name: str) -> Any:
    return json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))


def render_body(lines: list[str]) -> str:
    """The authoring format of data/demo/ as HTML (escaped: the files are plain text)."""
    html: list[str] = []
    open_list = ""
    for line in lines:
        kind = "ul" if line.startswith("- ") else "ol" if _NUMBERED.match(line) else ""
        if open_list and kind != open_list:
            html.append(f"</{open_list}>")
            open_list = ""
        if kind and not open_list:
            html.append(f"<{kind}>")
            open_list = kind
        if kind == "ul":
            html.append(f"<li>{escape(line[2:])}</li>")
        elif kind == "ol":
            html.append(f"<li>{escape(_NUMBERED.sub('', line, count=1))}</li>")
        elif line.startswith("## "):
            html.append(f"<h4>{escape(line[3:])}</h4>")
        else:
            html.append(f"<p>{escape(line)}</p>")
    if open_list:
        html.append(f"</{open_list}>")
    return "".join(html)


def _month_start(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(day: dt.date, months: int) -> dt.date:
    start = _month_start(day, months)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def _table(rows: list[list[str]]) -> str:
    cells = "".join(f"<tr><th scope='row'>{escape(name)}</th><td>{escape(value)}</td></tr>" for name, value in rows)
    return f"<table><tbody>{cells}</tbody></table>"


def _tariff_article(record: dict[str, Any], today: dt.date) -> dict[str, Any]:
    body = (
        f"<p>{escape(record['name'])}，资费{escape(record['fee'])}。</p>"
        + _table([["资费", record["fee"]], *record["items"]])
        + render_body(["## 说明", *[f"- {note}" for note in record["notes"]]])
        + render_body(["办理渠道：掌上营业厅APP、营业厅或拨打96296。"])
    )
    article: dict[str, Any] = {
        "code": record["code"],
        "category": record["category"],
        "audience": Audience.PUBLIC,
        "title": f"{record['name']}资费说明",
        "summary": f"{record['name']}：{record['fee']}，" + "，".join(f"{k}{v}" for k, v in record["items"][:2]) + "。",
        "tags": record["tags"],
        "html": body,
    }
    validity = record.get("valid")
    if validity:
        article["valid_from"] = _month_start(today, validity["from_month"])
        article["valid_until"] = _month_end(today, validity["until_month"])
    return article


def _service_article(record: dict[str, Any]) -> dict[str, Any]:
    body = (
        f"<p>{escape(record['what'])}</p>"
        + _table([["资费", record["fee"]], ["办理方式", record["how"]]])
        + render_body(["退订可在掌上营业厅APP“已订业务”中办理，或拨打96296。"])
    )
    return {
        "code": record["code"],
        "category": record["category"],
        "audience": Audience.PUBLIC,
        "title": f"{record['name']}业务介绍",
        "summary": f"{record['what']}资费：{record['fee']}。",
        "tags": record["tags"],
        "html": body,
    }


def _outlet_article(record: dict[str, Any], today: dt.date) -> dict[str, Any]:
    rows = [["地址", record["address"]], ["营业时间", record["hours"]]]
    if record["phone"]:
        rows.append(["电话", record["phone"]])
    rows.append(["可办业务", "、".join(record["services"])])
    rows.append(["停车", "有停车位" if record["parking"] else "无专用停车位"])
    rows.append(["无障碍", "有无障碍通道" if record["accessible"] else "无无障碍通道，行动不便的客户可预约上门"])
    lines = []
    closed = record.get("closed")
    if closed:
        lines.append(f"暂停营业通知：{closed['note']}")
    body = render_body(lines) + _table(rows) + render_body(["办理业务请携带本人身份证原件。"])
    tags = ["营业厅", record["name"].removesuffix("营业厅")]
    if closed:
        tags.append("暂停营业")
    return {
        "code": record["code"],
        "category": record["category"],
        "audience": Audience.PUBLIC,
        "title": record["name"],
        "summary": f"{record['address']}，{record['hours']}。",
        "tags": tags,
        "html": body,
    }


def article_records(today: dt.date) -> list[dict[str, Any]]:
    """Every demo article as {code, category, audience, title, summary, tags, html, ...}."""
    records: list[dict[str, Any]] = []
    for path in sorted(DEMO_DIR.glob("articles_*.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            records.append({**record, "html": render_body(record["body"])})
    catalog = _read("catalog.json")
    records.extend(_tariff_article(record, today) for record in catalog["products"])
    records.extend(_service_article(record) for record in catalog["services"])
    records.extend(_outlet_article(record, today) for record in _read("outlets.json")["outlets"])
    return records


def _content(record: dict[str, Any], categories: dict[str, Category], note: str = "") -> services.ArticleContent:
    return services.ArticleContent(
        title=record["title"],
        body=record["html"],
        category=categories[record["category"]],
        audience=record["audience"],
        summary=record.get("summary", ""),
        tags=list(record.get("tags", [])),
        valid_from=record.get("valid_from"),
        valid_until=record.get("valid_until"),
        note=note,
    )


def _load_article(record: dict[str, Any], categories: dict[str, Category]) -> None:
    previous = record.get("previous")
    first = {**record, **previous, "html": render_body(previous["body"])} if previous else record
    article = services.create_article(actor=None, content=_content(first, categories, "初稿"), code=record["code"])
    state = record.get("state", "published")
    if state == "draft":
        return
    services.submit_for_review(actor=None, article=article)
    if state == "in_review":
        return
    services.publish_article(actor=None, article=article)
    if previous:
        services.save_draft(actor=None, article=article, content=_content(record, categories, record["change_note"]))
        services.submit_for_review(actor=None, article=article)
        services.publish_article(actor=None, article=article)
    if state == "archived":
        services.archive_article(actor=None, article=article, reason="已停售")


@transaction.atomic
def load_demo_content(today: dt.date | None = None) -> DemoSummary:
    """Create the demo articles, FAQ entries and guides that are missing (safe to run again)."""
    today = today or timezone.localdate()
    load_categories(Category)
    categories = {category.code: category for category in Category.objects.all()}
    existing = set(Article.objects.values_list("code", flat=True))
    created_articles = 0
    for record in article_records(today):
        if record["code"] not in existing:
            _load_article(record, categories)
            created_articles += 1

    articles = {article.code: article for article in Article.objects.all()}
    existing_faqs = set(FaqEntry.objects.values_list("code", flat=True))
    created_faqs = 0
    for entry in _read("faq.json"):
        if entry["code"] in existing_faqs:
            continue
        content = services.FaqContent(
            question=entry["q"],
            short_answer=entry["a"],
            paraphrases=entry["p"],
            article=articles.get(entry["article"]),
            category=categories.get(entry["category"]),
        )
        services.save_faq(actor=None, code=entry["code"], content=content)
        created_faqs += 1

    existing_guides = set(DiagnosisGuide.objects.values_list("code", flat=True))
    created_guides = 0
    for guide in _read("guides.json"):
        if guide["code"] in existing_guides:
            continue
        services.save_guide(
            actor=None,
            code=guide["code"],
            content=services.GuideContent(
                title=guide["title"],
                service=guide["service"],
                symptom=guide["symptom"],
                tree=guide["tree"],
                article=articles.get(guide["article"]),
            ),
        )
        created_guides += 1
    return DemoSummary(articles=created_articles, faqs=created_faqs, guides=created_guides)
