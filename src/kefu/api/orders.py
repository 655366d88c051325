"""Work orders over REST: the same services, rules and scoping as the desk pages."""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from kefu.accounts.models import Team, User
from kefu.accounts.permissions import ensure_permissions
from kefu.api.schemas import ErrorOut
from kefu.core.errors import BusinessRuleError
from kefu.customers.models import Subscription
from kefu.customers.queries import customer_to_work_for_or_404
from kefu.tickets import config, services
from kefu.tickets.attachments import attach_file
from kefu.tickets.choices import Channel
from kefu.tickets.models import WorkOrder
from kefu.tickets.queries import VIEWS, order_for_user_or_404, saved_view, timeline

router = Router(tags=["work orders"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class OrderIn(Schema):
    order_type: str
    title: str
    customer_id: int | None = None
    subscription_id: int | None = None
    description: str = ""
    fields: dict[str, Any] = {}
    priority: str | None = None
    contact_phone: str = ""
    address: str = ""
    related_order: str | None = None


class EventOut(Schema):
    at: dt.datetime
    kind: str
    from_status: str
    to_status: str
    actor: str
    reason: str
    channel: str
    data: dict[str, Any]


class OrderOut(Schema):
    number: str
    order_type: str
    order_type_name: str
    category: str
    status: str
    priority: str
    channel: str
    title: str
    description: str
    fields: dict[str, Any]
    customer_id: int | None
    service_area: str | None
    team: str | None
    assignee: str | None
    created_at: dt.datetime
    response_due: dt.datetime | None
    resolution_due: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    is_repeat_complaint: bool
    is_secondary_complaint: bool
    satisfaction: int | None
    escalation_level: int

    @staticmethod
    def resolve_order_type(order: WorkOrder) -> str:
        return order.order_type.code

    @staticmethod
    def resolve_order_type_name(order: WorkOrder) -> str:
        return order.order_type.name

    @staticmethod
    def resolve_service_area(order: WorkOrder) -> str | None:
        return order.service_area.code if order.service_area else None

    @staticmethod
    def resolve_team(order: WorkOrder) -> str | None:
        return order.team.code if order.team else None

    @staticmethod
    def resolve_assignee(order: WorkOrder) -> str | None:
        return order.assignee.username if order.assignee else None


class OrderDetailOut(OrderOut):
    events: list[EventOut]
    attachments: list[str]

    @staticmethod
    def resolve_events(order: WorkOrder) -> list[dict[str, Any]]:
        return [
            {
                "at": e.at,
                "kind": e.kind,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": e.actor_label,
                "reason": e.reason,
                "channel": e.channel,
                "data": e.data,
            }
            for e in timeline(order)
        ]

    @staticmethod
    def resolve_attachments(order: WorkOrder) -> list[str]:
        return [attachment.name for attachment in order.attachments.all()]


class TransitionIn(Schema):
    action: Literal[
        "dispatch",
        "accept",
        "start",
        "hold",
        "resume",
        "return",
        "resolve",
        "close",
        "reopen",
        "cancel",
        "escalate",
        "progress",
    ]
    reason: str = ""
    team: str | None = None
    assignee: str | None = None
    pending_reason: str = "customer"
    satisfaction: int | None = None
    step: str = ""


class NoteIn(Schema):
    text: str


class ListFilters(Schema):
    view: str = "all"
    status: str | None = None
    category: str | None = None
    area: str | None = None
    q: str | None = None


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


@router.post("", response={201: OrderOut, **ERRORS})
def create(request: HttpRequest, body: OrderIn) -> Any:
    """Open a work order; it is dispatched at once unless payment or a person must come first."""
    user = _user(request)
    ensure_permissions(user, ("tickets.add_workorder",))
    order_type = config.active_type(body.order_type)
    if order_type is None:
        raise BusinessRuleError(f"Unknown order type {body.order_type!r}.", code="type_unknown")
    customer = customer_to_work_for_or_404(user, body.customer_id) if body.customer_id else None
    subscription = (
        get_object_or_404(Subscription, pk=body.subscription_id, customer=customer) if body.subscription_id else None
    )
    related = order_for_user_or_404(user, body.related_order) if body.related_order else None
    order = services.create_order(
        actor=user,
        order_type=order_type,
        title=body.title,
        customer=customer,
        subscription=subscription,
        description=body.description,
        fields=body.fields,
        priority=body.priority,
        channel=Channel.API,
        contact_phone=body.contact_phone,
        address=body.address,
        related_order=related,
    )
    return Status(201, order)


@router.get("", response={200: list[OrderOut], **ERRORS})
@paginate(LimitOffsetPagination)
def list_orders(request: HttpRequest, filters: Query[ListFilters]) -> Any:
    user = _user(request)
    ensure_permissions(user, ("tickets.view_workorder",))
    if filters.view not in VIEWS:
        raise BusinessRuleError(f"Unknown view {filters.view!r}; use one of {', '.join(VIEWS)}.", code="view_unknown")
    orders = saved_view(user, filters.view)
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.category:
        orders = orders.filter(category=filters.category)
    if filters.area:
        orders = orders.filter(service_area__path__contains=f"/{filters.area}/")
    if filters.q:
        orders = orders.filter(number=filters.q.strip().upper()) | orders.filter(title__contains=filters.q.strip())
    return orders.select_related("order_type", "service_area", "team", "assignee").order_by("-created_at", "-id")


@router.get("/{number}", response={200: OrderDetailOut, **ERRORS})
def detail(request: HttpRequest, number: str) -> Any:
    user = _user(request)
    ensure_permissions(user, ("tickets.view_workorder",))
    return order_for_user_or_404(user, number)


@router.post("/{number}/transitions", response={200: OrderOut, **ERRORS})
def transition(request: HttpRequest, number: str, body: TransitionIn) -> Any:
    """Move the order through its lifecycle; refused moves answer 409 and change nothing."""
    user = _user(request)
    order = order_for_user_or_404(user, number)
    reason = body.reason
    if body.action == "dispatch":
        team = get_object_or_404(Team, code=body.team) if body.team else None
        assignee = get_object_or_404(User, username=body.assignee) if body.assignee else None
        order = services.dispatch_order(actor=user, order=order, team=team, assignee=assignee, reason=reason)
    elif body.action == "accept":
        order = services.accept_order(actor=user, order=order, channel=Channel.API)
    elif body.action == "start":
        order = services.start_work(actor=user, order=order, note=reason, channel=Channel.API)
    elif body.action == "progress":
        order = services.report_progress(actor=user, order=order, step=body.step, note=reason, channel=Channel.API)
    elif body.action == "hold":
        order = services.hold_order(
            actor=user, order=order, reason=reason, pending_reason=body.pending_reason, channel=Channel.API
        )
    elif body.action == "resume":
        order = services.resume_order(actor=user, order=order, channel=Channel.API)
    elif body.action == "return":
        order = services.return_order(actor=user, order=order, reason=reason, channel=Channel.API)
    elif body.action == "resolve":
        order = services.resolve_order(actor=user, order=order, resolution=reason, channel=Channel.API)
    elif body.action in ("close", "reopen") and body.satisfaction is not None:
        order = services.record_callback(
            actor=user,
            order=order,
            satisfaction=body.satisfaction,
            comment=reason,
            solved=body.action == "close",
            channel=Channel.API,
        )
    elif body.action == "close":
        raise BusinessRuleError("Closing needs the customer's satisfaction (1–5).", code="satisfaction_required")
    elif body.action == "reopen":
        order = services.reopen_order(actor=user, order=order, reason=reason)
    elif body.action == "cancel":
        order = services.cancel_order(actor=user, order=order, reason=reason)
    elif body.action == "escalate":
        order = services.escalate_order(actor=user, order=order, reason=reason)
    return order_for_user_or_404(user, order.number)


@router.post("/{number}/notes", response={201: EventOut, **ERRORS})
def add_note(request: HttpRequest, number: str, body: NoteIn) -> Any:
    user = _user(request)
    order = order_for_user_or_404(user, number)
    event = services.add_note(actor=user, order=order, text=body.text, channel=Channel.API)
    return Status(
        201,
        {
            "at": event.at,
            "kind": event.kind,
            "from_status": "",
            "to_status": "",
            "actor": event.actor_label,
            "reason": event.reason,
            "channel": event.channel,
            "data": {},
        },
    )


@router.post("/{number}/attachments", response={201: dict[str, Any], **ERRORS})
def upload(request: HttpRequest, number: str, file: File[UploadedFile]) -> Any:
    user = _user(request)
    order = order_for_user_or_404(user, number)
    attachment = attach_file(actor=user, order=order, upload=file)
    return Status(201, {"name": attachment.name, "size": attachment.size, "content_type": attachment.content_type})
