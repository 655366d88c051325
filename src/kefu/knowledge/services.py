"""Every write of the knowledge base: editing and reviewing articles, FAQ and guides, usage.

The review workflow (PRODUCT §6): a knowledge editor writes (草稿) and submits (待审核); a
supervisor approves (发布) or sends it back; an approver archives (归档). Readers see only
the approved version, so editing a published article changes nothing for them until the
new version is approved. `actor=None` is the system itself (the demo loader).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import audit
from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.knowledge import guides, search
from kefu.knowledge.choices import (
    ArticleStatus,
    Audience,
    GuideNodeKind,
    UsageChannel,
    UsageKind,
    WalkthroughOutcome,
)
from kefu.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleUsage,
    ArticleVersion,
    Category,
    DiagnosisGuide,
    FailedSearch,
    FaqEntry,
    GuideWalkthrough,
)
from kefu.knowledge.richtext import clean_body, plain_text

ADD_ARTICLE = "knowledge.add_article"
CHANGE_ARTICLE = "knowledge.change_article"
PUBLISH_ARTICLE = "knowledge.publish_article"
VIEW_ARTICLE = "knowledge.view_article"
CHANGE_FAQ = "knowledge.change_faqentry"
CHANGE_GUIDE = "knowledge.change_diagnosisguide"
VIEW_GUIDE = "knowledge.view_diagnosisguide"
CHANGE_FAILED_SEARCH = "knowledge.change_failedsearch"

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/webp",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/plain",
    }
)
SHORT_ANSWER_LENGTH = 300
FAILED_SEARCH_LENGTH = 200
MAX_TAGS = 12
REFERENCE_LENGTH = 64


@dataclass(frozen=True)
class ArticleContent:
    """What an editor writes; becomes one ArticleVersion."""

    title: str
    body: str
    category: Category
    audience: str = Audience.INTERNAL
    summary: str = ""
    tags: list[str] = field(default_factory=list)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    note: str = ""


_COMPARED = ("title", "summary", "body", "category_id", "audience", "tags", "valid_from", "valid_until")


# --- Checks -----------------------------------------------------------------------------------------
def _ensure(actor: Any, permission: str, message: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise NotAllowed(message)


def _ensure_status(article: Article, allowed: tuple[str, ...], doing: str) -> None:
    if article.status not in allowed:
        raise BusinessRuleError(
            _("Article %(code)s is %(status)s: it cannot be %(action)s now.")
            % {"code": article.code, "status": article.get_status_display(), "action": doing},
            code="illegal_transition",
        )


def _clean_content(content: ArticleContent) -> dict[str, Any]:
    title = " ".join(content.title.split())
    body = clean_body(content.body)
    text = plain_text(body)
    if not title:
        raise BusinessRuleError(_("An article needs a title."), code="title_required")
    if len(title) > 200:
        raise BusinessRuleError(_("Titles up to 200 characters."), code="title_too_long")
    if not text:
        raise BusinessRuleError(_("An article needs a body."), code="body_required")
    if content.audience not in Audience.values:
        raise BusinessRuleError(_("Unknown audience."), code="audience")
    if content.valid_from and content.valid_until and content.valid_until < content.valid_from:
        raise BusinessRuleError(_("The validity ends before it starts."), code="validity")
    tags: list[str] = []
    for tag in content.tags:
        cleaned = " ".join(str(tag).split())[:30]
        if cleaned and cleaned not in tags:
            tags.append(cleaned)
    if len(tags) > MAX_TAGS:
        raise BusinessRuleError(_("Up to %(count)d tags.") % {"count": MAX_TAGS}, code="too_many_tags")
    return {
        "title": title,
        "summary": " ".join(content.summary.split())[:300],
        "body": body,
        "body_text": text,
        "category_id": content.category.pk,
        "audience": content.audience,
        "tags": tags,
        "valid_from": content.valid_from,
        "valid_until": content.valid_until,
    }


def _audit_values(values: dict[str, Any]) -> dict[str, Any]:
    shown = {name: values[name] for name in _COMPARED if name != "body"}
    shown["body"] = f"{len(values['body'])} characters"
    return {name: str(value) if isinstance(value, dt.date) else value for name, value in shown.items()}


# --- Articles -------------------------------------------------------------------------------------
@transaction.atomic
def create_article(*, actor: Any, content: ArticleContent, code: str = "") -> Article:
    """A new article as a draft (version 1). `code` is given by the demo loader; else KB000123."""
    _ensure(actor, ADD_ARTICLE, _("Your role may not write knowledge articles."))
    values = _clean_content(content)
    article = Article.objects.create(code=code or f"new-{uuid.uuid4().hex[:20]}", created_by=_person(actor))
    if not code:
        article.code = f"KB{article.pk:06d}"
        article.save(update_fields=["code"])
    version = ArticleVersion.objects.create(
        article=article, number=1, note=content.note[:300], author=_person(actor), **values
    )
    article.current_version = version
    article.save(update_fields=["current_version", "updated_at"])
    audit.record(actor=actor, action="knowledge.article_created", target=article, changes=_audit_values(values))
    return article


@transaction.atomic
def save_draft(*, actor: Any, article: Article, content: ArticleContent) -> ArticleVersion:
    """A new version of the article; an article in review or published goes back to draft.

    Saving the same content again makes no version. Readers keep seeing the published version.
    """
    _ensure(actor, CHANGE_ARTICLE, _("Your role may not edit knowledge articles."))
    article = Article.objects.select_for_update().get(pk=article.pk)
    values = _clean_content(content)
    current = article.current_version
    before = {name: getattr(current, name) for name in _COMPARED} if current else {}
    if current is not None and all(before[name] == values[name] for name in _COMPARED):
        return current
    number = (current.number if current else 0) + 1
    version = ArticleVersion.objects.create(
        article=article, number=number, note=content.note[:300], author=_person(actor), **values
    )
    changes = audit.diff(_audit_values(before) if before else {}, _audit_values(values))
    status_before = article.status
    article.current_version = version
    article.status = ArticleStatus.DRAFT
    article.save(update_fields=["current_version", "status", "updated_at"])
    audit.record(
        actor=actor,
        action="knowledge.article_edited",
        target=article,
        changes={**changes, "version": [number - 1, number], "status": [status_before, article.status]},
    )
    return version


@transaction.atomic
def submit_for_review(*, actor: Any, article: Article) -> Article:
    _ensure(actor, CHANGE_ARTICLE, _("Your role may not edit knowledge articles."))
    article = Article.objects.select_for_update().get(pk=article.pk)
    _ensure_status(article, (ArticleStatus.DRAFT,), _("submitted for review"))
    article.status = ArticleStatus.IN_REVIEW
    article.review_note = ""
    article.save(update_fields=["status", "review_note", "updated_at"])
    audit.record(
        actor=actor,
        action="knowledge.article_submitted",
        target=article,
        changes={"status": [ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW], "version": _version_number(article)},
    )
    return article


@transaction.atomic
def publish_article(*, actor: Any, article: Article) -> Article:
    """Approve the version in review: from now on readers see it, and search finds it."""
    _ensure(actor, PUBLISH_ARTICLE, _("Only a supervisor may approve and publish articles."))
    article = Article.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=article.pk)
    _ensure_status(article, (ArticleStatus.IN_REVIEW,), _("published"))
    version = article.current_version
    if version is None:
        raise BusinessRuleError(_("There is nothing to publish."), code="no_version")
    if actor is not None and version.author_id == actor.pk:
        raise NotAllowed(_("Another person must approve your own edit."))
    now = timezone.now()
    version.published_at = now
    version.published_by = _person(actor)
    version.save(update_fields=["published_at", "published_by"])
    previous = article.published_version_id
    article.published_version = version
    article.status = ArticleStatus.PUBLISHED
    article.published_at = now
    article.review_note = ""
    article.save(update_fields=["published_version", "status", "published_at", "review_note", "updated_at"])
    search.index_article(article)
    audit.record(
        actor=actor,
        action="knowledge.article_published",
        target=article,
        changes={
            "status": [ArticleStatus.IN_REVIEW, ArticleStatus.PUBLISHED],
            "published_version": [_number_of(previous), version.number],
        },
    )
    return article


@transaction.atomic
def reject_article(*, actor: Any, article: Article, reason: str) -> Article:
    """Send the version in review back to its editor with the reason."""
    _ensure(actor, PUBLISH_ARTICLE, _("Only a supervisor may review articles."))
    reason = " ".join(reason.split())
    if not reason:
        raise BusinessRuleError(_("Say what must change."), code="reason_required")
    article = Article.objects.select_for_update().get(pk=article.pk)
    _ensure_status(article, (ArticleStatus.IN_REVIEW,), _("sent back"))
    article.status = ArticleStatus.DRAFT
    article.review_note = reason[:300]
    article.save(update_fields=["status", "review_note", "updated_at"])
    audit.record(
        actor=actor,
        action="knowledge.article_rejected",
        target=article,
        changes={"status": [ArticleStatus.IN_REVIEW, ArticleStatus.DRAFT]},
        reason=reason,
    )
    return article


@transaction.atomic
def archive_article(*, actor: Any, article: Article, reason: str = "") -> Article:
    """Withdraw an article: nobody but editors sees it any more, search forgets it."""
    _ensure(actor, PUBLISH_ARTICLE, _("Only a supervisor may archive articles."))
    article = Article.objects.select_for_update().get(pk=article.pk)
    _ensure_status(article, (ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW, ArticleStatus.PUBLISHED), _("archived"))
    status_before = article.status
    previous = article.published_version_id
    article.status = ArticleStatus.ARCHIVED
    # Archived means withdrawn: republishing needs a new review, not a flip back.
    article.published_version = None
    article.save(update_fields=["status", "published_version", "updated_at"])
    search.remove_from_index(article)
    audit.record(
        actor=actor,
        action="knowledge.article_archived",
        target=article,
        changes={"status": [status_before, ArticleStatus.ARCHIVED], "published_version": [_number_of(previous), None]},
        reason=reason,
    )
    return article


@transaction.atomic
def attach_file(*, actor: Any, article: Article, upload: UploadedFile) -> ArticleAttachment:
    _ensure(actor, CHANGE_ARTICLE, _("Your role may not edit knowledge articles."))
    size = upload.size or 0
    if size > MAX_ATTACHMENT_BYTES:
        raise BusinessRuleError(_("Files up to 10 MB only."), code="file_too_large")
    content_type = (upload.content_type or "").lower()
    if content_type not in ATTACHMENT_TYPES:
        raise BusinessRuleError(_("Only PDF, pictures, Word, Excel and text files."), code="file_type")
    name = (upload.name or "file").rsplit("/", 1)[-1][:200]
    attachment = ArticleAttachment.objects.create(
        article=article, file=upload, name=name, content_type=content_type, size=size, uploaded_by=_person(actor)
    )
    audit.record(actor=actor, action="knowledge.attachment_added", target=article, changes={"file": [None, name]})
    return attachment


def _person(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _version_number(article: Article) -> int | None:
    return article.current_version.number if article.current_version else None


def _number_of(version_id: int | None) -> int | None:
    if version_id is None:
        return None
    return ArticleVersion.objects.filter(pk=version_id).values_list("number", flat=True).first()


# --- Usage ---------------------------------------------------------------------------------------
def _ensure_live(article: Article) -> None:
    live = article.published_version_id is not None and article.status != ArticleStatus.ARCHIVED
    if not live:
        raise BusinessRuleError(_("This article is not published."), code="not_published")


def record_view(*, article: Article, channel: str, user: Any = None, contact_reference: str = "") -> None:
    """One read of a live article (desk, portal, chatbot ...)."""
    ArticleUsage.objects.create(
        article=article,
        kind=UsageKind.VIEWED,
        channel=channel,
        user=_person(user),
        contact_reference=contact_reference[:REFERENCE_LENGTH],
    )
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


@transaction.atomic
def mark_solved(*, article: Article, channel: str, user: Any = None, contact_reference: str = "") -> bool:
    """ "This solved my issue" from an agent or a customer. An agent marks once per contact.

    Returns False when the same agent had already marked it on the same contact.
    """
    _ensure_live(article)
    person = _person(user)
    reference = contact_reference[:REFERENCE_LENGTH]
    if person is not None:
        already = ArticleUsage.objects.filter(
            article=article, kind=UsageKind.SOLVED, user=person, contact_reference=reference
        ).exists()
        if already:
            return False
    ArticleUsage.objects.create(
        article=article, kind=UsageKind.SOLVED, channel=channel, user=person, contact_reference=reference
    )
    Article.objects.filter(pk=article.pk).update(solved_count=F("solved_count") + 1)
    return True


@transaction.atomic
def record_use_on_contact(*, actor: Any, article: Article, contact_reference: str) -> bool:
    """The agent answered contact `contact_reference` with this article (once per contact)."""
    _ensure(actor, VIEW_ARTICLE, _("Your role may not read the knowledge base."))
    _ensure_live(article)
    reference = " ".join(contact_reference.split())[:REFERENCE_LENGTH]
    if not reference:
        raise BusinessRuleError(_("Say which contact the article was used on."), code="contact_required")
    if ArticleUsage.objects.filter(article=article, kind=UsageKind.USED, contact_reference=reference).exists():
        return False
    ArticleUsage.objects.create(
        article=article,
        kind=UsageKind.USED,
        channel=UsageChannel.DESK,
        user=_person(actor),
        contact_reference=reference,
    )
    Article.objects.filter(pk=article.pk).update(used_count=F("used_count") + 1)
    return True


def normalise_search_text(text: str) -> str:
    return " ".join(text.split()).lower()[:FAILED_SEARCH_LENGTH]


def record_failed_search(text: str, channel: str) -> FailedSearch | None:
    """Count a search that found nothing, for the editors' list; a recurring one is reopened."""
    query = normalise_search_text(text)
    if not query:
        return None
    now = timezone.now()
    with transaction.atomic():
        entry, created = FailedSearch.objects.select_for_update().get_or_create(
            query=query, defaults={"channel": channel, "last_at": now}
        )
        if not created:
            entry.count = F("count") + 1
            entry.channel = channel
            entry.last_at = now
            entry.is_handled = False
            entry.save(update_fields=["count", "channel", "last_at", "is_handled"])
            entry.refresh_from_db(fields=["count"])
    return entry


def mark_failed_search_handled(*, actor: Any, failed_search: FailedSearch) -> None:
    _ensure(actor, CHANGE_FAILED_SEARCH, _("Your role may not manage the knowledge base."))
    FailedSearch.objects.filter(pk=failed_search.pk).update(is_handled=True)
    audit.record(actor=actor, action="knowledge.failed_search_handled", target=failed_search)


# --- FAQ ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FaqContent:
    question: str
    short_answer: str
    paraphrases: list[str] = field(default_factory=list)
    article: Article | None = None
    category: Category | None = None
    is_active: bool = True


@transaction.atomic
def save_faq(*, actor: Any, code: str, content: FaqContent) -> FaqEntry:
    """Create or change the FAQ entry `code`. The short answer is plain text (SMS, IVR)."""
    _ensure(actor, CHANGE_FAQ, _("Your role may not edit FAQ entries."))
    question = " ".join(content.question.split())
    answer = plain_text(content.short_answer)
    if not question or not answer:
        raise BusinessRuleError(_("A FAQ entry needs a question and a short answer."), code="faq_incomplete")
    if len(answer) > SHORT_ANSWER_LENGTH:
        raise BusinessRuleError(
            _("Short answers up to %(count)d characters: they are sent by SMS and read by the IVR.")
            % {"count": SHORT_ANSWER_LENGTH},
            code="answer_too_long",
        )
    paraphrases: list[str] = []
    for paraphrase in content.paraphrases:
        cleaned = " ".join(paraphrase.split())[:200]
        if cleaned and cleaned != question and cleaned not in paraphrases:
            paraphrases.append(cleaned)
    values = {
        "question": question,
        "short_answer": answer,
        "paraphrases": paraphrases,
        "article": content.article,
        "category": content.category,
        "is_active": content.is_active,
    }
    entry = FaqEntry.objects.filter(code=code).first()
    before = audit.snapshot(entry, values) if entry else {}
    entry, created = FaqEntry.objects.update_or_create(code=code, defaults=values)
    changes = audit.diff(before, audit.snapshot(entry, values))
    if created or changes:
        audit.record(actor=actor, action="knowledge.faq_saved", target=entry, changes=changes)
    return entry


def record_faq_answered(entry_id: int) -> None:
    """The FAQ entry answered a customer (chatbot, SMS, IVR)."""
    FaqEntry.objects.filter(pk=entry_id).update(answered_count=F("answered_count") + 1)


# --- Diagnosis guides -----------------------------------------------------------------------------
@dataclass(frozen=True)
class GuideContent:
    title: str
    service: str
    symptom: str
    tree: dict[str, Any]
    article: Article | None = None
    is_active: bool = True


@transaction.atomic
def save_guide(*, actor: Any, code: str, content: GuideContent) -> DiagnosisGuide:
    _ensure(actor, CHANGE_GUIDE, _("Your role may not edit diagnosis guides."))
    guides.validate_tree(content.tree)
    values = {
        "title": " ".join(content.title.split()),
        "service": content.service,
        "symptom": " ".join(content.symptom.split()),
        "tree": content.tree,
        "article": content.article,
        "is_active": content.is_active,
    }
    entry = DiagnosisGuide.objects.filter(code=code).first()
    before = audit.snapshot(entry, values) if entry else {}
    guide, created = DiagnosisGuide.objects.update_or_create(code=code, defaults=values)
    changes = audit.diff(before, audit.snapshot(guide, values))
    if created or changes:
        audit.record(actor=actor, action="knowledge.guide_saved", target=guide, changes=changes)
    return guide


def start_walkthrough(*, actor: Any, guide: DiagnosisGuide, contact_reference: str = "") -> GuideWalkthrough:
    """Begin a walk through the guide for a contact; the first step is the tree's start."""
    _ensure(actor, VIEW_GUIDE, _("Your role may not use diagnosis guides."))
    if not guide.is_active:
        raise BusinessRuleError(_("This guide is no longer in use."), code="guide_inactive")
    return GuideWalkthrough.objects.create(
        guide=guide,
        current_node=guide.tree["start"],
        contact_reference=" ".join(contact_reference.split())[:REFERENCE_LENGTH],
        started_by=_person(actor),
    )


def _ensure_walker(actor: Any, walkthrough: GuideWalkthrough) -> None:
    _ensure(actor, VIEW_GUIDE, _("Your role may not use diagnosis guides."))
    if walkthrough.outcome != WalkthroughOutcome.IN_PROGRESS:
        raise BusinessRuleError(_("This walk-through has ended."), code="walkthrough_finished")


@transaction.atomic
def answer_step(*, actor: Any, walkthrough: GuideWalkthrough, answer: int) -> GuideWalkthrough:
    """Record the answer to the current step and move on; a terminal step ends the walk."""
    walkthrough = GuideWalkthrough.objects.select_for_update().select_related("guide").get(pk=walkthrough.pk)
    _ensure_walker(actor, walkthrough)
    step = guides.node(walkthrough.guide.tree, walkthrough.current_node)
    if not 0 <= answer < len(step.answers):
        raise BusinessRuleError(_("Pick one of the answers shown."), code="unknown_answer")
    chosen = step.answers[answer]
    walkthrough.path = [
        *walkthrough.path,
        {
            "node": step.id,
            "kind": step.kind,
            "text": step.text,
            "answer": chosen.label,
            "at": timezone.now().isoformat(),
        },
    ]
    walkthrough.current_node = chosen.next
    following = guides.node(walkthrough.guide.tree, chosen.next)
    if following.is_terminal:
        walkthrough.path = [
            *walkthrough.path,
            {"node": following.id, "kind": following.kind, "text": following.text, "answer": ""},
        ]
        walkthrough.finished_at = timezone.now()
        if following.kind == GuideNodeKind.ORDER:
            walkthrough.outcome = WalkthroughOutcome.ORDER_NEEDED
            walkthrough.order_type_code = following.order_type
        else:
            walkthrough.outcome = WalkthroughOutcome.SOLVED
    walkthrough.save()
    return walkthrough


@transaction.atomic
def step_back(*, actor: Any, walkthrough: GuideWalkthrough) -> GuideWalkthrough:
    """Undo the last answer (the customer corrects themselves); the path keeps only what stands."""
    walkthrough = GuideWalkthrough.objects.select_for_update().get(pk=walkthrough.pk)
    _ensure_walker(actor, walkthrough)
    if not walkthrough.path:
        raise BusinessRuleError(_("This is the first step."), code="at_start")
    *kept, last = walkthrough.path
    walkthrough.path = kept
    walkthrough.current_node = last["node"]
    walkthrough.save(update_fields=["path", "current_node"])
    return walkthrough


def abandon_walkthrough(*, actor: Any, walkthrough: GuideWalkthrough) -> GuideWalkthrough:
    _ensure_walker(actor, walkthrough)
    walkthrough.outcome = WalkthroughOutcome.ABANDONED
    walkthrough.finished_at = timezone.now()
    walkthrough.save(update_fields=["outcome", "finished_at"])
    return walkthrough


def link_walkthrough_to_order(*, actor: Any, walkthrough: GuideWalkthrough, order_reference: str) -> None:
    """Keep the walk with the repair order opened from it, so the engineer sees what was tried."""
    _ensure(actor, VIEW_GUIDE, _("Your role may not use diagnosis guides."))
    reference = " ".join(order_reference.split())[:REFERENCE_LENGTH]
    if not reference:
        raise BusinessRuleError(_("Say which work order."), code="order_required")
    GuideWalkthrough.objects.filter(pk=walkthrough.pk).update(order_reference=reference)
