"""The gateways' callbacks: authenticated by the shared secret (constant-time comparison), CSRF
exempt (no cookies), and answering 4xx with a plain message when the request is refused — in
which case nothing was stored."""

from __future__ import annotations

import hmac
import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kefu.connectors.sms import kannel
from kefu.connectors.sms.parse import query_bytes
from kefu.core.errors import KefuError

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Kefu-Secret"  # noqa: S105 — the header's name, not a secret
MAX_CALLBACK_BYTES = 64 * 1024


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def secret_matches(request: HttpRequest, secret: str) -> bool:
    configured = kannel.kannel_config().text("callback_secret")
    given = secret or request.headers.get(SECRET_HEADER, "")
    return bool(configured) and hmac.compare_digest(given.encode(), configured.encode())


def _params(request: HttpRequest) -> dict[str, bytes]:
    """Query and urlencoded body alike, as raw bytes (the text may be UCS-2 octets)."""
    params = query_bytes(request.META.get("QUERY_STRING", ""))
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        params.update(query_bytes(request.body[:MAX_CALLBACK_BYTES].decode("latin-1")))
    return params


@csrf_exempt
@require_http_methods(["GET", "POST"])
def kannel_mo(request: HttpRequest, secret: str = "") -> HttpResponse:
    """A customer's SMS from smsbox (sms-service get-url or post-url)."""
    if not secret_matches(request, secret):
        logger.warning("refused a Kannel MO callback from %s: bad secret", request.META.get("REMOTE_ADDR"))
        return _plain("bad secret", 403)
    try:
        kannel.receive_mo(_params(request))
    except (kannel.BadCallback, KefuError) as error:
        return _plain(str(error), 400)
    return _plain("", 200)  # empty: with omit-empty, smsbox sends the customer no reply


@csrf_exempt
@require_http_methods(["GET", "POST"])
def kannel_dlr(request: HttpRequest, secret: str = "") -> HttpResponse:
    """A delivery report for a message Kefu sent through sendsms."""
    if not secret_matches(request, secret):
        logger.warning("refused a Kannel DLR callback from %s: bad secret", request.META.get("REMOTE_ADDR"))
        return _plain("bad secret", 403)
    try:
        kannel.receive_dlr(_params(request))
    except (kannel.BadCallback, KefuError) as error:
        return _plain(str(error), 400)
    return _plain("", 200)
