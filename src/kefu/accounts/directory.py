"""Who serves and who manages each service area, read from a per-process snapshot.

Automatic dispatch asks on every new work order which team serves its area and who manages
the area; both change when an administrator edits teams or areas (`kefu.core.snapshots`).
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.accounts.models import ServiceArea, Team, User
from kefu.core.models import BusinessCalendar
from kefu.core.snapshots import Snapshot


def ancestor_paths(path: str) -> list[str]:
    """ "/NJ/NJ-GL/NJ-GL-01/" → ["/NJ/", "/NJ/NJ-GL/", "/NJ/NJ-GL/NJ-GL-01/"]."""
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


@dataclass(frozen=True)
class ServingTeam:
    team: Team
    paths: frozenset[str]  # the areas it serves; empty for a catch-all team


def _load_teams() -> dict[str, list[ServingTeam]]:
    by_kind: dict[str, list[ServingTeam]] = {}
    paths: dict[int, set[str]] = {}
    for team_id, path in Team.areas.through.objects.values_list("team_id", "servicearea__path"):
        paths.setdefault(team_id, set()).add(path)
    for team in Team.objects.select_related("calendar", "lead").order_by("pk"):
        by_kind.setdefault(team.kind, []).append(ServingTeam(team, frozenset(paths.get(team.pk, ()))))
    return by_kind


teams = Snapshot("serving_teams", _load_teams).watch(
    Team, Team.areas.through, ServiceArea, BusinessCalendar, User, ignore_fields=("last_login",)
)


def team_serving(kind: str, area_path: str | None) -> Team | None:
    """The team of this kind serving the area most closely (the deepest served ancestor, ties
    to the lowest id); without one, the catch-all team (serving no area) first by code."""
    candidates = teams.get().get(kind, [])
    if area_path is not None:
        best: tuple[int, int] | None = None
        chosen = None
        for depth, path in enumerate(ancestor_paths(area_path), start=1):
            for serving in candidates:
                if path in serving.paths and (best is None or (depth, -serving.team.pk) > best):
                    best, chosen = (depth, -serving.team.pk), serving.team
        if chosen is not None:
            return chosen
    catch_all = [serving.team for serving in candidates if not serving.paths]
    return min(catch_all, key=lambda team: team.code, default=None)


def _load_managers() -> dict[int, User | None]:
    areas = {area.pk: area for area in ServiceArea.objects.only("pk", "parent_id", "manager_id")}
    people = {
        user.pk: user for user in User.objects.filter(pk__in={a.manager_id for a in areas.values() if a.manager_id})
    }
    nearest: dict[int, User | None] = {}
    for area_id, area in areas.items():
        walk: ServiceArea | None = area
        while walk is not None and not walk.manager_id:
            walk = areas.get(walk.parent_id) if walk.parent_id else None
        nearest[area_id] = people.get(walk.manager_id) if walk is not None and walk.manager_id else None
    return nearest


# A user's login only writes last_login: that does not change who manages what.
managers = Snapshot("area_managers", _load_managers).watch(ServiceArea, User, ignore_fields=("last_login",))


def area_manager(area_id: int | None) -> User | None:
    """The nearest manager up the area tree (片区经理, else the district's, else the city's)."""
    if area_id is None:
        return None
    return managers.get().get(area_id)


areas = Snapshot("service_areas", lambda: {area.pk: area for area in ServiceArea.objects.all()}).watch(ServiceArea)


def service_area(area_id: int | None) -> ServiceArea | None:
    """The area (shared, read-only) from the snapshot; None for None or an unknown id."""
    return areas.get().get(area_id) if area_id is not None else None
