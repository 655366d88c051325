"""Knowledge: public answers for customers' channels, and the full knowledge base for staff.

`/public/...` needs no sign-in: the portal, the chatbot, SMS and the IVR read published
public articles valid today, and FAQ answers — never internal, archived or expired ones.
Everything else is for signed-in staff who may read the knowledge base.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from kefu.accounts.permissions import ensure_permissions
from kefu.api.schemas import ErrorOut
from kefu.knowledge import faq, queries, search, services
from kefu.knowledge.choices import UsageChannel
from kefu.knowledge.models import Article, ArticleVersion

router = Router(tags=["knowledge"])

VIEW_ARTICLE = "knowledge.view_article"
VIEW_GUIDE = "knowledge.view_diagnosisguide"
MIN_QUERY_CHARACTERS = 2
CustomerChannel = Literal["portal", "chatbot", "sms", "ivr", "api"]


class ArticleHitOut(Schema):
    code: str
    title: str
    title_html: str
    snippet_html: str
    category: str
    audience: str
    tags: list[str]
    valid_until: dt.date | None
    is_out_of_date: bool
    score: float


class SearchOut(Schema):
    query: str
    words: list[str]
    corrections: dict[str, str]
    matched_every_word: bool
    hits: list[ArticleHitOut]


class ArticleOut(Schema):
    code: str
    title: str
    summary: str
    body_html: str
    category: str
    audience: str
    tags: list[str]
    valid_from: dt.date | None
    valid_until: dt.date | None
    version: int
    published_at: dt.datetime | None


class AnswerOut(Schema):
    answered: bool
    faq_code: str | None = None
    question: str | None = None
    answer: str | None = None
    article_code: str | None = None
    confidence: float | None = None


class SolvedIn(Schema):
    channel: CustomerChannel = "portal"


class UsedIn(Schema):
    contact: str


class RecordedOut(Schema):
    counted: bool


class WalkthroughOut(Schema):
    id: int
    guide: str
    outcome: str
    order_type: str
    contact: str
    order: str
    started_at: dt.datetime
    path: list[dict[str, Any]]


class PublicSearchParams(Schema):
    q: str
    category: int | None = None
    limit: int = 10
    channel: CustomerChannel = "api"


class StaffSearchParams(Schema):
    q: str
    category: int | None = None
    audience: Literal["internal", "public"] | None = None
    include_out_of_date: bool = False
    limit: int = 20


def _search_out(results: search.SearchResults) -> dict[str, Any]:
    return {
        "query": results.text,
        "words": results.words,
        "corrections": results.corrections,
        "matched_every_word": results.matched_every_word,
        "hits": [vars(hit) for hit in results.hits],
    }


def _article_out(article: Article, version: ArticleVersion) -> dict[str, Any]:
    return {
        "code": article.code,
        "title": version.title,
        "summary": version.summary,
        "body_html": version.body,
        "category": str(version.category),
        "audience": version.audience,
        "tags": list(version.tags),
        "valid_from": version.valid_from,
        "valid_until": version.valid_until,
        "version": version.number,
        "published_at": article.published_at,
    }


def _too_short(text: str) -> bool:
    return len(text.replace(" ", "")) < MIN_QUERY_CHARACTERS


# ---------- Public: customers' channels ----------
@router.get("/public/articles", auth=None, response={200: SearchOut, 400: ErrorOut})
def public_search(request: HttpRequest, params: Query[PublicSearchParams]) -> Any:
    """Search published public articles valid today (what the portal and the chatbot show)."""
    if _too_short(params.q):
        return Status(400, {"code": "query_too_short", "detail": "Type at least 2 characters."})
    filters = search.SearchFilters(
        category_ids=queries.category_with_children(params.category) if params.category else ()
    )
    results = search.search_articles(params.q, public_only=True, filters=filters, limit=min(max(params.limit, 1), 50))
    if results.found_nothing:
        services.record_failed_search(params.q, params.channel)
    return _search_out(results)


@router.get("/public/articles/{code}", auth=None, response={200: ArticleOut, 404: ErrorOut})
def public_article(request: HttpRequest, code: str, channel: CustomerChannel = "api") -> Any:
    """One public article; internal, archived, expired and unknown articles all answer 404."""
    article = queries.public_article_or_404(code)
    version = article.published_version
    if version is None:  # public_articles() holds published ones only; this keeps the types honest
        return Status(404, {"code": "not_found", "detail": "Not found."})
    services.record_view(article=article, channel=channel)
    return _article_out(article, version)


@router.post("/public/articles/{code}/solved", auth=None, response={200: RecordedOut, 404: ErrorOut})
def public_solved(request: HttpRequest, code: str, body: SolvedIn) -> Any:
    """A customer's "this solved my issue"."""
    article = queries.public_article_or_404(code)
    return {"counted": services.mark_solved(article=article, channel=body.channel)}


@router.get("/public/answer", auth=None, response={200: AnswerOut, 400: ErrorOut})
def public_answer(request: HttpRequest, q: str, channel: CustomerChannel = "api") -> Any:
    """The FAQ answer to a question in the customer's words, or `answered: false` (hand over to an agent)."""
    if _too_short(q):
        return Status(400, {"code": "query_too_short", "detail": "Type at least 2 characters."})
    answer = faq.best_answer(q)
    if answer is None:
        services.record_failed_search(q, channel)
        return {"answered": False}
    services.record_faq_answered(answer.entry_id)
    return {
        "answered": True,
        "faq_code": answer.code,
        "question": answer.question,
        "answer": answer.short_answer,
        "article_code": answer.article_code,
        "confidence": answer.confidence,
    }


# ---------- Staff ----------
@router.get("/articles", response={200: SearchOut, 400: ErrorOut, 403: ErrorOut})
def staff_search(request: HttpRequest, params: Query[StaffSearchParams]) -> Any:
    """Search every published article, internal ones too; expired ones on request."""
    ensure_permissions(request.user, (VIEW_ARTICLE,))
    if _too_short(params.q):
        return Status(400, {"code": "query_too_short", "detail": "Type at least 2 characters."})
    filters = search.SearchFilters(
        category_ids=queries.category_with_children(params.category) if params.category else (),
        audience=params.audience,
        include_out_of_date=params.include_out_of_date,
    )
    results = search.search_articles(params.q, public_only=False, filters=filters, limit=min(max(params.limit, 1), 100))
    if results.found_nothing:
        services.record_failed_search(params.q, UsageChannel.API)
    return _search_out(results)


@router.get("/articles/{code}", response={200: ArticleOut, 403: ErrorOut, 404: ErrorOut})
def staff_article(request: HttpRequest, code: str) -> Any:
    """The published version of an article, for staff (internal articles included)."""
    ensure_permissions(request.user, (VIEW_ARTICLE,))
    article = queries.article_for_user_or_404(request.user, code)
    if not article.is_live or article.published_version is None:
        return Status(404, {"code": "not_found", "detail": "This article is not published."})
    return _article_out(article, article.published_version)


@router.post("/articles/{code}/used", response={200: RecordedOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def staff_used(request: HttpRequest, code: str, body: UsedIn) -> Any:
    """Note that the article answered a contact."""
    ensure_permissions(request.user, (VIEW_ARTICLE,))
    article = queries.article_for_user_or_404(request.user, code)
    return {
        "counted": services.record_use_on_contact(actor=request.user, article=article, contact_reference=body.contact)
    }


@router.get("/suggestions", response={200: list[ArticleHitOut], 403: ErrorOut})
def suggestions(request: HttpRequest, text: str, limit: int = 5) -> Any:
    """Articles suggested from what a customer said or wrote."""
    ensure_permissions(request.user, (VIEW_ARTICLE,))
    return [vars(hit) for hit in search.suggest_articles(text[:2000], limit=min(max(limit, 1), 20))]


@router.get("/walkthroughs", response={200: list[WalkthroughOut], 403: ErrorOut})
def walkthroughs(request: HttpRequest, contact: str = "", order: str = "") -> Any:
    """What was tried with a diagnosis guide on a contact or for a work order."""
    ensure_permissions(request.user, (VIEW_GUIDE,))
    return [
        {
            "id": walk.pk,
            "guide": walk.guide.code,
            "outcome": walk.outcome,
            "order_type": walk.order_type_code,
            "contact": walk.contact_reference,
            "order": walk.order_reference,
            "started_at": walk.started_at,
            "path": walk.path,
        }
        for walk in queries.walkthroughs_for(contact_reference=contact, order_reference=order)[:50]
    ]
