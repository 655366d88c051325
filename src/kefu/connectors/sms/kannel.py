"""Kannel (bearerbox + smsbox) as the SMS gateway.

Out: smsbox's sendsms HTTP interface, with a dlr-mask and a dlr-url that points back to Kefu and
carries the outbox row's id and a reference of our own (sendsms answers "0: Accepted for
delivery" and no message id). Kannel splits long texts itself (the sendsms-user needs
`concatenation = true` and `max-messages` ≥ KEFU_SMS_MAX_PARTS); a text outside GSM 03.38 goes
as UCS-2 (`coding=2`).

In: two callbacks, authenticated by KEFU_SMS_CALLBACK_SECRET in the URL path (or in an
X-Kefu-Secret header), compared in constant time:

- MO: an `sms-service` whose get-url is
  `<kefu>/hooks/sms/kannel/<secret>/mo?id=%I&from=%p&to=%P&text=%b&coding=%c&charset=%C&smsc=%i&at=%T`
  with `omit-empty = true` (Kefu answers with an empty body: no automatic reply SMS);
  %I (Kannel's id of the message) makes a repeated request a no-op;
- delivery reports: the dlr-url Kefu puts on every message.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from kefu.connectors.base import Delivery
from kefu.connectors.sms.inbound import Report, receive_report, receive_sms
from kefu.connectors.sms.parse import KANNEL_DLR_STATES, Alphabet, ReportState, alphabet_for, kannel_text
from kefu.connectors.sms.transport import SmsGatewayError, rate_limit
from kefu.contacts.models import InboundItem
from kefu.messaging.channel_accounts import ChannelConfig, channel_config
from kefu.messaging.models import OutboundMessage

logger = logging.getLogger(__name__)
GATEWAY = "kannel"
ACCEPTED = ("0:", "3:")  # "0: Accepted for delivery", "3: Queued for later delivery"
TIMEOUT_SECONDS = 10


class BadCallback(ValueError):
    """A callback without what Kannel always sends: refused, nothing stored."""


def kannel_config() -> ChannelConfig:
    """The Kannel channel account, else KEFU_KANNEL_* and KEFU_SMS_* (sender, callbacks, rate)."""
    return channel_config(GATEWAY)


def dlr_url(message: OutboundMessage, reference: str, config: ChannelConfig | None = None) -> str:
    """Where smsbox reports delivery of this message; %d, %A, %F and %T are Kannel's escapes."""
    config = config or kannel_config()
    path = reverse("sms:kannel_dlr", kwargs={"secret": config.text("callback_secret")})
    ours = urllib.parse.urlencode({"outbox": message.pk, "ref": reference})
    base = config.text("callback_base_url").rstrip("/")
    return f"{base}{path}?{ours}&type=%d&status=%A&smsc_id=%F&at=%T"


class KannelTransport:
    """Sends one outbox message through smsbox's sendsms interface."""

    def send(self, message: OutboundMessage) -> str:
        config = kannel_config()
        if not config.text("callback_secret"):
            raise SmsGatewayError("KEFU_SMS_CALLBACK_SECRET is not set: Kannel's delivery reports could not reach Kefu")
        reference = f"kannel-{uuid.uuid4().hex}"
        unicode = alphabet_for(message.body) is Alphabet.UCS2
        params = {
            "username": config.text("username"),
            "password": config.text("password"),
            "to": message.address,
            "text": message.body,
            "charset": "UTF-8",
            "coding": "2" if unicode else "0",
            "dlr-mask": str(config.number("dlr_mask")),
            "dlr-url": dlr_url(message, reference, config),
        }
        if config.text("sender"):
            params["from"] = config.text("sender")
        url = f"{config.text('sendsms_url')}?{urllib.parse.urlencode(params)}"
        if not url.startswith(("http://", "https://")):
            raise SmsGatewayError("KEFU_KANNEL_SENDSMS_URL must be an http(s) URL")
        rate_limit(GATEWAY).wait()
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 — scheme checked above
                answer = response.read(500).decode("utf-8", errors="replace").strip()
        except urllib.error.HTTPError as error:
            answer = error.read(500).decode("utf-8", errors="replace").strip()
            raise SmsGatewayError(f"Kannel refused the message ({error.code}): {answer}") from error
        except (urllib.error.URLError, OSError) as error:
            raise SmsGatewayError(f"Kannel is not reachable: {error}") from error
        if not answer.startswith(ACCEPTED):
            raise SmsGatewayError(f"Kannel did not accept the message: {answer}")
        return reference


# --- callbacks --------------------------------------------------------------------------------


def _text_param(params: dict[str, bytes], name: str) -> str:
    return params.get(name, b"").decode("utf-8", errors="replace").strip()


@dataclass(frozen=True)
class KannelMo:
    kannel_id: str
    sender: str
    recipient: str
    text: str
    smsc: str


def parse_mo(params: dict[str, bytes]) -> KannelMo:
    kannel_id, sender = _text_param(params, "id"), _text_param(params, "from")
    if not kannel_id or len(kannel_id) > 100:
        raise BadCallback("id (Kannel's %I) is missing")
    if not sender:
        raise BadCallback("from (%p) is missing")
    text = kannel_text(
        params.get("text", b""), coding=_text_param(params, "coding"), charset=_text_param(params, "charset")
    )
    return KannelMo(kannel_id, sender, _text_param(params, "to"), text, _text_param(params, "smsc"))


def receive_mo(params: dict[str, bytes]) -> Delivery:
    mo = parse_mo(params)
    return receive_sms(
        GATEWAY,
        provider_id=mo.kannel_id,
        sender=mo.sender,
        recipient=mo.recipient,
        text=mo.text,
        extra={"smsc": mo.smsc},
    )


def parse_dlr(params: dict[str, bytes]) -> Report:
    outbox, reference, kind = _text_param(params, "outbox"), _text_param(params, "ref"), _text_param(params, "type")
    if not outbox.isdigit() or not reference or not kind.isdigit():
        raise BadCallback("outbox, ref and type are required")
    state = KANNEL_DLR_STATES.get(int(kind))
    if state is None:
        raise BadCallback(f"unknown DLR type {kind}")
    detail = f"type {kind} {_text_param(params, 'status')}".strip()
    return Report(
        gateway=GATEWAY,
        report_id=f"{reference}:{kind}",
        state=state,
        detail=detail,
        outbox_id=int(outbox),
        provider_id=reference,
    )


def reprocess_report(item: InboundItem) -> None:
    """A dead delivery report applied again (the dead-letter list's retry): its stored parameters."""
    receive_dlr({name: str(value).encode() for name, value in item.payload.items()})


def receive_dlr(params: dict[str, bytes]) -> tuple[InboundItem, bool]:
    report = parse_dlr(params)
    payload: dict[str, Any] = {name: value.decode("utf-8", errors="replace") for name, value in params.items()}
    item, created = receive_report(report, payload)
    if report.state is not ReportState.PENDING:
        logger.info("Kannel DLR %s for outbox %s: %s", report.report_id, report.outbox_id, report.state.value)
    return item, created
