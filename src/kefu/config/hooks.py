"""The ASGI handler of machine-to-machine webhooks (`/hooks/`: SMS gateways, IM platforms).

A gateway posts hundreds of messages a second and is no browser: it has no session, signs in
with a secret or a signature the view checks, needs no CSRF token, language or messages. This
handler runs the same URL conf and views with only the middleware such a request needs.

(Tried and left: running webhooks on the process's one thread for synchronous code instead of
Django's thread per request saved 0.5 ms of CPU each but serialised their database waits, and
the SMS benchmark lost throughput.)
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

PREFIX = "/hooks/"
HOOK_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "kefu.core.metrics.RequestMetricsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "kefu.core.audit.AuditContextMiddleware",
)


class HookHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        everything = settings.MIDDLEWARE
        settings.MIDDLEWARE = [path for path in everything if path in HOOK_MIDDLEWARE]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = everything


def split_hooks(pages: Any) -> Any:
    """An ASGI app sending `/hooks/` to the `HookHandler`, everything else to `pages`."""
    hooks = HookHandler()

    async def route(scope: dict[str, Any], receive: Any, send: Any) -> None:
        app = hooks if scope.get("path", "").startswith(PREFIX) else pages
        await app(scope, receive, send)

    return route
