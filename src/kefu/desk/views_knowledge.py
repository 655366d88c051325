"""The knowledge base on the desk (PRODUCT §6): search, articles, review, diagnosis guides.

Each view parses, authorises, calls one service or query of `kefu.knowledge` and renders.
A refusal (BusinessRuleError / NotAllowed) is shown on the page it came from, with 409/403.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.accounts.models import User
from kefu.accounts.permissions import ensure_permissions, staff_required
from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.knowledge import diffs, guides, queries, search, services
from kefu.knowledge.choices import ArticleStatus, Audience, GuideNodeKind, UsageChannel, WalkthroughOutcome
from kefu.knowledge.models import Article, ArticleVersion, Category, FailedSearch, GuideWalkthrough

VIEW_ARTICLE = "knowledge.view_article"
ADD_ARTICLE = "knowledge.add_article"
CHANGE_ARTICLE = "knowledge.change_article"
PUBLISH_ARTICLE = "knowledge.publish_article"
VIEW_GUIDE = "knowledge.view_diagnosisguide"
MIN_QUERY_CHARACTERS = 2
SUGGESTIONS = 5
STATUS_TONES: dict[str, str] = {
    ArticleStatus.DRAFT: "muted",
    ArticleStatus.IN_REVIEW: "warning",
    ArticleStatus.PUBLISHED: "success",
    ArticleStatus.ARCHIVED: "danger",
}


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # staff_required has already sent anonymous visitors away
        raise PermissionDenied
    return user


def _ensure_editor(user: User) -> None:
    if not queries.can_edit(user):
        raise PermissionDenied


def _category_choices() -> list[tuple[str, str]]:
    return [("", _("All categories"))] + [(str(category.pk), str(category)) for category in queries.categories()]


# ---------- Search ----------
class SearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search the knowledge base"), max_length=100, required=False, strip=True)
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), required=False, coerce=int, empty_value=None)
    audience = forms.ChoiceField(
        label=gettext_lazy("Audience"),
        required=False,
        choices=[("", gettext_lazy("Internal and public")), *Audience.choices],
    )
    include_out_of_date = forms.BooleanField(label=gettext_lazy("Include expired"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _category_choices()  # type: ignore[attr-defined]


def _filters(data: dict[str, Any]) -> search.SearchFilters:
    category = data.get("category")
    return search.SearchFilters(
        category_ids=queries.category_with_children(category) if category else (),
        audience=data.get("audience") or None,
        include_out_of_date=bool(data.get("include_out_of_date")),
    )


@staff_required(VIEW_ARTICLE)
def knowledge_search(request: HttpRequest) -> HttpResponse:
    """The search page; htmx asks for the results alone (also from the agent desktop's box)."""
    user = _staff(request)
    form = SearchForm(request.GET)
    results: search.SearchResults | None = None
    too_short = False
    if form.is_valid() and form.cleaned_data["q"]:
        text = form.cleaned_data["q"]
        if len(text.replace(" ", "")) < MIN_QUERY_CHARACTERS:
            too_short = True
        else:
            results = search.search_articles(text, public_only=False, filters=_filters(form.cleaned_data))
            if results.found_nothing:
                services.record_failed_search(text, UsageChannel.DESK)
    context = {
        "form": form,
        "results": results,
        "too_short": too_short,
        "min_characters": MIN_QUERY_CHARACTERS,
        "contact": request.GET.get("contact", "")[:64],
        "popular": queries.most_solved(8) if results is None else [],
        "can_edit": queries.can_edit(user),
        "nav_section": "knowledge",
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return render(request, "desk/knowledge/_results.html", context)
    return render(request, "desk/knowledge/search.html", context)


@staff_required(VIEW_ARTICLE)
def knowledge_suggest(request: HttpRequest) -> HttpResponse:
    """Articles suggested from a contact's text, for the agent desktop's knowledge box."""
    text = request.GET.get("text", "")[:2000]
    hits = search.suggest_articles(text, limit=SUGGESTIONS) if text.strip() else []
    return render(
        request,
        "desk/knowledge/_suggestions.html",
        {"hits": hits, "contact": request.GET.get("contact", "")[:64]},
    )


# ---------- Articles ----------
def _shown_version(user: User, article: Article, requested: str | None) -> ArticleVersion | None:
    """Readers see the published version; editors may open any version, and the draft by default."""
    if requested and queries.can_edit(user):
        try:
            return queries.version_or_404(article, int(requested))
        except ValueError as error:
            raise Http404("No such version") from error
    if queries.can_edit(user) and (article.published_version is None or article.status != ArticleStatus.PUBLISHED):
        return article.current_version
    return article.published_version


def _article_context(user: User, article: Article, version: ArticleVersion | None, **extra: Any) -> dict[str, Any]:
    versions = list(queries.versions_of(article)) if queries.can_edit(user) else []
    return {
        "article": article,
        "version": version,
        "is_live_version": version is not None and version.pk == article.published_version_id,
        "is_out_of_date": version is not None and not search.is_valid_on(version, timezone.localdate()),
        "status_tone": STATUS_TONES.get(article.status, "muted"),
        "versions": versions,
        "attachments": list(article.attachments.all()),
        "faqs": list(article.faqs.filter(is_active=True)),
        "guides": list(article.guides.filter(is_active=True)),
        "usage": queries.usage_of(article) if queries.can_edit(user) else None,
        "can_edit": user.has_perm(CHANGE_ARTICLE),
        "can_approve": user.has_perm(PUBLISH_ARTICLE),
        "contact": extra.pop("contact", ""),
        "reject_form": extra.pop("reject_form", RejectForm()),
        "used_form": extra.pop("used_form", None),
        "nav_section": "knowledge",
        **extra,
    }


@staff_required(VIEW_ARTICLE)
def knowledge_article(request: HttpRequest, code: str) -> HttpResponse:
    user = _staff(request)
    article = queries.article_for_user_or_404(user, code)
    version = _shown_version(user, article, request.GET.get("version"))
    contact = request.GET.get("contact", "")[:64]
    if article.is_live and version is not None and version.pk == article.published_version_id:
        services.record_view(article=article, channel=UsageChannel.DESK, user=user, contact_reference=contact)
    context = _article_context(
        user, article, version, contact=contact, used_form=UsedForm(initial={"contact": contact})
    )
    return render(request, "desk/knowledge/article.html", context)


@staff_required(VIEW_ARTICLE)
def knowledge_diff(request: HttpRequest, code: str) -> HttpResponse:
    user = _staff(request)
    _ensure_editor(user)
    article = queries.article_for_user_or_404(user, code)
    try:
        newer_number = int(request.GET.get("to") or (article.current_version.number if article.current_version else 1))
        older_number = int(request.GET.get("from") or max(newer_number - 1, 1))
    except ValueError as error:
        raise Http404("No such version") from error
    older = queries.version_or_404(article, older_number)
    newer = queries.version_or_404(article, newer_number)
    context = {
        "article": article,
        "diff": diffs.diff_versions(older, newer),
        "versions": list(queries.versions_of(article)),
        "nav_section": "knowledge",
    }
    return render(request, "desk/knowledge/diff.html", context)


class UsedForm(forms.Form):
    contact = forms.CharField(label=gettext_lazy("Contact number"), max_length=64, strip=True)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What must change"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


def _refused(
    request: HttpRequest, user: User, article: Article, refusal: BusinessRuleError | NotAllowed
) -> HttpResponse:
    """The article page again, with the refusal; the service changed nothing."""
    messages.error(request, refusal.message)
    article = queries.article_for_user_or_404(user, article.code)
    version = _shown_version(user, article, None)
    status = 403 if isinstance(refusal, NotAllowed) else 409
    return render(request, "desk/knowledge/article.html", _article_context(user, article, version), status=status)


@require_POST
@staff_required(VIEW_ARTICLE)
def knowledge_solved(request: HttpRequest, code: str) -> HttpResponse:
    """The agent says: this article solved the customer's issue."""
    user = _staff(request)
    article = queries.article_for_user_or_404(user, code)
    contact = request.POST.get("contact", "")[:64]
    try:
        counted = services.mark_solved(article=article, channel=UsageChannel.DESK, user=user, contact_reference=contact)
    except BusinessRuleError as refusal:
        return _refused(request, user, article, refusal)
    messages.success(request, _("Thank you: marked as solved.") if counted else _("You had already marked it."))
    return redirect(_article_url(article, contact))


@require_POST
@staff_required(VIEW_ARTICLE)
def knowledge_used(request: HttpRequest, code: str) -> HttpResponse:
    """The agent answered a contact with this article."""
    user = _staff(request)
    article = queries.article_for_user_or_404(user, code)
    form = UsedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say which contact the article was used on."))
        return redirect(_article_url(article, ""))
    contact = form.cleaned_data["contact"]
    try:
        counted = services.record_use_on_contact(actor=user, article=article, contact_reference=contact)
    except (BusinessRuleError, NotAllowed) as refusal:
        return _refused(request, user, article, refusal)
    if counted:
        messages.success(request, _("Noted on contact %(contact)s.") % {"contact": contact})
    else:
        messages.success(request, _("Already noted on this contact."))
    return redirect(_article_url(article, contact))


def _article_url(article: Article, contact: str) -> str:
    url = reverse("desk:knowledge_article", kwargs={"code": article.code})
    return f"{url}?{urlencode({'contact': contact})}" if contact else url


# ---------- Editing and review ----------
class ArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    summary = forms.CharField(label=gettext_lazy("Summary"), max_length=300, required=False)
    category = forms.ModelChoiceField(label=gettext_lazy("Category"), queryset=Category.objects.all())
    audience = forms.ChoiceField(label=gettext_lazy("Audience"), choices=Audience.choices)
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Separated by commas, e.g. 宽带, 光猫"),
    )
    valid_from = forms.DateField(
        label=gettext_lazy("Valid from"), required=False, widget=forms.DateInput({"type": "date"})
    )
    valid_until = forms.DateField(
        label=gettext_lazy("Valid until"),
        required=False,
        widget=forms.DateInput({"type": "date"}),
        help_text=gettext_lazy("Customers no longer see the article after this day."),
    )
    body = forms.CharField(
        label=gettext_lazy("Body"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=gettext_lazy("HTML: <p>, <ul>/<ol>/<li>, <h4>, <table>, <strong>, links. Anything else is removed."),
    )
    note = forms.CharField(label=gettext_lazy("What changed"), max_length=300, required=False)

    def content(self) -> services.ArticleContent:
        data = self.cleaned_data
        tags = [tag.strip() for tag in data["tags"].replace("，", ",").replace("、", ",").split(",") if tag.strip()]
        return services.ArticleContent(
            title=data["title"],
            body=data["body"],
            category=data["category"],
            audience=data["audience"],
            summary=data["summary"],
            tags=tags,
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            note=data["note"],
        )


def _initial(version: ArticleVersion) -> dict[str, Any]:
    return {
        "title": version.title,
        "summary": version.summary,
        "category": version.category_id,
        "audience": version.audience,
        "tags": ", ".join(version.tags),
        "valid_from": version.valid_from,
        "valid_until": version.valid_until,
        "body": version.body,
    }


@staff_required(ADD_ARTICLE)
def knowledge_new(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = ArticleForm(request.POST or None, initial={"audience": Audience.INTERNAL})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            article = services.create_article(actor=user, content=form.content())
        except (BusinessRuleError, NotAllowed) as refusal:
            form.add_error(None, refusal.message)
            status = 409
        else:
            messages.success(request, _("Draft saved. Submit it for review when it is ready."))
            return redirect("desk:knowledge_article", code=article.code)
    elif request.method == "POST":
        status = 400
    context = {"form": form, "article": None, "nav_section": "knowledge"}
    return render(request, "desk/knowledge/edit.html", context, status=status)


@staff_required(CHANGE_ARTICLE)
def knowledge_edit(request: HttpRequest, code: str) -> HttpResponse:
    user = _staff(request)
    article = queries.article_for_user_or_404(user, code)
    if article.current_version is None:
        raise Http404("No version to edit")
    form = ArticleForm(request.POST or None, initial=_initial(article.current_version))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            version = services.save_draft(actor=user, article=article, content=form.content())
        except (BusinessRuleError, NotAllowed) as refusal:
            form.add_error(None, refusal.message)
            status = 409
        else:
            messages.success(request, _("Saved as version %(number)d.") % {"number": version.number})
            return redirect("desk:knowledge_article", code=article.code)
    elif request.method == "POST":
        status = 400
    context = {"form": form, "article": article, "nav_section": "knowledge"}
    return render(request, "desk/knowledge/edit.html", context, status=status)


_TRANSITIONS: dict[str, Any] = {
    "submit": lambda user, article, post: services.submit_for_review(actor=user, article=article),
    "publish": lambda user, article, post: services.publish_article(actor=user, article=article),
    "reject": lambda user, article, post: services.reject_article(
        actor=user, article=article, reason=post.get("reason", "")
    ),
    "archive": lambda user, article, post: services.archive_article(
        actor=user, article=article, reason=post.get("reason", "")
    ),
}
_DONE = {
    "submit": gettext_lazy("Submitted for review."),
    "publish": gettext_lazy("Published: readers see this version now."),
    "reject": gettext_lazy("Sent back to the editor."),
    "archive": gettext_lazy("Archived: nobody but editors sees it any more."),
}


@require_POST
@staff_required(VIEW_ARTICLE)
def knowledge_transition(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Every workflow button posts here; the service decides whether this person may do it now."""
    user = _staff(request)
    if action not in _TRANSITIONS:
        raise Http404("No such action")
    _ensure_editor(user)
    article = queries.article_for_user_or_404(user, code)
    try:
        _TRANSITIONS[action](user, article, request.POST)
    except (BusinessRuleError, NotAllowed) as refusal:
        return _refused(request, user, article, refusal)
    messages.success(request, str(_DONE[action]))
    return redirect("desk:knowledge_article", code=article.code)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))


@require_POST
@staff_required(CHANGE_ARTICLE)
def knowledge_attach(request: HttpRequest, code: str) -> HttpResponse:
    user = _staff(request)
    article = queries.article_for_user_or_404(user, code)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to attach."))
        return redirect("desk:knowledge_article", code=article.code)
    try:
        services.attach_file(actor=user, article=article, upload=form.cleaned_data["file"])
    except (BusinessRuleError, NotAllowed) as refusal:
        return _refused(request, user, article, refusal)
    messages.success(request, _("File attached."))
    return redirect("desk:knowledge_article", code=article.code)


def knowledge_attachment(request: HttpRequest, code: str, attachment_id: int) -> HttpResponseBase:
    """An article's file, to whoever may read the article."""
    # Checked here rather than by staff_required, whose views answer with a plain HttpResponse.
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    ensure_permissions(request.user, (VIEW_ARTICLE,))
    article = queries.article_for_user_or_404(request.user, code)
    attachment = get_object_or_404(article.attachments, pk=attachment_id)
    return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type, filename=attachment.name)


@staff_required(VIEW_ARTICLE)
def knowledge_editor(request: HttpRequest) -> HttpResponse:
    """The editors' desk: articles by workflow state, and searches that found nothing."""
    user = _staff(request)
    _ensure_editor(user)
    status = request.GET.get("status") or ArticleStatus.IN_REVIEW
    if status not in ArticleStatus.values:
        status = ArticleStatus.IN_REVIEW
    counts = {value: queries.editor_articles(value).count() for value in ArticleStatus.values}
    context = {
        "status": status,
        "tabs": [(value, label, counts[value]) for value, label in ArticleStatus.choices],
        "articles": list(queries.editor_articles(status)[:200]),
        "failed_searches": queries.failed_searches(limit=50),
        "can_add": user.has_perm(ADD_ARTICLE),
        "can_handle_searches": user.has_perm("knowledge.change_failedsearch"),
        "nav_section": "knowledge",
    }
    return render(request, "desk/knowledge/editor.html", context)


@require_POST
@staff_required(VIEW_ARTICLE)
def knowledge_failed_search_handled(request: HttpRequest, failed_search_id: int) -> HttpResponse:
    user = _staff(request)
    failed = get_object_or_404(FailedSearch, pk=failed_search_id)
    try:
        services.mark_failed_search_handled(actor=user, failed_search=failed)
    except NotAllowed as refusal:
        raise PermissionDenied(refusal.message) from refusal
    return redirect("desk:knowledge_editor")


# ---------- Diagnosis guides ----------
class StartGuideForm(forms.Form):
    contact = forms.CharField(label=gettext_lazy("Contact number"), max_length=64, required=False, strip=True)


class LinkOrderForm(forms.Form):
    order = forms.CharField(label=gettext_lazy("Work order number"), max_length=64, strip=True)


@staff_required(VIEW_GUIDE)
def knowledge_guides(request: HttpRequest) -> HttpResponse:
    context = {
        "guides": list(queries.active_guides()),
        "contact": request.GET.get("contact", "")[:64],
        "nav_section": "knowledge",
    }
    return render(request, "desk/knowledge/guides.html", context)


@require_POST
@staff_required(VIEW_GUIDE)
def knowledge_guide_start(request: HttpRequest, code: str) -> HttpResponse:
    user = _staff(request)
    guide = queries.guide_or_404(code)
    form = StartGuideForm(request.POST)
    contact = form.cleaned_data["contact"] if form.is_valid() else ""
    try:
        walk = services.start_walkthrough(actor=user, guide=guide, contact_reference=contact)
    except (BusinessRuleError, NotAllowed) as refusal:
        messages.error(request, refusal.message)
        return redirect("desk:knowledge_guides")
    return redirect("desk:knowledge_walk", walkthrough_id=walk.pk)


def _walk_context(walk: GuideWalkthrough, **extra: Any) -> dict[str, Any]:
    step = guides.node(walk.guide.tree, walk.current_node)
    return {
        "walk": walk,
        "guide": walk.guide,
        "step": step,
        "step_kind": GuideNodeKind(step.kind).label,
        "is_open": walk.outcome == WalkthroughOutcome.IN_PROGRESS,
        "summary": guides.summary_of(walk.path),
        "link_form": extra.pop("link_form", LinkOrderForm(initial={"order": walk.order_reference})),
        "nav_section": "knowledge",
        **extra,
    }


@staff_required(VIEW_GUIDE)
def knowledge_walk(request: HttpRequest, walkthrough_id: int) -> HttpResponse:
    walk = queries.walkthrough_or_404(walkthrough_id)
    return render(request, "desk/knowledge/walk.html", _walk_context(walk))


@require_POST
@staff_required(VIEW_GUIDE)
def knowledge_walk_step(request: HttpRequest, walkthrough_id: int, move: str) -> HttpResponse:
    """Answer the current step, go one step back, stop, or note the repair order opened from it."""
    user = _staff(request)
    walk = queries.walkthrough_or_404(walkthrough_id)
    try:
        if move == "answer":
            services.answer_step(actor=user, walkthrough=walk, answer=int(request.POST.get("answer", "-1")))
        elif move == "back":
            services.step_back(actor=user, walkthrough=walk)
        elif move == "abandon":
            services.abandon_walkthrough(actor=user, walkthrough=walk)
        elif move == "order":
            form = LinkOrderForm(request.POST)
            if not form.is_valid():
                raise BusinessRuleError(_("Say which work order."), code="order_required")
            services.link_walkthrough_to_order(actor=user, walkthrough=walk, order_reference=form.cleaned_data["order"])
            messages.success(request, _("The walk-through is kept with the work order."))
        else:
            raise Http404("No such move")
    except ValueError:
        messages.error(request, _("Pick one of the answers shown."))
    except (BusinessRuleError, NotAllowed) as refusal:
        messages.error(request, refusal.message)
        walk = queries.walkthrough_or_404(walkthrough_id)
        status = 403 if isinstance(refusal, NotAllowed) else 409
        return render(request, "desk/knowledge/walk.html", _walk_context(walk), status=status)
    return redirect("desk:knowledge_walk", walkthrough_id=walk.pk)


urlpatterns = [
    path("", knowledge_search, name="knowledge_search"),
    path("suggest/", knowledge_suggest, name="knowledge_suggest"),
    path("editor/", knowledge_editor, name="knowledge_editor"),
    path("new/", knowledge_new, name="knowledge_new"),
    path("articles/<str:code>/", knowledge_article, name="knowledge_article"),
    path("articles/<str:code>/diff/", knowledge_diff, name="knowledge_diff"),
    path("articles/<str:code>/edit/", knowledge_edit, name="knowledge_edit"),
    path("articles/<str:code>/solved/", knowledge_solved, name="knowledge_solved"),
    path("articles/<str:code>/used/", knowledge_used, name="knowledge_used"),
    path("articles/<str:code>/attach/", knowledge_attach, name="knowledge_attach"),
    path("articles/<str:code>/attachments/<int:attachment_id>/", knowledge_attachment, name="knowledge_attachment"),
    path("articles/<str:code>/<str:action>/", knowledge_transition, name="knowledge_transition"),
    path(
        "failed-searches/<int:failed_search_id>/handled/",
        knowledge_failed_search_handled,
        name="knowledge_failed_search_handled",
    ),
    path("guides/", knowledge_guides, name="knowledge_guides"),
    path("guides/<str:code>/start/", knowledge_guide_start, name="knowledge_guide_start"),
    path("walks/<int:walkthrough_id>/", knowledge_walk, name="knowledge_walk"),
    path("walks/<int:walkthrough_id>/<str:move>/", knowledge_walk_step, name="knowledge_walk_step"),
]
