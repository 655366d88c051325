"""Chinese first: the UI speaks zh-Hans until the user picks another language."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ChineseFirstMiddleware:
    """Ignore the browser's Accept-Language so a fresh browser sees Chinese; the language
    switch (a cookie) still wins. Must run before django.middleware.locale.LocaleMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
