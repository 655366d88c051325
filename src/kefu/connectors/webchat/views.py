"""The web chat's HTTP side: start a chat, read it again, end it, rate it; the widget's files.

The widget runs on any site (the portal, an operator's web pages), so these endpoints answer
cross-origin requests and use no cookies: the contact's resume token is the key (a bearer
token, like the socket's). They parse, call `transport`, and answer JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from kefu.connectors.webchat import transport
from kefu.contacts import queries as contact_queries
from kefu.contacts.choices import ContactChannel
from kefu.contacts.models import Contact
from kefu.core.errors import KefuError

ASSET_DIR = Path(__file__).resolve().parent / "static" / "webchat"
ASSETS = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "demo.html": "text/html; charset=utf-8",
}
ASSET_MAX_AGE = 300  # the widget's files are not fingerprinted: let browsers re-check every few minutes


def _with_cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "86400"
    return response


def chat_endpoint(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A JSON endpoint of the widget: CORS, no CSRF (no cookies are used), refusals as JSON."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "OPTIONS":
                return _with_cors(HttpResponse(status=204))
            if request.method not in methods:
                return _with_cors(JsonResponse({"error": _("Method not allowed.")}, status=405))
            try:
                response = view(request, *args, **kwargs)
            except KefuError as refusal:
                response = JsonResponse({"error": refusal.message, "code": refusal.code}, status=refusal.http_status)
            except Http404:
                response = JsonResponse({"error": _("This chat no longer exists."), "code": "chat_unknown"}, status=404)
            return _with_cors(response)

        return wrapper

    return decorate


def _data(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            data = None
        return data if isinstance(data, dict) else {}
    return request.POST.dict()


def _contact(token: str) -> Contact:
    contact = contact_queries.contact_by_token(token)
    if contact is None or contact.channel != ContactChannel.CHAT:
        raise Http404("No such chat")
    return contact


def _chat_json(contact: Contact, after_id: int = 0) -> dict[str, Any]:
    return {
        "token": contact.resume_token,
        "socket": f"/ws/chat/{contact.resume_token}/",
        "state": transport.chat_state(contact).as_json(),
        "messages": transport.history(contact, after_id),
    }


@chat_endpoint("POST")
def start(request: HttpRequest) -> HttpResponse:
    # REMOTE_ADDR: behind a proxy, the ASGI server is told to take it from the proxy's header.
    transport.ensure_start_allowed(str(request.META.get("REMOTE_ADDR", "")))
    data = _data(request)
    delivery = transport.start_chat(
        request_id=str(data.get("request_id", "")),
        name=str(data.get("name", "")),
        phone=str(data.get("phone", "")),
        question=str(data.get("question", "")),
        queue_code=str(data.get("queue", "")),
        customer_token=str(data.get("customer", "")),
    )
    if not delivery.delivered or delivery.contact is None:
        return JsonResponse({"error": delivery.refusal or _("The chat could not be started.")}, status=409)
    return JsonResponse(_chat_json(delivery.contact), status=201 if delivery.is_new else 200)


@chat_endpoint("GET")
def chat(request: HttpRequest, token: str) -> HttpResponse:
    after = request.GET.get("after", "0")
    return JsonResponse(_chat_json(_contact(token), int(after) if after.isdigit() else 0))


@chat_endpoint("POST")
def end(request: HttpRequest, token: str) -> HttpResponse:
    contact = transport.end_chat(_contact(token))
    return JsonResponse({"state": transport.chat_state(contact).as_json()})


@chat_endpoint("POST")
def rate(request: HttpRequest, token: str) -> HttpResponse:
    data = _data(request)
    rating = str(data.get("rating", ""))
    if not rating.isdigit():
        return JsonResponse({"error": _("A rating is from 1 to 5."), "code": "rating_range"}, status=400)
    contact = transport.rate_chat(_contact(token), rating=int(rating), comment=str(data.get("comment", "")))
    return JsonResponse({"state": transport.chat_state(contact).as_json()})


def asset(request: HttpRequest, name: str) -> HttpResponseBase:
    """The widget's script and style, and the demo page that embeds them."""
    if name not in ASSETS:
        raise Http404("No such file")
    response = FileResponse((ASSET_DIR / name).open("rb"), content_type=ASSETS[name])
    response["Cache-Control"] = f"public, max-age={ASSET_MAX_AGE}"
    if name != "demo.html":
        response["Access-Control-Allow-Origin"] = "*"
    return response


def demo(request: HttpRequest) -> HttpResponseBase:
    """/chat/: a plain operator web page with the widget on it, to try the chat end to end."""
    response = asset(request, "demo.html")
    response["Cache-Control"] = "no-cache"
    return response
