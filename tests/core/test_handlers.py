"""The lean ASGI handlers of /api/ and /hooks/: one call per request to a pool of threads, with
the middleware those requests need, and nothing of one request left for the next."""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core import signals
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from kefu.config.handlers import route_http
from kefu.tickets.models import WorkOrder
from tests.tickets.conftest import back_office  # noqa: F401  (fixture)

_seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="")


def remember(request: HttpRequest) -> HttpResponse:
    before = _seen.get()
    _seen.set(request.GET.get("value", ""))
    return JsonResponse({"before": before, "thread": threading.current_thread().name})


async def _running_loop() -> int:
    return id(asyncio.get_running_loop())


def loop_of_async_to_sync(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"loop": async_to_sync(_running_loop)()})


def stream(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(iter([b"one,", b"two,", b"three"]), content_type="text/csv")
    response["X-Parts"] = "3"
    return response


urlpatterns = [
    path("api/remember/", remember),
    path("api/loop/", loop_of_async_to_sync),
    path("hooks/stream/", stream),
]


async def _pages(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": b"pages"})


async def _call(
    app: Any, method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    path_, _sep, query = url.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path_,
        "raw_path": path_.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver")] + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(10)
    chunks = []
    while True:
        message = await communicator.receive_output(10)
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    await communicator.wait()
    answered = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], answered, b"".join(chunks)


@pytest.fixture
def app() -> Any:
    return route_http(_pages)


@override_settings(ROOT_URLCONF=__name__)
def test_each_request_starts_from_a_clean_context_in_a_pool_thread(app) -> None:
    async def three() -> list[dict[str, Any]]:
        answers = []
        for value in ("a", "b", "c"):
            _status, _headers, body = await _call(app, "GET", f"/api/remember/?value={value}")
            answers.append(json.loads(body))
        return answers

    answers = asyncio.run(three())

    assert [answer["before"] for answer in answers] == ["", "", ""]
    assert all(answer["thread"].startswith("kefu-http") for answer in answers)


@override_settings(ROOT_URLCONF=__name__)
def test_async_to_sync_in_a_view_runs_on_the_servers_loop(app) -> None:
    async def run() -> tuple[int, int]:
        _status, _headers, body = await _call(app, "GET", "/api/loop/")
        return json.loads(body)["loop"], id(asyncio.get_running_loop())

    view_loop, server_loop = asyncio.run(run())

    assert view_loop == server_loop


@override_settings(ROOT_URLCONF=__name__)
def test_a_streaming_answer_arrives_whole_with_its_headers(app) -> None:
    status, headers, body = asyncio.run(_call(app, "GET", "/hooks/stream/"))

    assert (status, body, headers["x-parts"], headers["content-type"]) == (200, b"one,two,three", "3", "text/csv")


@override_settings(ROOT_URLCONF=__name__)
def test_request_started_and_finished_run_in_the_requests_thread(app) -> None:
    threads: dict[str, str] = {}

    def started(**kwargs: Any) -> None:
        threads["started"] = threading.current_thread().name

    def finished(**kwargs: Any) -> None:
        threads["finished"] = threading.current_thread().name

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        _status, _headers, body = asyncio.run(_call(app, "GET", "/api/remember/"))
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)

    # request_finished closes the thread's database connection (or hands it back to the pool).
    assert threads["started"] == threads["finished"] == json.loads(body)["thread"]


def test_pages_go_to_the_pages_application(app) -> None:
    status, _headers, body = asyncio.run(_call(app, "GET", "/customers/"))

    assert (status, body) == (299, b"pages")


@pytest.fixture
def signed_in(transactional_db, alice) -> dict[str, str]:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    from kefu.core.models import BusinessCalendar
    from kefu.tickets import defaults
    from kefu.tickets.models import OrderType, SlaPolicy

    if not OrderType.objects.exists():  # an earlier transactional test flushed the migrations' rows
        defaults.load(OrderType, SlaPolicy, BusinessCalendar)
    session = SessionStore()
    session[SESSION_KEY] = str(alice.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = alice.get_session_auth_hash()
    session.create()
    csrf = str(_get_new_csrf_string())
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}",
        "x-csrftoken": csrf,
        "content-type": "application/json",
    }


def test_the_api_keeps_its_session_csrf_and_language(app, signed_in, zhang, back_office) -> None:  # noqa: F811
    order = json.dumps(
        {"order_type": "FAULT_DTV", "title": "电视没信号", "fields": {"symptom": "无信号"}, "customer_id": zhang.pk}
    ).encode()
    no_csrf = {key: value for key, value in signed_in.items() if key != "x-csrftoken"}
    anonymous = {"content-type": "application/json"}

    async def calls() -> list[tuple[int, dict[str, str], bytes]]:
        return [
            await _call(app, "POST", "/api/v1/orders", order, signed_in),
            await _call(app, "POST", "/api/v1/orders", order, no_csrf),
            await _call(app, "GET", "/api/v1/orders", b"", anonymous),
            await _call(
                app, "POST", "/api/v1/orders", json.dumps({"order_type": "NOPE", "title": "x"}).encode(), signed_in
            ),
        ]

    created, forged, anonymous_answer, refused = asyncio.run(calls())
    connection.close()  # this thread's; the handler's threads wrote through their own

    assert created[0] == 201, created[2]
    assert WorkOrder.objects.get(number=json.loads(created[2])["number"]).assignee is not None
    assert (forged[0], anonymous_answer[0]) == (403, 401)
    assert WorkOrder.objects.count() == 1
    # Chinese first: the refusal and the answer's language follow the lean middleware too.
    refusal = (refused[0], json.loads(refused[2])["code"], created[1]["content-language"])
    assert refusal == (409, "type_unknown", "zh-hans")
    assert "x-frame-options" not in created[1]  # the pages' middleware is not run for the API


def test_what_the_lean_handlers_skip_is_middleware_the_pages_run(settings) -> None:
    from kefu.config.handlers import NOT_FOR_API, NOT_FOR_HOOKS

    # a renamed middleware would otherwise stop being skipped without a word
    assert NOT_FOR_API < NOT_FOR_HOOKS <= set(settings.MIDDLEWARE)
