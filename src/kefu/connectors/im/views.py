"""The platforms' webhooks: CSRF exempt (no cookies), authenticated by signature; a refused
request gets a 4xx with a plain message and nothing is stored."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kefu.connectors.im import webhook, wechat
from kefu.core.errors import KefuError

logger = logging.getLogger(__name__)


def _plain(text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8") -> HttpResponse:
    return HttpResponse(text, status=status, content_type=content_type)


def _too_large(request: HttpRequest, limit: int) -> bool:
    length = request.headers.get("Content-Length", "")
    return (length.isdigit() and int(length) > limit) or len(request.body) > limit


@csrf_exempt
@require_http_methods(["POST"])
def generic(request: HttpRequest) -> HttpResponse:
    """A platform's message, signed with the shared secret."""
    if _too_large(request, webhook.MAX_BODY_BYTES):
        return JsonResponse({"error": "body too large"}, status=413)
    try:
        delivery = webhook.receive(request.body, request.headers)
    except webhook.BadSignature as error:
        logger.warning("refused an IM webhook from %s: %s", request.META.get("REMOTE_ADDR"), error)
        return JsonResponse({"error": str(error)}, status=401)
    except (webhook.BadPayload, KefuError) as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse({"status": "stored" if delivery.is_new else "duplicate", "contact": delivery.item.contact_id})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def wechat_account(request: HttpRequest) -> HttpResponse:
    """WeChat's server verification (GET) and its messages (POST)."""
    query = {name: request.GET.get(name, "") for name in ("signature", "timestamp", "nonce", "echostr")}
    try:
        if request.method == "GET":
            return _plain(wechat.echo(query))
        if _too_large(request, wechat.MAX_BODY_BYTES):
            return _plain("message too large", 413)
        reply = wechat.receive(request.body, query)
    except wechat.BadSignature as error:
        logger.warning("refused a WeChat request from %s: %s", request.META.get("REMOTE_ADDR"), error)
        return _plain("bad signature", 403)
    except (wechat.BadMessage, KefuError) as error:
        return _plain(str(error), 400)
    if reply == wechat.NO_REPLY:
        return _plain(reply)
    return _plain(reply, content_type="application/xml; charset=utf-8")
