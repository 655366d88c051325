"""Reads about staff and areas that several interfaces share."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kefu.accounts.models import ServiceArea, User
from kefu.accounts.roles import AREA_SCOPED_ROLES


def is_area_scoped(user: User) -> bool:
    """True when the user may only see what lies in their own areas."""
    if user.is_superuser:
        return False
    codes = user.role_codes
    return bool(codes) and codes <= set(AREA_SCOPED_ROLES)


def area_paths_of(user: User) -> list[str]:
    return list(user.areas.values_list("path", flat=True))


def areas_within(paths: list[str]) -> QuerySet[ServiceArea]:
    """The areas at or below any of the given paths."""
    if not paths:
        return ServiceArea.objects.none()
    query = Q()
    for path in paths:
        query |= Q(path__startswith=path)
    return ServiceArea.objects.filter(query)


def area_ids_visible_to(user: User) -> list[int] | None:
    """None means "no area limit"; otherwise the ids of every area the user may see."""
    if not is_area_scoped(user):
        return None
    return list(areas_within(area_paths_of(user)).values_list("id", flat=True))
