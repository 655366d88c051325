"""Automatic dispatch (S1 §4.2.5, S3 §2): by service area and type to a team, then to the
least-loaded member on duty."""

from __future__ import annotations

from django.db.models import Count, F

from kefu.accounts.choices import Role, TeamKind
from kefu.accounts.models import ServiceArea, Team, User
from kefu.tickets.choices import OPEN_STATUSES
from kefu.tickets.models import OrderType, WorkOrder

WORKER_ROLES = {
    OrderType.TeamKind.FIELD: (Role.FIELD_ENGINEER,),
    OrderType.TeamKind.BACK_OFFICE: (Role.BACK_OFFICE,),
}


def _ancestor_paths(area: ServiceArea) -> list[str]:
    """ "/NJ/NJ-GL/NJ-GL-01/" → ["/NJ/", "/NJ/NJ-GL/", "/NJ/NJ-GL/NJ-GL-01/"]."""
    parts = [part for part in area.path.split("/") if part]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def choose_team(order_type: OrderType, area: ServiceArea | None) -> Team | None:
    """The team of the right kind serving the order's area most closely; else a catch-all team."""
    kind = TeamKind.FIELD if order_type.handled_by == OrderType.TeamKind.FIELD else TeamKind.BACK_OFFICE
    teams = Team.objects.filter(kind=kind)
    if area is not None:
        paths = _ancestor_paths(area)
        # One query: the serving teams with the path they serve (a team once per matching area).
        serving = list(teams.filter(areas__path__in=paths).annotate(served_path=F("areas__path")))
        if serving:
            return max(serving, key=lambda team: (len(team.served_path), -team.pk))
    return teams.filter(areas__isnull=True).order_by("code").first()


def choose_worker(team: Team, order_type: OrderType, area: ServiceArea | None) -> User | None:
    """The member on duty with the fewest open orders; those covering the area come first.

    Three small queries: the ids of the members on duty with the areas they cover, their open
    orders counted on the (assignee, status) index (ties to the lowest id), the chosen one."""
    roles = WORKER_ROLES[OrderType.TeamKind(order_type.handled_by)]
    rows = (
        User.objects.filter(team=team, is_active=True, is_on_duty=True, groups__name__in=roles)
        .order_by()
        .values_list("pk", "areas__path")
    )
    members: set[int] = set()
    covering: set[int] = set()
    paths = set(_ancestor_paths(area)) if area is not None else set()
    for member_id, covered_path in rows:
        members.add(member_id)
        if covered_path in paths:
            covering.add(member_id)
    candidates = covering or members
    if not candidates:
        return None
    loads = dict(
        WorkOrder.objects.filter(assignee_id__in=candidates, status__in=OPEN_STATUSES)
        .order_by()
        .values_list("assignee_id")
        .annotate(load=Count("*"))  # COUNT(*): an index-only scan of (assignee, status)
    )
    return User.objects.get(pk=min(candidates, key=lambda pk: (loads.get(pk, 0), pk)))


def auto_route(order: WorkOrder) -> tuple[Team | None, User | None]:
    team = choose_team(order.order_type, order.service_area)
    if team is None:
        return None, None
    return team, choose_worker(team, order.order_type, order.service_area)
