"""Usage: views, "solved my issue" marks, articles used on contacts, searches that found nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.accounts.models import User
from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.knowledge import queries, search, services
from kefu.knowledge.choices import UsageChannel
from kefu.knowledge.models import Article, FailedSearch
from tests.desk.conftest import signed_in
from tests.knowledge.conftest import Library

pytestmark = pytest.mark.django_db


def test_agent_reading_an_article_counts_a_view(library: Library, alice: User) -> None:
    article = library.stb_no_signal

    signed_in(alice).get(reverse("desk:knowledge_article", args=[article.code]), {"contact": "C-7"})

    article.refresh_from_db()
    assert article.view_count == 1
    assert queries.usage_of(article).views == 1


def test_an_agent_marks_solved_once_per_contact_and_customers_each_time(library: Library, alice: User) -> None:
    article = library.stb_no_signal
    client = Client()

    assert services.mark_solved(article=article, channel=UsageChannel.DESK, user=alice, contact_reference="C-7")
    assert not services.mark_solved(article=article, channel=UsageChannel.DESK, user=alice, contact_reference="C-7")
    assert client.post(
        f"/api/v1/knowledge/public/articles/{article.code}/solved",
        {"channel": "portal"},
        content_type="application/json",
    ).json() == {"counted": True}

    article.refresh_from_db()
    usage = queries.usage_of(article)
    assert article.solved_count == 2
    assert (usage.solved_by_agents, usage.solved_by_customers) == (1, 1)


def test_customers_cannot_mark_internal_or_archived_articles(library: Library) -> None:
    for article in (library.internal_codes, library.archived_tariff):
        response = Client().post(
            f"/api/v1/knowledge/public/articles/{article.code}/solved", {}, content_type="application/json"
        )
        assert response.status_code == 404
    with pytest.raises(BusinessRuleError):
        services.mark_solved(article=library.archived_tariff, channel=UsageChannel.PORTAL)


def test_articles_used_on_a_contact_are_kept_with_the_contact(library: Library, alice: User) -> None:
    url = reverse("desk:knowledge_used", args=[library.stb_black_screen.code])

    signed_in(alice).post(url, {"contact": "C-42"})
    signed_in(alice).post(url, {"contact": "C-42"})

    assert [article.code for article in queries.articles_used_on_contact("C-42")] == [library.stb_black_screen.code]
    assert Article.objects.get(pk=library.stb_black_screen.pk).used_count == 1
    assert queries.usage_of(library.stb_black_screen).recent_contacts == ["C-42"]


def test_searches_that_find_nothing_are_counted_for_editors(library: Library, alice: User, kate: User) -> None:
    agent = signed_in(alice)
    agent.get(reverse("desk:knowledge_search"), {"q": "IPTV机顶盒 蓝牙配对"})
    agent.get(reverse("desk:knowledge_search"), {"q": "蓝牙遥控器  配对"})
    agent.get(reverse("desk:knowledge_search"), {"q": "蓝牙遥控器 配对"})
    Client().get("/api/v1/knowledge/public/articles", {"q": "蓝牙遥控器 配对", "channel": "portal"})

    failed = FailedSearch.objects.get(query="蓝牙遥控器 配对")
    assert (failed.count, failed.channel) == (3, UsageChannel.PORTAL)
    page = signed_in(kate).get(reverse("desk:knowledge_editor"))
    assert "蓝牙遥控器 配对" in page.content.decode()


def test_a_handled_failed_search_comes_back_when_it_recurs(kate: User, alice: User) -> None:
    entry = services.record_failed_search("电视墙安装", UsageChannel.DESK)
    assert entry is not None

    with pytest.raises(NotAllowed):
        services.mark_failed_search_handled(actor=alice, failed_search=entry)
    services.mark_failed_search_handled(actor=kate, failed_search=entry)
    assert queries.failed_searches() == []

    services.record_failed_search("电视墙安装", UsageChannel.DESK)
    assert [item.query for item in queries.failed_searches()] == ["电视墙安装"]


def test_a_search_with_results_is_not_a_failed_search(library: Library) -> None:
    assert search.search_articles("机顶盒", public_only=False).hits
    assert not FailedSearch.objects.exists()
