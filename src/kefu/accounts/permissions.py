"""Checks that every staff page and API call goes through: signed in, and allowed."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

ViewFunction = TypeVar("ViewFunction", bound=Callable[..., HttpResponse])


def ensure_permissions(user: Any, permissions: tuple[str, ...]) -> None:
    """Raise PermissionDenied unless the user is active staff holding every permission."""
    if not (user.is_authenticated and user.is_active) or not user.has_perms(permissions):
        raise PermissionDenied


def staff_required(*permissions: str) -> Callable[[ViewFunction], ViewFunction]:
    """A desk view: sends anonymous visitors to the login page, refuses (403) the wrong role."""

    def decorate(view: ViewFunction) -> ViewFunction:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            ensure_permissions(request.user, permissions)
            return view(request, *args, **kwargs)

        return cast(ViewFunction, wrapper)

    return decorate
