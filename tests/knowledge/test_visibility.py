"""Customers see published public articles valid today — never internal, archived or expired ones."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.accounts.models import User
from kefu.knowledge import queries, search, services
from kefu.knowledge.choices import Audience
from tests.knowledge.conftest import Library, category

pytestmark = pytest.mark.django_db

PUBLIC_SEARCH = "/api/v1/knowledge/public/articles"


def public_codes(question: str) -> list[str]:
    return [hit.code for hit in search.search_articles(question, public_only=True).hits]


def test_customer_search_shows_only_public_articles_valid_today(library: Library) -> None:
    assert public_codes("机顶盒") == [library.stb_no_signal.code, library.stb_black_screen.code]


def test_customer_search_ignores_filters_that_would_show_more(library: Library) -> None:
    wider = search.SearchFilters(audience=Audience.INTERNAL, include_out_of_date=True)

    results = search.search_articles("机顶盒", public_only=True, filters=wider)

    assert [hit.code for hit in results.hits] == [library.stb_no_signal.code, library.stb_black_screen.code]


def test_staff_search_shows_internal_articles_too(library: Library) -> None:
    codes = {hit.code for hit in search.search_articles("机顶盒", public_only=False).hits}

    assert codes == {library.stb_no_signal.code, library.stb_black_screen.code, library.internal_codes.code}


def test_archived_article_never_shows_to_customers(library: Library) -> None:
    client = Client()

    assert public_codes("神州行") == []
    assert client.get(PUBLIC_SEARCH, {"q": "神州行"}).json()["hits"] == []
    assert client.get(f"{PUBLIC_SEARCH}/{library.archived_tariff.code}").status_code == 404
    assert not queries.public_articles().filter(pk=library.archived_tariff.pk).exists()


def test_expired_and_not_yet_valid_articles_never_show_to_customers(library: Library) -> None:
    client = Client()

    for article in (library.expired_campaign, library.future_campaign):
        assert client.get(f"{PUBLIC_SEARCH}/{article.code}").status_code == 404
    hits = client.get(PUBLIC_SEARCH, {"q": "机顶盒 活动"}).json()["hits"]
    assert library.expired_campaign.code not in {hit["code"] for hit in hits}


def test_customer_never_sees_an_internal_article_by_search_or_by_its_number(library: Library) -> None:
    client = Client()

    found = client.get(PUBLIC_SEARCH, {"q": "机顶盒提示代码"}).json()
    detail = client.get(f"{PUBLIC_SEARCH}/{library.internal_codes.code}")

    assert library.internal_codes.code not in {hit["code"] for hit in found["hits"]}
    assert detail.status_code == 404
    assert "E04" not in detail.content.decode()


def test_drafts_are_not_readable_by_customers_or_agents(library: Library, alice: User) -> None:
    assert Client().get(f"{PUBLIC_SEARCH}/{library.draft.code}").status_code == 404
    assert not queries.articles_visible_to(alice).filter(pk=library.draft.pk).exists()
    assert queries.articles_visible_to(None).count() == 0


def test_a_new_version_reaches_readers_only_once_approved(library: Library, kate: User, sara: User) -> None:
    article = library.stb_no_signal
    services.save_draft(
        actor=kate,
        article=article,
        content=services.ArticleContent(
            title="机顶盒无信号（内部试行）", body="<p>新的处理流程，尚未审核。</p>", category=category("faults-tv")
        ),
    )

    shown = Client().get(f"{PUBLIC_SEARCH}/{article.code}").json()
    assert shown["title"] == "机顶盒无信号怎么处理"
    assert shown["version"] == 1

    services.submit_for_review(actor=kate, article=article)
    services.publish_article(actor=sara, article=article)

    # The new version is internal: customers lose the article, agents see the new text.
    assert Client().get(f"{PUBLIC_SEARCH}/{article.code}").status_code == 404
    assert search.search_articles("机顶盒无信号", public_only=False).hits[0].title == "机顶盒无信号（内部试行）"
