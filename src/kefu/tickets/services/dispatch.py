"""Automatic dispatch (S1 §4.2.5, S3 §2): by service area and type to a team, then to the
least-loaded member on duty."""

from __future__ import annotations

from django.db.models import Count, Q

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
        serving = list(teams.filter(areas__path__in=paths).values_list("pk", "areas__path"))
        if serving:
            team_id = max(serving, key=lambda row: (len(row[1]), -row[0]))[0]
            return teams.get(pk=team_id)
    return teams.filter(areas__isnull=True).order_by("code").first()


def choose_worker(team: Team, order_type: OrderType, area: ServiceArea | None) -> User | None:
    """The member on duty with the fewest open orders; those covering the area come first."""
    roles = WORKER_ROLES[OrderType.TeamKind(order_type.handled_by)]
    members = User.objects.filter(team=team, is_active=True, is_on_duty=True, groups__name__in=roles).distinct()
    if area is not None:
        covering = members.filter(areas__path__in=_ancestor_paths(area)).distinct()
        if covering.exists():
            members = covering
    return (
        members.annotate(load=Count("assigned_orders", filter=Q(assigned_orders__status__in=OPEN_STATUSES)))
        .order_by("load", "pk")
        .first()
    )


def auto_route(order: WorkOrder) -> tuple[Team | None, User | None]:
    team = choose_team(order.order_type, order.service_area)
    if team is None:
        return None, None
    return team, choose_worker(team, order.order_type, order.service_area)
