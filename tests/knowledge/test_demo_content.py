"""The demo knowledge base: complete, valid, searchable, and safe to load again."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from kefu.knowledge import queries, search
from kefu.knowledge.choices import ArticleStatus, Audience
from kefu.knowledge.demo import load_demo_content
from kefu.knowledge.models import Article, DiagnosisGuide, FaqEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_content")]


def test_it_holds_about_150_articles_100_faq_entries_and_10_guides() -> None:
    assert Article.objects.count() == 150
    assert FaqEntry.objects.count() == 100
    assert DiagnosisGuide.objects.count() == 10
    assert FaqEntry.objects.filter(article__isnull=True).count() == 0
    assert all(len(entry.paraphrases) >= 4 for entry in FaqEntry.objects.all())


def test_it_covers_every_branch_of_the_tree_and_both_audiences() -> None:
    live = queries.live_articles()
    top_codes = {
        article.published_version.category.parent.code
        for article in live.select_related("published_version__category__parent")
    }  # type: ignore[union-attr]

    assert top_codes == {"services", "tariffs", "processes", "outlets", "faults", "policies"}
    assert live.filter(published_version__audience=Audience.INTERNAL).count() >= 20
    assert live.filter(published_version__audience=Audience.PUBLIC).count() >= 100


def test_it_shows_the_workflow_in_every_state_and_a_revised_article() -> None:
    states = dict(Article.objects.values_list("code", "status"))

    assert states["KB-DRAFT-01"] == ArticleStatus.DRAFT
    assert states["KB-REVIEW-01"] == ArticleStatus.IN_REVIEW
    assert states["KB-OLD-01"] == ArticleStatus.ARCHIVED
    revised = Article.objects.get(code="KB-BB-01")
    assert revised.versions.count() == 2
    assert revised.published_version is not None and revised.published_version.number == 2


def test_the_acceptance_searches_find_the_set_top_box_articles() -> None:
    no_signal = [hit.code for hit in search.search_articles("机顶盒没信号", public_only=True).hits]
    black_screen = [hit.code for hit in search.search_articles("盒子黑屏", public_only=True).hits]

    assert no_signal[0] == "KB-FTV-01"
    assert black_screen[0] == "KB-FTV-01"
    assert "KB-FTV-06" in no_signal + black_screen or "KB-FTV-02" in no_signal


def test_expired_and_future_campaigns_are_hidden_from_customers() -> None:
    codes = {hit.code for hit in search.search_articles("流量 活动", public_only=True, limit=50).hits}

    assert "KB-TAR-CMP-PREPAY" in codes
    assert "KB-TAR-CMP-NEWYEAR" not in codes
    assert "KB-TAR-CMP-SUMMER" not in codes


def test_loading_again_creates_nothing() -> None:
    summary = load_demo_content()

    assert (summary.articles, summary.faqs, summary.guides) == (0, 0, 0)
    call_command("load_knowledge", verbosity=0)
    assert Article.objects.count() == 150
