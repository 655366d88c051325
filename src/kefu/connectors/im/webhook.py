"""The generic IM webhook: any platform (an app's chat, a social network's bridge) that can send
and receive signed JSON.

Both directions are signed the same way with KEFU_WEBHOOK_SECRET:

    X-Kefu-Timestamp: <unix seconds>
    X-Kefu-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

A request whose timestamp is more than KEFU_WEBHOOK_TOLERANCE_SECONDS away from now, or whose
signature does not match (constant-time comparison), is refused before its body is read.

In — POST /hooks/im/webhook/ with

    {"id": "<the platform's message id>", "user": {"id": "u-42", "name": "张三"}, "text": "..."}

answers {"status": "stored" | "duplicate", "contact": <id or null>}; the same id twice is one
message.

Out — each agent reply is POSTed to KEFU_WEBHOOK_OUTBOUND_URL as

    {"id": "kefu-<outbox id>", "to": "u-42", "text": "...", "contact": <id>}

and counts as sent on any 2xx answer (its JSON "id", when given, becomes the provider id).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from kefu.connectors.base import Delivery, Inbound
from kefu.connectors.im.inbound import ADAPTERS
from kefu.messaging.channel_accounts import channel_config
from kefu.messaging.models import OutboundMessage

TIMESTAMP_HEADER = "X-Kefu-Timestamp"
SIGNATURE_HEADER = "X-Kefu-Signature"
MAX_BODY_BYTES = 64 * 1024
TIMEOUT_SECONDS = 10
MAX_ID_LENGTH = 150


class BadSignature(PermissionError):
    """The request is not from the platform (or is too old): refused, nothing stored."""


class BadPayload(ValueError):
    """Signed, but not a message Kefu understands: refused, nothing stored."""


class WebhookError(RuntimeError):
    """The platform did not take an outbound message; the outbox tries again later."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(body: bytes, *, secret: str, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """Refuse unless the timestamp is fresh and the signature is the secret's over it and the body."""
    secret = channel_config("webhook").text("secret")
    if not secret:
        raise BadSignature("the webhook is not configured (KEFU_WEBHOOK_SECRET)")
    timestamp, given = headers.get(TIMESTAMP_HEADER, ""), headers.get(SIGNATURE_HEADER, "")
    if not timestamp.isdigit() or not given:
        raise BadSignature("missing signature or timestamp")
    moment = time.time() if now is None else now
    if abs(moment - int(timestamp)) > settings.KEFU_WEBHOOK_TOLERANCE_SECONDS:
        raise BadSignature("timestamp outside the tolerance")
    if not hmac.compare_digest(given.encode(), signature(secret, timestamp, body).encode()):
        raise BadSignature("bad signature")


@dataclass(frozen=True)
class WebhookMessage:
    message_id: str
    user_id: str
    user_name: str
    text: str


def _field(value: Any, name: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_LENGTH:
        raise BadPayload(f"{name} must be a non-empty string")
    return value.strip()


def parse_message(body: bytes) -> WebhookMessage:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadPayload("the body is not JSON") from error
    if not isinstance(data, dict) or not isinstance(data.get("user"), dict):
        raise BadPayload('expected {"id", "user": {"id", "name"}, "text"}')
    user = data["user"]
    text = data.get("text", "")
    if not isinstance(text, str) or not text.strip():
        raise BadPayload("text must be a non-empty string")
    name = user.get("name", "")
    return WebhookMessage(
        message_id=_field(data.get("id"), "id"),
        user_id=_field(user.get("id"), "user.id"),
        user_name=name.strip()[:100] if isinstance(name, str) else "",
        text=text.strip(),
    )


def receive(body: bytes, headers: Mapping[str, str]) -> Delivery:
    """Verify, parse, then store and process one platform message."""
    verify(headers, body)
    message = parse_message(body)
    adapter = ADAPTERS["webhook"]
    return adapter.deliver(
        Inbound(
            provider_id=message.message_id,
            body=message.text,
            identity=adapter.identity(message.user_id),
            display_name=message.user_name,
            subject=message.text.replace("\n", " ")[:50],
            extra={"user": message.user_id},
        )
    )


class WebhookTransport:
    """POSTs an agent's reply to the platform, signed like the platform's own requests."""

    def send(self, message: OutboundMessage) -> str:
        config = channel_config("webhook")
        url = config.text("outbound_url")
        if not url.startswith(("http://", "https://")):
            raise WebhookError("KEFU_WEBHOOK_OUTBOUND_URL must be an http(s) URL")
        outbound_id = f"kefu-{message.pk}"
        body = json.dumps(
            {
                "id": outbound_id,
                "to": message.headers.get("to", ""),
                "text": message.body,
                "contact": int(message.headers.get("contact") or message.subject_id or 0) or None,
            },
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        headers.update(signed_headers(body, secret=config.text("secret")))
        # The URL's scheme was checked above (http or https only).
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                answer = response.read(4096)
        except urllib.error.HTTPError as error:
            raise WebhookError(f"the platform answered {error.code}") from error
        except (urllib.error.URLError, OSError) as error:
            raise WebhookError(f"the platform is not reachable: {error}") from error
        try:
            given = json.loads(answer).get("id") if answer else None
        except (ValueError, AttributeError):
            given = None
        return str(given)[:100] if given else outbound_id
