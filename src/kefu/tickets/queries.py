"""Reads of work orders, always scoped to the reader (PRODUCT §1 分级别分工位)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kefu.accounts.queries import area_paths_of, areas_within, is_area_scoped
from kefu.core.masking import mask_phone
from kefu.customers.phones import digits_only
from kefu.tickets.choices import OPEN_STATUSES, Status
from kefu.tickets.models import OrderEvent, WorkOrder

DUE_SOON = dt.timedelta(hours=4)
ASSIGNED_ELSEWHERE_BY_ID = 200


def orders_visible_to(user: Any) -> QuerySet[WorkOrder]:
    """Field roles see orders of their areas (and below) or assigned to them; others all."""
    if user is None or not user.is_active or not user.has_perm("tickets.view_workorder"):
        return WorkOrder.objects.none()
    if not is_area_scoped(user):
        return WorkOrder.objects.all()
    area_ids = list(areas_within(area_paths_of(user)).values_list("id", flat=True))
    # "In my areas OR assigned to me" makes the database visit every row of a list to count it
    # (a BitmapOr), thousands for a district manager. Orders assigned to someone outside their
    # areas are few (a re-dispatch across areas): named by id, or not at all when there are
    # none, the condition is one the open-orders (area, due) index answers alone.
    elsewhere = list(
        WorkOrder.objects.filter(assignee=user)
        .exclude(service_area_id__in=area_ids)
        .values_list("pk", flat=True)[: ASSIGNED_ELSEWHERE_BY_ID + 1]
    )
    if not elsewhere:
        return WorkOrder.objects.filter(service_area_id__in=area_ids)
    if len(elsewhere) > ASSIGNED_ELSEWHERE_BY_ID:
        return WorkOrder.objects.filter(Q(service_area_id__in=area_ids) | Q(assignee=user))
    return WorkOrder.objects.filter(Q(service_area_id__in=area_ids) | Q(pk__in=elsewhere))


def order_visible_to(user: Any, order: WorkOrder) -> bool:
    return orders_visible_to(user).filter(pk=order.pk).exists()


def order_for_user_or_404(user: Any, number: str) -> WorkOrder:
    try:
        return (
            orders_visible_to(user)
            .select_related(
                "order_type",
                "customer",
                "subscription",
                "service_area",
                "team",
                "assignee",
                "sla_policy",
                "created_by",
                "related_order",
                "parent",
                "merged_into",
            )
            .get(number=number)
        )
    except WorkOrder.DoesNotExist as error:
        raise Http404("No such work order") from error


VIEWS = ("mine", "team", "area", "due_soon", "overdue", "returned", "open", "all")


def saved_view(user: Any, name: str, now: dt.datetime | None = None) -> QuerySet[WorkOrder]:
    """The named lists of the order pages: mine, my team, my area, due soon, overdue, returned."""
    now = now or timezone.now()
    base = orders_visible_to(user)
    open_orders = base.filter(status__in=OPEN_STATUSES)
    if name == "mine":
        return open_orders.filter(assignee=user)
    if name == "team":
        return open_orders.filter(team_id=user.team_id) if user.team_id else base.none()
    if name == "area":
        area_ids = list(areas_within(area_paths_of(user)).values_list("id", flat=True))
        return open_orders.filter(service_area_id__in=area_ids)
    if name == "due_soon":
        return open_orders.filter(resolution_due__gt=now, resolution_due__lte=now + DUE_SOON, paused_at__isnull=True)
    if name == "overdue":
        return open_orders.filter(resolution_due__lte=now)
    if name == "returned":
        return base.filter(status=Status.RETURNED)
    if name == "open":
        return open_orders
    return base


def view_counts(user: Any, now: dt.datetime | None = None) -> dict[str, int]:
    return {name: saved_view(user, name, now).count() for name in VIEWS if name != "all"}


def overdue_in_my_areas(user: Any, now: dt.datetime | None = None, limit: int = 50) -> list[WorkOrder]:
    """The field manager's first screen: open orders past due in their areas, most overdue first."""
    now = now or timezone.now()
    area_ids = list(areas_within(area_paths_of(user)).values_list("id", flat=True))
    overdue = WorkOrder.objects.filter(status__in=OPEN_STATUSES, resolution_due__lte=now)
    if len(area_ids) > 1 and connection.features.supports_slicing_ordering_in_compound:
        # A district manager has thousands of overdue orders in a few areas. One "area IN (...)
        # ORDER BY due LIMIT n" reads and sorts them all; n rows from each area in due order (a
        # walk of the open-orders (area, due) index each), merged, read only n x areas.
        per_area = [
            overdue.filter(service_area_id=area_id)
            .order_by("resolution_due", "id")
            .values_list("id", "resolution_due")[:limit]
            for area_id in area_ids
        ]
        first = sorted(per_area[0].union(*per_area[1:], all=True), key=lambda row: (row[1], row[0]))[:limit]
        ids = [row[0] for row in first]
        found = overdue.filter(pk__in=ids).select_related("order_type", "assignee", "service_area").in_bulk()
        return [found[pk] for pk in ids if pk in found]
    return list(
        overdue.filter(service_area_id__in=area_ids)
        .select_related("order_type", "assignee", "service_area")
        .order_by("resolution_due")[:limit]
    )


def timeline(order: WorkOrder) -> list[OrderEvent]:
    return list(order.events.select_related("actor").order_by("at", "id"))


@dataclass(frozen=True)
class OrderProgress:
    """What a customer may learn about their order on the portal, by SMS or in the IVR."""

    number: str
    type_name: str
    status: str
    status_label: str
    created_at: dt.datetime
    last_update: dt.datetime
    resolution_due: dt.datetime | None
    engineer: str
    steps: list[tuple[dt.datetime, str]]


def order_progress(number: str, phone: str) -> OrderProgress | None:
    """Order progress by number + the customer's phone (工单进展查询); None when they do not match."""
    digits = digits_only(phone)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    order = (
        WorkOrder.objects.select_related("order_type", "assignee")
        .filter(number=number.strip().upper())
        .filter(Q(contact_phone=digits) | Q(customer__numbers__number=digits))
        .first()
    )
    if order is None:
        return None
    steps = [
        (event.at, event.get_to_status_display())
        for event in order.events.filter(kind__in=["created", "transition"]).order_by("at", "id")
    ]
    return OrderProgress(
        number=order.number,
        type_name=order.order_type.name,
        status=order.status,
        status_label=order.get_status_display(),
        created_at=order.created_at,
        last_update=order.updated_at,
        resolution_due=order.resolution_due,
        engineer=(order.assignee.display_name[:1] + "师傅") if order.assignee and order.assignee.display_name else "",
        steps=steps,
    )


def masked_contact(order: WorkOrder, user: Any) -> str:
    return order.contact_phone if user.has_perm("customers.view_customer_pii") else mask_phone(order.contact_phone)


# --- Reads for the desk's order pages (dispatcher board, pickers) ------------------------


@dataclass(frozen=True)
class Worker:
    """A member of a team who can take orders, with the open orders already on their hands."""

    user: Any
    open_orders: int


@dataclass(frozen=True)
class TeamWorkers:
    team: Any
    workers: list[Worker]


def dispatch_targets(handled_by: str) -> list[TeamWorkers]:
    """The teams that handle orders of this kind (field / back office) and each worker's load,
    for the dispatcher's team + engineer picker."""
    # Local imports: these desk helpers were appended without touching the module's header.
    from django.db.models import Count

    from kefu.accounts.choices import Role, TeamKind
    from kefu.accounts.models import Team, User
    from kefu.tickets.models import OrderType

    field = handled_by == OrderType.TeamKind.FIELD
    team_kind = TeamKind.FIELD if field else TeamKind.BACK_OFFICE
    role = Role.FIELD_ENGINEER if field else Role.BACK_OFFICE
    teams = list(Team.objects.filter(kind=team_kind).order_by("code"))
    members = (
        User.objects.filter(team__in=teams, is_active=True, groups__name=role)
        .annotate(load=Count("assigned_orders", filter=Q(assigned_orders__status__in=OPEN_STATUSES), distinct=True))
        .order_by("load", "display_name", "pk")
    )
    by_team: dict[int, list[Worker]] = {team.pk: [] for team in teams}
    for member in members:
        if member.team_id is not None:
            by_team[member.team_id].append(Worker(user=member, open_orders=member.load))
    return [TeamWorkers(team=team, workers=by_team[team.pk]) for team in teams]


@dataclass(frozen=True)
class DispatchBoard:
    """What waits for a dispatcher: orders nobody holds yet, orders sent back, orders past due."""

    unassigned: list[WorkOrder]
    returned: list[WorkOrder]
    overdue: list[WorkOrder]


def dispatch_board(user: Any, now: dt.datetime | None = None, limit: int = 100) -> DispatchBoard:
    from django.db.models import OuterRef, Subquery

    now = now or timezone.now()
    visible = orders_visible_to(user).select_related(
        "order_type", "customer", "service_area", "service_area__parent", "team", "assignee"
    )
    last_return = (
        OrderEvent.objects.filter(order=OuterRef("pk"), to_status=Status.RETURNED)
        .order_by("-at", "-id")
        .values("reason")
    )
    unassigned = visible.filter(Q(status=Status.NEW) | Q(status=Status.DISPATCHED, assignee__isnull=True)).order_by(
        "resolution_due", "created_at"
    )
    returned = (
        visible.filter(status=Status.RETURNED)
        .annotate(return_reason=Subquery(last_return[:1]))
        .order_by("resolution_due", "created_at")
    )
    overdue = visible.filter(status__in=OPEN_STATUSES, resolution_due__lte=now).exclude(status=Status.RETURNED)
    return DispatchBoard(
        unassigned=list(unassigned[:limit]),
        returned=list(returned[:limit]),
        overdue=list(overdue.exclude(pk__in=unassigned.values("pk")).order_by("resolution_due")[:limit]),
    )
