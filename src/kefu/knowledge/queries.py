"""Reads of the knowledge base, always for a kind of reader: a customer, staff, or an editor.

- customers (portal, chatbot, SMS, IVR, the public API) see published public articles that
  are valid today — never internal, archived or expired ones;
- staff who may read the knowledge base see every published article, internal ones too;
- editors and approvers also see drafts, articles in review and archived ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kefu.knowledge.choices import ArticleStatus, Audience, UsageKind
from kefu.knowledge.models import (
    Article,
    ArticleUsage,
    ArticleVersion,
    Category,
    DiagnosisGuide,
    FailedSearch,
    FaqEntry,
    GuideWalkthrough,
)

VIEW_ARTICLE = "knowledge.view_article"
EDIT_PERMISSIONS = ("knowledge.change_article", "knowledge.publish_article")


def live_articles() -> QuerySet[Article]:
    """Articles with a published version that are not archived: what readers may ever see."""
    return Article.objects.filter(published_version__isnull=False).exclude(status=ArticleStatus.ARCHIVED)


def _valid_on(day: dt.date) -> Q:
    starts = Q(published_version__valid_from__isnull=True) | Q(published_version__valid_from__lte=day)
    ends = Q(published_version__valid_until__isnull=True) | Q(published_version__valid_until__gte=day)
    return starts & ends


def public_articles(today: dt.date | None = None) -> QuerySet[Article]:
    """What a customer may read: live, public, and valid today."""
    day = today or timezone.localdate()
    return live_articles().filter(_valid_on(day), published_version__audience=Audience.PUBLIC)


def public_article_or_404(code: str, today: dt.date | None = None) -> Article:
    try:
        return public_articles(today).select_related("published_version", "published_version__category").get(code=code)
    except Article.DoesNotExist as error:  # internal, archived, expired and unknown all look the same
        raise Http404("No such article") from error


def can_read(user: Any) -> bool:
    return bool(user is not None and user.is_active and user.has_perm(VIEW_ARTICLE))


def can_edit(user: Any) -> bool:
    return bool(user is not None and user.is_active and any(user.has_perm(code) for code in EDIT_PERMISSIONS))


def articles_visible_to(user: Any) -> QuerySet[Article]:
    """Editors: every article; staff readers: live ones; anybody else: none."""
    if can_edit(user):
        return Article.objects.all()
    if can_read(user):
        return live_articles()
    return Article.objects.none()


def article_for_user_or_404(user: Any, code: str) -> Article:
    try:
        return (
            articles_visible_to(user)
            .select_related(
                "current_version",
                "current_version__category",
                "current_version__author",
                "published_version",
                "published_version__category",
                "published_version__published_by",
            )
            .get(code=code)
        )
    except Article.DoesNotExist as error:
        raise Http404("No such article") from error


def versions_of(article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("author", "published_by", "category").order_by("-number")


def version_or_404(article: Article, number: int) -> ArticleVersion:
    try:
        return versions_of(article).get(number=number)
    except ArticleVersion.DoesNotExist as error:
        raise Http404("No such version") from error


def categories() -> list[Category]:
    return list(Category.objects.select_related("parent").order_by("parent__position", "position", "code"))


def category_with_children(category_id: int) -> tuple[int, ...]:
    """A category and every category below it, for filters."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = [], [category_id]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return tuple(sorted(found))


def editor_articles(status: str | None = None) -> QuerySet[Article]:
    articles = Article.objects.select_related("current_version", "current_version__category", "current_version__author")
    if status:
        articles = articles.filter(status=status)
    return articles.order_by("-updated_at", "-id")


def review_queue() -> QuerySet[Article]:
    return editor_articles(ArticleStatus.IN_REVIEW).order_by("updated_at", "id")


def failed_searches(*, include_handled: bool = False, limit: int = 200) -> list[FailedSearch]:
    searches = FailedSearch.objects.all()
    if not include_handled:
        searches = searches.filter(is_handled=False)
    return list(searches.order_by("-count", "-last_at")[:limit])


@dataclass(frozen=True)
class ArticleUsageSummary:
    views: int
    solved_by_agents: int
    solved_by_customers: int
    used_on_contacts: int
    recent_contacts: list[str]


def usage_of(article: Article, *, recent: int = 10) -> ArticleUsageSummary:
    rows = dict(
        ArticleUsage.objects.filter(article=article)
        .values_list("kind")
        .annotate(total=Count("id"))
        .values_list("kind", "total")
    )
    agent_solved = ArticleUsage.objects.filter(article=article, kind=UsageKind.SOLVED, user__isnull=False).count()
    contacts = list(
        ArticleUsage.objects.filter(article=article, kind=UsageKind.USED)
        .order_by("-at")
        .values_list("contact_reference", flat=True)[:recent]
    )
    return ArticleUsageSummary(
        views=rows.get(UsageKind.VIEWED, 0),
        solved_by_agents=agent_solved,
        solved_by_customers=rows.get(UsageKind.SOLVED, 0) - agent_solved,
        used_on_contacts=rows.get(UsageKind.USED, 0),
        recent_contacts=contacts,
    )


def articles_used_on_contact(contact_reference: str) -> QuerySet[Article]:
    """The articles agents used on a contact, for the contact's record."""
    ids = ArticleUsage.objects.filter(kind=UsageKind.USED, contact_reference=contact_reference).values("article_id")
    return Article.objects.filter(pk__in=ids).select_related("published_version")


def most_solved(limit: int = 10) -> QuerySet[Article]:
    return live_articles().select_related("published_version").order_by("-solved_count", "-view_count")[:limit]


def active_faqs() -> QuerySet[FaqEntry]:
    return FaqEntry.objects.filter(is_active=True).select_related("article")


def active_guides() -> QuerySet[DiagnosisGuide]:
    return DiagnosisGuide.objects.filter(is_active=True).order_by("service", "code")


def guide_or_404(code: str) -> DiagnosisGuide:
    try:
        return active_guides().get(code=code)
    except DiagnosisGuide.DoesNotExist as error:
        raise Http404("No such guide") from error


def walkthrough_or_404(walkthrough_id: int) -> GuideWalkthrough:
    try:
        return GuideWalkthrough.objects.select_related("guide", "started_by").get(pk=walkthrough_id)
    except GuideWalkthrough.DoesNotExist as error:
        raise Http404("No such walk-through") from error


def walkthroughs_for(*, contact_reference: str = "", order_reference: str = "") -> QuerySet[GuideWalkthrough]:
    """What was tried on a contact or for a work order (the engineer's view)."""
    walks = GuideWalkthrough.objects.select_related("guide", "started_by")
    if contact_reference:
        walks = walks.filter(contact_reference=contact_reference)
    if order_reference:
        walks = walks.filter(order_reference=order_reference)
    if not (contact_reference or order_reference):
        return walks.none()
    return walks.order_by("-started_at")
