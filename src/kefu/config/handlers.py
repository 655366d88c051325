"""Lean ASGI handlers for the machine-facing prefixes: `/api/` (the REST API) and `/hooks/`
(SMS gateways, IM platforms). Pages and WebSockets keep Django's and Channels' handlers.

Two things make Django's own ASGI handler costly for a synchronous project, measured on
`POST /api/v1/orders` (py-spy on a server under the orders benchmark: 40 % of its samples were
outside the view):

1. Middleware that is async-capable (django-axes) among synchronous middleware makes Django
   adapt the chain back and forth: event loop → thread (sync middleware) → event loop (the
   async middleware and the response getter) → thread (the view), each hop a handshake between
   threads.
2. Every request runs its synchronous part in a thread of its own (asgiref's
   `ThreadSensitiveContext`), started and joined for that request.

These handlers run the whole synchronous cycle — `request_started`, middleware, view,
`response.close()` and `request_finished` (which hands the database connection back) — as one
call in a fixed pool of threads per process, as a WSGI server would, and keep only the
middleware such a request needs. The event loop reads the body and writes the response.

A gateway or an API client is no browser: webhooks need no session, CSRF token, language or
messages (they sign in with a secret the view checks); the API needs its session, CSRF check
and language (error messages are translated) but no static files, messages, frame options,
htmx or django-axes (it has no sign-in of its own).

(Tried and left for webhooks: running them on the process's single thread for synchronous
code saved 0.5 ms of CPU each but serialised their database waits, and the SMS benchmark lost
throughput. A pool keeps the waits parallel.)
"""

from __future__ import annotations

import asyncio
import contextvars
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import HttpResponse, HttpResponseBase
from django.urls import set_script_prefix

# Of `settings.MIDDLEWARE`, what a browser's pages need and an API client does not ...
NOT_FOR_API = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "django_htmx.middleware.HtmxMiddleware",
        "axes.middleware.AxesMiddleware",
    }
)
# ... and what a gateway does not need either: it proves itself to the view.
NOT_FOR_HOOKS = NOT_FOR_API | {
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kefu.core.language.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
}


class ThreadPool:
    """The threads a process's pooled handlers share; one pool per event loop (tests start several)."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._executor: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def executor(self, loop: asyncio.AbstractEventLoop) -> ThreadPoolExecutor:
        if self._executor is None or self._loop is not loop:
            if self._executor is not None:
                self._executor.shutdown(wait=False)  # the old loop's (tests start servers anew)
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="kefu-http")
            self._loop = loop
        return self._executor


class PooledHandler(ASGIHandler):
    """Django's synchronous request cycle, with `settings.MIDDLEWARE` but `skip`, in one call to
    a fixed pool of threads."""

    def __init__(self, skip: frozenset[str], pool: ThreadPool) -> None:
        BaseHandler.__init__(self)  # not ASGIHandler's: it would build an async chain
        everything = settings.MIDDLEWARE
        settings.MIDDLEWARE = [path for path in everything if path not in skip]
        try:
            self.load_middleware(is_async=False)
        finally:
            settings.MIDDLEWARE = everything
        self.pool = pool

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        # A fresh copy of the loop's context per request: nothing one request sets in a
        # context variable (audit context, database connections) is seen by the next one
        # that runs in the same thread.
        context = contextvars.copy_context()
        executor = self.pool.executor(loop)
        # The thread closes the body file: if this task is cancelled (a server shutting down),
        # the thread may still be reading it.
        response = await loop.run_in_executor(executor, context.run, self._respond, loop, scope, body_file)
        await self.send_response(response, send)

    def _respond(self, loop: asyncio.AbstractEventLoop, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        try:
            return self._answer(loop, scope, body_file)
        finally:
            body_file.close()

    def _answer(self, loop: asyncio.AbstractEventLoop, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        # Code that calls async_to_sync (the in-memory channel layer) goes back to this loop,
        # as it would from Django's own thread.
        SyncToAsync.threadlocal.main_event_loop = loop
        SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        try:
            request, refusal = self.create_request(scope, body_file)
            response = self.get_response(request) if request is not None else refusal
        except BaseException:
            signals.request_finished.send(sender=self.__class__)
            raise
        assert response is not None  # noqa: S101 - create_request answers one or the other
        if not response.streaming:
            response.close()  # request_finished: the database connection goes back now
            return response
        # The API and webhooks answer small bodies: read a streamed one here, in this thread.
        try:
            whole = HttpResponse(b"".join(response), status=response.status_code)
            for header, value in response.items():
                whole[header] = value
            whole.cookies = response.cookies
        finally:
            response.close()
        return whole


def route_http(pages: Any) -> Any:
    """An ASGI app sending `/api/` and `/hooks/` to pooled handlers, everything else to `pages`."""
    pool = ThreadPool(settings.KEFU_HTTP_THREADS)
    api = PooledHandler(NOT_FOR_API, pool)
    hooks = PooledHandler(NOT_FOR_HOOKS, pool)

    async def route(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        app = api if path.startswith("/api/") else hooks if path.startswith("/hooks/") else pages
        await app(scope, receive, send)

    return route
