"""The work order pages (PRODUCT §5): lists with saved views, the order page with its timeline,
SLA clocks and actions, opening an order from the 360 view, the dispatcher's board and the
engineers' field page.

Each view parses, authorises (staff_required, then the scoped `tickets.queries`), calls one
service and renders. A refusal (BusinessRuleError / NotAllowed) is shown beside the form that
asked for it, with the order unchanged, never as a server error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_POST

from kefu.accounts.models import ServiceArea, User
from kefu.accounts.permissions import ensure_permissions, staff_required
from kefu.accounts.queries import area_ids_visible_to
from kefu.contacts import queries as contact_queries
from kefu.contacts.models import Contact as CustomerContact  # an interaction; `Contact` below is a person
from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.core.masking import mask_address, mask_phone
from kefu.customers.choices import ServiceKind
from kefu.customers.models import Customer
from kefu.customers.phones import format_phone
from kefu.customers.queries import customer_for_user_or_404, customer_profile
from kefu.desk.forms_orders import (
    PROGRESS_STEPS,
    AttachmentForm,
    CallbackForm,
    DispatchForm,
    EmptyActionForm,
    HoldForm,
    NoteForm,
    OrderActionForm,
    OrderCreateForm,
    OrderFilterForm,
    ProgressForm,
    ReasonForm,
    ResolveForm,
    order_channel_of,
)
from kefu.desk.views import DeskRequest
from kefu.messaging.services import unread_notices
from kefu.tickets import services
from kefu.tickets.attachments import attach_file
from kefu.tickets.choices import OPEN_STATUSES, Channel, EventKind, PendingReason, Status
from kefu.tickets.models import OrderEvent, WorkOrder
from kefu.tickets.queries import (
    DUE_SOON,
    dispatch_board,
    dispatch_targets,
    order_for_user_or_404,
    orders_visible_to,
    saved_view,
    timeline,
)
from kefu.tickets.services.lifecycle import ACTIONS, available_actions

VIEW_ORDERS = "tickets.view_workorder"
ADD_ORDERS = "tickets.add_workorder"
WORK_ORDERS = "tickets.work_workorder"
DISPATCH_ORDERS = "tickets.dispatch_workorder"
CALLBACK_ORDERS = "tickets.callback_workorder"
SUPERVISE_ORDERS = "tickets.supervise_workorder"
VIEW_CUSTOMER = "customers.view_customer"
VIEW_PII = "customers.view_customer_pii"
PAGE_SIZE = 25
CALLBACK_VIEW = "callback"  # resolved orders waiting for the customer's callback (回访)
TAB_LABELS: dict[str, Any] = {
    "mine": gettext_lazy("Mine"),
    "team": gettext_lazy("My team"),
    "area": gettext_lazy("My area"),
    "due_soon": gettext_lazy("Due soon"),
    "overdue": pgettext_lazy("work orders", "Overdue"),
    "returned": gettext_lazy("Returned"),
    CALLBACK_VIEW: gettext_lazy("Awaiting callback"),
    "open": gettext_lazy("All open"),
}
STEP_LABELS: dict[str, Any] = dict(PROGRESS_STEPS)
# "Phone" alone reads as a phone number field in Chinese; as a channel it is a call.
CHANNEL_LABELS: dict[str, Any] = {Channel.PHONE: pgettext_lazy("order channel", "Phone call")}


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # staff_required has already sent anonymous visitors away
        raise PermissionDenied
    return user


# ---------- Presentation: SLA clocks and the timeline ----------


def _span(delta: dt.timedelta) -> str:
    """A duration as people say it: 2 d 3 h, 3 h 20 min, 12 min."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        if not hours:
            return _("%(days)d d") % {"days": days}
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@dataclass(frozen=True)
class Clock:
    """Where an SLA deadline stands for a person: due in X, overdue by X, paused, met."""

    label: str
    tone: str
    due: dt.datetime
    percent_used: int


def sla_clock(
    due: dt.datetime | None, started: dt.datetime, done_at: dt.datetime | None, paused_at: dt.datetime | None
) -> Clock | None:
    if due is None:
        return None
    now = timezone.now()
    span = max((due - started).total_seconds(), 1)
    if done_at is not None:
        if done_at <= due:
            return Clock(_("Met"), "success", due, 100)
        return Clock(_("Late by %(time)s") % {"time": _span(done_at - due)}, "danger", due, 100)
    if paused_at is not None:
        left = _span(due - paused_at) if due > paused_at else _span(dt.timedelta(0))
        percent = int(min(max((paused_at - started).total_seconds() / span, 0), 1) * 100)
        return Clock(_("Paused · %(time)s left") % {"time": left}, "muted", due, percent)
    percent = int(min(max((now - started).total_seconds() / span, 0), 1) * 100)
    if due <= now:
        return Clock(_("Overdue by %(time)s") % {"time": _span(now - due)}, "danger", due, 100)
    tone = "warning" if due - now <= DUE_SOON else "info"
    return Clock(_("Due in %(time)s") % {"time": _span(due - now)}, tone, due, percent)


def resolution_clock(order: WorkOrder) -> Clock | None:
    if order.status == Status.CANCELLED:
        return None
    return sla_clock(order.resolution_due, order.created_at, order.resolved_at, order.paused_at)


def response_clock(order: WorkOrder) -> Clock | None:
    if order.status == Status.CANCELLED:
        return None
    return sla_clock(order.response_due, order.created_at, order.responded_at, order.paused_at)


@dataclass(frozen=True)
class OrderRow:
    order: WorkOrder
    clock: Clock | None


def _rows(orders: list[WorkOrder]) -> list[OrderRow]:
    return [OrderRow(order, resolution_clock(order)) for order in orders]


@dataclass(frozen=True)
class TimelineEntry:
    """One event of the order's history, in the reader's language."""

    at: dt.datetime
    title: str
    actor: str
    kind: str
    tone: str
    from_label: str
    to_label: str
    detail: str
    reason: str
    channel: str


_STATUS_LABELS = dict(Status.choices)
_EVENT_TONES: dict[str, str] = {
    EventKind.CREATED: "accent",
    EventKind.SLA_WARNING: "warning",
    EventKind.SLA_OVERDUE: "danger",
    EventKind.ESCALATED: "danger",
    EventKind.CALLBACK: "success",
    EventKind.NOTE: "muted",
}
_TRANSITION_TONES: dict[str, str] = {Status.RESOLVED: "success", Status.CLOSED: "success", Status.RETURNED: "danger"}


def _event_title(event: OrderEvent) -> str:
    data = event.data or {}
    if event.kind == EventKind.CREATED:
        return _("Order opened")
    if event.kind == EventKind.TRANSITION and data.get("action") in ACTIONS:
        return str(ACTIONS[data["action"]].label)
    if event.kind == EventKind.PROGRESS:
        return str(STEP_LABELS.get(data.get("step", ""), event.get_kind_display()))
    if event.kind == EventKind.ESCALATED:
        return _("Escalated to level %(level)s") % {"level": data.get("level", "?")}
    return str(event.get_kind_display())


def _event_detail(event: OrderEvent) -> str:
    data = event.data or {}
    if event.kind == EventKind.TRANSITION and data.get("action") in ("dispatch", "redispatch"):
        target = " · ".join(part for part in (data.get("team"), data.get("assignee")) if part)
        automatic = _("automatic") if event.actor_id is None else ""
        return " · ".join(part for part in (target, automatic) if part)
    if event.kind == EventKind.CALLBACK:
        solved = _("solved") if data.get("solved") else _("not solved")
        return _("Satisfaction %(score)s/5 · %(solved)s") % {"score": data.get("satisfaction"), "solved": solved}
    if event.kind == EventKind.TRANSITION and data.get("pending_reason"):
        return str(dict(PendingReason.choices).get(data["pending_reason"], ""))
    if event.kind == EventKind.MERGED:
        return data.get("into") or data.get("from") or ""
    if event.kind == EventKind.LINKED:
        return data.get("parent") or data.get("child") or ""
    if event.kind == EventKind.ATTACHMENT:
        return event.reason  # the file's name
    return ""


def _channel_name(event: OrderEvent) -> str:
    if event.channel == Channel.SYSTEM:
        return ""  # "System · System" says nothing twice
    return str(CHANNEL_LABELS.get(event.channel, event.get_channel_display()))


def _actor_name(event: OrderEvent) -> str:
    if event.actor is not None:
        return str(event.actor)
    return _("System") if event.actor_label in ("", "system") else event.actor_label


def timeline_entries(order: WorkOrder) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    previous: OrderEvent | None = None
    for event in timeline(order):
        reason = event.reason if event.kind != EventKind.ATTACHMENT else ""
        if previous is not None and previous.kind == EventKind.CALLBACK and reason == previous.reason:
            reason = ""  # closing after a callback repeats the customer's words: show them once
        previous = event
        tone = _EVENT_TONES.get(event.kind, "accent")
        if event.kind == EventKind.TRANSITION:
            tone = _TRANSITION_TONES.get(event.to_status, "accent")
        entries.append(
            TimelineEntry(
                at=event.at,
                title=_event_title(event),
                actor=_actor_name(event),
                kind=event.kind,
                tone=tone,
                from_label=str(_STATUS_LABELS.get(event.from_status, "")) if event.from_status else "",
                to_label=str(_STATUS_LABELS.get(event.to_status, "")) if event.to_status else "",
                detail=_event_detail(event),
                reason=reason,
                channel=_channel_name(event),
            )
        )
    return entries


# ---------- Lists ----------


@dataclass(frozen=True)
class Tab:
    name: str
    label: str
    count: int
    is_active: bool


def _view_orders(user: User, name: str) -> QuerySet[WorkOrder]:
    if name == CALLBACK_VIEW:
        return saved_view(user, "all").filter(status=Status.RESOLVED)
    return saved_view(user, name)


def _tab_names(user: User) -> list[str]:
    names = []
    if user.has_perm(WORK_ORDERS):
        names.append("mine")
    if user.team_id is not None:
        names.append("team")
    if user.areas.exists():
        names.append("area")
    names += ["due_soon", "overdue", "returned"]
    if user.has_perm(CALLBACK_ORDERS):
        names.append(CALLBACK_VIEW)
    names.append("open")
    return names


def _default_view(user: User) -> str:
    """Those who work orders start on their own; everyone else on all open orders."""
    return "mine" if user.has_perm(WORK_ORDERS) and not user.has_perm(DISPATCH_ORDERS) else "open"


def _visible_areas(user: User) -> QuerySet[ServiceArea]:
    area_ids = area_ids_visible_to(user)
    areas = ServiceArea.objects.all() if area_ids is None else ServiceArea.objects.filter(id__in=area_ids)
    return areas.order_by("path")


def _list_related(orders: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    return orders.select_related("order_type", "customer", "service_area", "team", "assignee")


@staff_required(VIEW_ORDERS)
def order_list(request: DeskRequest) -> HttpResponse:
    user = _staff(request)
    names = _tab_names(user)
    current = request.GET.get("view") or _default_view(user)
    if current not in names:
        current = names[-1]
    tabs = [Tab(name, str(TAB_LABELS[name]), _view_orders(user, name).count(), name == current) for name in names]
    filters = OrderFilterForm(request.GET or None, areas=_visible_areas(user))
    orders = _list_related(filters.apply(_view_orders(user, current))).order_by("-created_at", "-id")
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    kept = {key: value for key, value in request.GET.items() if key != "page" and value}
    context = {
        "tabs": tabs,
        "current_view": current,
        "filters": filters,
        "page": page,
        "rows": _rows(list(page.object_list)),
        "query_without_page": urlencode(kept),
        "filtered": any(key in kept for key in ("status", "category", "area", "q")),
        "nav_section": "orders",
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "desk/orders/_list_results.html", context)
    return render(request, "desk/orders/list.html", context)


# ---------- The order page and its actions ----------


@dataclass
class ActionPanel:
    """One action button and the small form behind it."""

    code: str
    label: str
    form: forms.Form
    tone: str = ""
    is_open: bool = False
    needs_input: bool = True


@dataclass(frozen=True)
class ActionSpec:
    form_class: type[OrderActionForm]
    # (actor, order, cleaned data, channel) → what to tell the person when it worked
    run: Callable[[User, WorkOrder, dict[str, Any], str], str]
    form_options: Callable[[WorkOrder], dict[str, Any]] = lambda order: {}


def _dispatch(user: User, order: WorkOrder, data: dict[str, Any], channel: str) -> str:
    team, person = data["target"]
    order = services.dispatch_order(actor=user, order=order, team=team, assignee=person, reason=data["reason"])
    target = " · ".join(str(part) for part in (order.team, order.assignee) if part)
    return _("Order %(number)s dispatched to %(target)s.") % {"number": order.number, "target": target}


def _resolve(user: User, order: WorkOrder, data: dict[str, Any], channel: str) -> str:
    # The result, the photo and the note are one completion report: all of it, or none of it.
    with transaction.atomic():
        services.resolve_order(actor=user, order=order, resolution=data["resolution"], channel=channel)
        if data.get("photo"):
            attach_file(actor=user, order=order, upload=data["photo"])
        if data.get("note", "").strip():
            services.add_note(actor=user, order=order, text=data["note"], channel=channel)
    return _("Completion reported for %(number)s.") % {"number": order.number}


def _callback(user: User, order: WorkOrder, data: dict[str, Any], channel: str) -> str:
    services.record_callback(
        actor=user,
        order=order,
        satisfaction=data["satisfaction"],
        comment=data["comment"],
        solved=data["solved"],
        channel=Channel.PHONE,
    )
    if data["solved"]:
        return _("Callback recorded; %(number)s is closed.") % {"number": order.number}
    return _("Callback recorded; %(number)s is reopened for the dispatcher.") % {"number": order.number}


def _note(user: User, order: WorkOrder, data: dict[str, Any], channel: str) -> str:
    services.add_note(actor=user, order=order, text=data["text"], channel=channel)
    return _("Note added.")


def _progress(user: User, order: WorkOrder, data: dict[str, Any], channel: str) -> str:
    services.report_progress(actor=user, order=order, step=data["step"], note=data["note"], channel=channel)
    return _("“%(step)s” recorded for %(number)s.") % {"step": STEP_LABELS[data["step"]], "number": order.number}


def _done(message: Any) -> Callable[[WorkOrder], str]:
    return lambda order: str(message) % {"number": order.number}


_ACCEPTED = _done(gettext_lazy("You accepted %(number)s."))
_STATUS_SAVED = _done(gettext_lazy("%(number)s updated."))

ACTION_SPECS: dict[str, ActionSpec] = {
    "dispatch": ActionSpec(
        DispatchForm, _dispatch, lambda order: {"targets": dispatch_targets(order.order_type.handled_by)}
    ),
    "accept": ActionSpec(
        EmptyActionForm, lambda u, o, d, c: _ACCEPTED(services.accept_order(actor=u, order=o, channel=c))
    ),
    "start": ActionSpec(
        EmptyActionForm, lambda u, o, d, c: _STATUS_SAVED(services.start_work(actor=u, order=o, channel=c))
    ),
    "progress": ActionSpec(ProgressForm, _progress),
    "hold": ActionSpec(
        HoldForm,
        lambda u, o, d, c: _STATUS_SAVED(
            services.hold_order(actor=u, order=o, reason=d["reason"], pending_reason=d["pending_reason"], channel=c)
        ),
    ),
    "resume": ActionSpec(
        EmptyActionForm, lambda u, o, d, c: _STATUS_SAVED(services.resume_order(actor=u, order=o, channel=c))
    ),
    "return": ActionSpec(
        ReasonForm,
        lambda u, o, d, c: _STATUS_SAVED(services.return_order(actor=u, order=o, reason=d["reason"], channel=c)),
    ),
    "resolve": ActionSpec(ResolveForm, _resolve),
    "callback": ActionSpec(CallbackForm, _callback),
    "reopen": ActionSpec(
        ReasonForm, lambda u, o, d, c: _STATUS_SAVED(services.reopen_order(actor=u, order=o, reason=d["reason"]))
    ),
    "cancel": ActionSpec(
        ReasonForm, lambda u, o, d, c: _STATUS_SAVED(services.cancel_order(actor=u, order=o, reason=d["reason"]))
    ),
    "escalate": ActionSpec(
        ReasonForm, lambda u, o, d, c: _STATUS_SAVED(services.escalate_order(actor=u, order=o, reason=d["reason"]))
    ),
    "note": ActionSpec(NoteForm, _note),
    "attach": ActionSpec(
        AttachmentForm,
        lambda u, o, d, c: _("%(name)s attached.") % {"name": attach_file(actor=u, order=o, upload=d["file"]).name},
    ),
}
# Buttons in the order people meet them: the way forward first, the way back last.
PANEL_ORDER = ("dispatch", "accept", "start", "progress", "resume", "resolve", "callback", "hold", "return")
PANEL_TONES = {"accept": "primary", "resolve": "primary", "callback": "primary", "dispatch": "primary"}
DANGER_PANELS = frozenset({"return", "cancel"})
NO_INPUT = frozenset({"accept", "start", "resume"})


def _panel_codes(user: User, order: WorkOrder) -> list[str]:
    """The action forms this person may use on this order now (from the state machine)."""
    allowed = {action.code for action in available_actions(user, order)}
    codes = set()
    if allowed & {"dispatch", "redispatch"}:
        codes.add("dispatch")
    codes |= allowed & {"accept", "start", "resume", "resolve", "hold", "return", "cancel", "escalate"}
    if order.status == Status.RESOLVED and allowed & {"close", "reopen"}:
        codes.add("callback")
    elif "reopen" in allowed and user.has_perm(SUPERVISE_ORDERS):
        # The state machine lets call-back staff reopen, but reopen_order keeps a closed order
        # to supervisors: offer only the button that can work.
        codes.add("reopen")
    if allowed & {"hold", "resume", "resolve"}:  # the person works this order: they report progress
        codes.add("progress")
    order_of = {code: position for position, code in enumerate(PANEL_ORDER)}
    return sorted(codes, key=lambda code: (order_of.get(code, 50), code))


def _panel_label(code: str, order: WorkOrder) -> str:
    if code == "dispatch":
        return str(ACTIONS["redispatch" if order.status in ACTIONS["redispatch"].sources else "dispatch"].label)
    if code == "callback":
        return _("Record callback")
    if code == "progress":
        return _("Report progress")
    return str(ACTIONS[code].label)


def _new_form(code: str, user: User, order: WorkOrder, data: Any = None, files: Any = None) -> OrderActionForm:
    spec = ACTION_SPECS[code]
    return spec.form_class(data, files, order=order, user=user, prefix=code, **spec.form_options(order))


def _panels(user: User, order: WorkOrder, failed: tuple[str, forms.Form] | None) -> list[ActionPanel]:
    panels = []
    for code in _panel_codes(user, order):
        form: forms.Form = failed[1] if failed and failed[0] == code else _new_form(code, user, order)
        panels.append(
            ActionPanel(
                code=code,
                label=_panel_label(code, order),
                form=form,
                tone="danger" if code in DANGER_PANELS else PANEL_TONES.get(code, ""),
                is_open=bool(failed and failed[0] == code),
                needs_input=code not in NO_INPUT,
            )
        )
    return panels


@dataclass(frozen=True)
class Contact:
    """The customer as this reader may see them on the order."""

    phone: str
    dial: str  # what a tel: link dials; empty when the reader may not call from the page
    address: str
    line: str


def _contact(user: User, order: WorkOrder, field_mode: bool) -> Contact:
    full = user.has_perm(VIEW_PII)
    # The one exception to masking: the engineer assigned to the order sees the full number
    # and address on the field page, because they must call the customer and find the door.
    if field_mode and order.assignee_id == user.pk:
        full = True
    phone = order.contact_phone
    line = ""
    if order.subscription is not None:
        identifier = order.subscription.identifier
        if order.subscription.service == ServiceKind.MOBILE and not full:
            identifier = mask_phone(identifier)
        line = f"{order.subscription.get_service_display()} {identifier}"
    return Contact(
        phone=(format_phone(phone) if full else mask_phone(phone)) if phone else "",
        dial=phone if full and field_mode else "",
        address=order.address if full else mask_address(order.address),
        line=line,
    )


@dataclass(frozen=True)
class Detail:
    label: str
    value: str


def _details(order: WorkOrder) -> list[Detail]:
    """The type's own fields (故障现象, 相关设备 …) as filled in, in the type's order."""
    values = order.fields or {}
    labels = {spec["name"]: spec.get("label") or spec["name"] for spec in order.order_type.form_fields}
    named = [Detail(labels[name], str(values[name])) for name in labels if values.get(name) not in (None, "")]
    extra = [Detail(name, str(value)) for name, value in values.items() if name not in labels]
    return named + extra


def _order_context(
    request: HttpRequest, user: User, order: WorkOrder, field_mode: bool, failed: tuple[str, forms.Form] | None
) -> dict[str, Any]:
    entries = timeline_entries(order)
    steps_done = {entry.kind + ":" + entry.title for entry in entries}
    return {
        "order": order,
        "field_mode": field_mode,
        "contact": _contact(user, order, field_mode),
        "details": _details(order),
        "response": response_clock(order),
        "resolution": resolution_clock(order),
        "timeline": entries,
        "attachments": list(order.attachments.select_related("uploaded_by")),
        "children": list(orders_visible_to(user).filter(parent=order).select_related("order_type")),
        "panels": _panels(user, order, failed),
        "note_form": failed[1] if failed and failed[0] == "note" else _new_form("note", user, order),
        "attach_form": failed[1] if failed and failed[0] == "attach" else _new_form("attach", user, order),
        "may_attach": user.has_perm(ADD_ORDERS) or user.has_perm(WORK_ORDERS),
        "went": f"{EventKind.PROGRESS}:{STEP_LABELS['on_the_way']}" in steps_done,
        "arrived": f"{EventKind.PROGRESS}:{STEP_LABELS['arrived']}" in steps_done,
        "failed_code": failed[0] if failed else "",
        # Why the last action was refused, shown at the top where a phone user lands after posting.
        "refusals": list(failed[1].non_field_errors()) if failed else [],
        "nav_section": "orders",
    }


def _render_order(
    request: HttpRequest,
    user: User,
    order: WorkOrder,
    *,
    field_mode: bool = False,
    failed: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    template = "desk/orders/field_order.html" if field_mode else "desk/orders/detail.html"
    return render(request, template, _order_context(request, user, order, field_mode, failed), status=status)


@staff_required(VIEW_ORDERS)
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    user = _staff(request)
    return _render_order(request, user, order_for_user_or_404(user, number))


@require_POST
@staff_required(VIEW_ORDERS)
def order_action(request: HttpRequest, number: str, code: str) -> HttpResponse:
    """Every button of the order page posts here; the service decides whether it may happen."""
    user = _staff(request)
    order = order_for_user_or_404(user, number)
    if code not in ACTION_SPECS:
        raise Http404("No such action")
    came_from = request.POST.get("from", "")
    field_mode = came_from == "field"
    form = _new_form(code, user, order, request.POST, request.FILES)
    if form.is_valid():
        try:
            message = ACTION_SPECS[code].run(
                user, order, form.cleaned_data, Channel.FIELD if field_mode else Channel.DESK
            )
        except (BusinessRuleError, NotAllowed) as refusal:
            form.add_error(None, refusal.message)
            status = 403 if isinstance(refusal, NotAllowed) else 409
        else:
            messages.success(request, message)
            if came_from == "board":
                return redirect("desk:order_board")
            return redirect("desk:field_order" if field_mode else "desk:order_detail", number=order.number)
    else:
        status = 400
    if came_from == "board":
        messages.error(request, "; ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect("desk:order_board")
    # Read again: the refused service worked on its own locked copy and changed nothing.
    order = order_for_user_or_404(user, number)
    return _render_order(request, user, order, field_mode=field_mode, failed=(code, form), status=status)


def order_attachment(request: HttpRequest, number: str, attachment_id: int) -> HttpResponseBase:
    """A photo or document of an order, to whoever may see the order."""
    # Checked here rather than by staff_required, whose views answer with a plain HttpResponse.
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    ensure_permissions(request.user, (VIEW_ORDERS,))
    user = _staff(request)
    order = order_for_user_or_404(user, number)
    attachment = get_object_or_404(order.attachments, pk=attachment_id)
    return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type, filename=attachment.name)


# ---------- Opening an order from the customer 360 ----------


@staff_required(ADD_ORDERS, VIEW_CUSTOMER)
def order_create(request: DeskRequest, customer_id: int) -> HttpResponse:
    user = _staff(request)
    customer = customer_for_user_or_404(user, customer_id)
    earlier = orders_visible_to(user)
    status = 200
    if request.method == "POST":
        form = OrderCreateForm(request.POST, customer=customer, earlier_orders=earlier)
        if form.is_valid():
            data = form.cleaned_data
            contact = _source_contact(user, data.get("contact"), customer)
            try:
                order = services.create_order(
                    actor=user,
                    order_type=data["order_type"],
                    title=form.order_title(),
                    customer=customer,
                    subscription=data["subscription"],
                    description=data["description"],
                    fields=form.type_values(),
                    priority=data["priority"],
                    contact_phone=data["contact_phone"],
                    related_order=data.get("related_order"),
                    channel=order_channel_of(contact),
                    source_contact=contact,
                )
            except (BusinessRuleError, NotAllowed) as refusal:
                form.add_error(None, refusal.message)
                status = 409
            else:
                messages.success(request, _created_message(order))
                return redirect("desk:order_detail", number=order.number)
        else:
            status = 400
    else:
        # ?order_type= comes from the type picker (htmx), ?type= and ?line= from links that preselect.
        contact_id = request.GET.get("contact", "")
        contact = _source_contact(user, int(contact_id) if contact_id.isdigit() else None, customer)
        initial = {
            "order_type": request.GET.get("order_type") or request.GET.get("type", ""),
            "subscription": request.GET.get("line") or None,
            # From the agent desktop: the contact's subject (or first question) and the contact itself.
            "title": request.GET.get("title", "")[:200] or (contact.subject if contact else ""),
            "contact": contact.pk if contact else None,
        }
        form = OrderCreateForm(initial=initial, customer=customer, earlier_orders=earlier)
    context = {
        "customer": customer,
        "profile": customer_profile(user, customer),
        "form": form,
        "open_orders": _rows(list(_list_related(earlier.filter(customer=customer, status__in=OPEN_STATUSES)))),
        "nav_section": "customers",
    }
    if request.htmx and request.method == "GET" and not request.htmx.history_restore_request:
        return render(request, "desk/orders/_create_type_details.html", context)
    return render(request, "desk/orders/create.html", context, status=status)


def _source_contact(user: User, contact_id: int | None, customer: Customer) -> CustomerContact | None:
    """The contact an order is opened from: one of this customer's that the user answered, else 404."""
    if contact_id is None:
        return None
    contact = contact_queries.contact_handled_by(user, contact_id, customer)
    if contact is None:
        raise Http404("Not one of your contacts with this customer")
    return contact


def _created_message(order: WorkOrder) -> str:
    if order.status == Status.DISPATCHED:
        target = " · ".join(str(part) for part in (order.team, order.assignee) if part)
        return _("Order %(number)s opened and dispatched to %(target)s.") % {"number": order.number, "target": target}
    return _("Order %(number)s opened; it waits for a dispatcher.") % {"number": order.number}


@staff_required(VIEW_ORDERS, VIEW_CUSTOMER)
def customer_orders(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer's orders on the 360 view (loaded by htmx into its card)."""
    user = _staff(request)
    customer = customer_for_user_or_404(user, customer_id)
    orders = _list_related(orders_visible_to(user).filter(customer=customer))
    context = {
        "customer": customer,
        "rows": _rows(list(orders.filter(status__in=OPEN_STATUSES).order_by("-created_at")[:10])),
        "finished_count": orders.exclude(status__in=OPEN_STATUSES).count(),
    }
    return render(request, "desk/orders/_customer_orders.html", context)


# ---------- The dispatcher's board ----------


@dataclass
class BoardGroup:
    """The orders of one area in one column of the board."""

    area: str
    items: list[BoardItem] = field(default_factory=list)


@dataclass(frozen=True)
class BoardItem:
    row: OrderRow
    form: DispatchForm
    needs_reason: bool


def _group_by_area(orders: list[WorkOrder], user: User, targets: dict[str, Any]) -> list[BoardGroup]:
    groups: dict[str, BoardGroup] = {}
    for order in orders:
        area = order.service_area.full_name if order.service_area else _("No service area")
        form = DispatchForm(order=order, user=user, targets=targets[order.order_type.handled_by], prefix="dispatch")
        form.auto_id = f"id_{order.number}_%s"
        item = BoardItem(OrderRow(order, resolution_clock(order)), form, order.status in ACTIONS["redispatch"].sources)
        groups.setdefault(area, BoardGroup(area)).items.append(item)
    return sorted(groups.values(), key=lambda group: group.area)


@staff_required(DISPATCH_ORDERS)
def order_board(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    board = dispatch_board(user)
    kinds = {order.order_type.handled_by for order in board.unassigned + board.returned + board.overdue}
    targets = {kind: dispatch_targets(kind) for kind in kinds}
    columns = [
        ("unassigned", _("To dispatch"), board.unassigned, "info"),
        ("returned", _("Returned"), board.returned, "danger"),
        ("overdue", pgettext("work orders", "Overdue"), board.overdue, "warning"),
    ]
    context = {
        "columns": [
            {
                "code": code,
                "title": title,
                "count": len(orders),
                "tone": tone,
                "groups": _group_by_area(orders, user, targets),
            }
            for code, title, orders, tone in columns
        ],
        "nav_section": "orders",
    }
    return render(request, "desk/orders/board.html", context)


# ---------- The field page ----------


@staff_required(WORK_ORDERS)
def field_home(request: HttpRequest) -> HttpResponse:
    """An engineer's orders as cards on their phone: theirs first, then the rest of their areas."""
    user = _staff(request)
    mine = _list_related(saved_view(user, "mine")).order_by("resolution_due", "created_at")
    nearby = _list_related(saved_view(user, "area").exclude(assignee=user)).order_by("resolution_due")[:30]
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    context = {
        "mine": _rows(list(mine)),
        "nearby": _rows(list(nearby)),
        "resolved_today": orders_visible_to(user).filter(assignee=user, resolved_at__gte=today).count(),
        "nav_section": "orders",
    }
    return render(request, "desk/orders/field_home.html", context)


@staff_required(WORK_ORDERS)
def field_order(request: HttpRequest, number: str) -> HttpResponse:
    user = _staff(request)
    return _render_order(request, user, order_for_user_or_404(user, number), field_mode=True)


# ---------- The navigation's badge and bell (loaded by htmx on every page) ----------


def _my_queue(user: User) -> QuerySet[WorkOrder]:
    """What waits for this person: their own orders, else the dispatcher's pile, else callbacks."""
    if user.has_perm(WORK_ORDERS) and not user.has_perm(DISPATCH_ORDERS):
        return saved_view(user, "mine")
    visible = orders_visible_to(user)
    if user.has_perm(DISPATCH_ORDERS):
        return visible.filter(Q(status=Status.NEW) | Q(status=Status.RETURNED))
    if user.has_perm(CALLBACK_ORDERS):
        return visible.filter(status=Status.RESOLVED)
    return visible.none()


@staff_required()
def order_nav_badge(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    count = _my_queue(user).count() if user.has_perm(VIEW_ORDERS) else 0
    return render(request, "desk/orders/_nav_badge.html", {"count": count})


@staff_required()
def notice_bell(request: HttpRequest) -> HttpResponse:
    notices = unread_notices(_staff(request))
    return render(request, "desk/orders/_notice_bell.html", {"count": notices.count(), "notices": notices[:8]})
