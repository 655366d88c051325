"""Dead letters (死信): inbound items a channel stored but could not process — listed for the
supervisor, retried through the connector they came from, or discarded; each retry and discard
is audited.

Retrying is the connector's own re-processing (the same code path a repeated delivery takes,
`ChannelAdapter.deliver`), named by dotted path because connectors are a higher layer:
`REPROCESSORS` maps a provider to a function that takes the dead item and processes it again.
Discarding keeps the item, marked discarded: a repeated delivery from the provider stays a
no-op, and what was received is never lost.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from kefu.contacts.choices import InboundStatus
from kefu.contacts.models import InboundItem
from kefu.core import audit
from kefu.core.errors import BusinessRuleError
from kefu.core.masking import mask_email, mask_phone

SUMMARY_TEXT_LENGTH = 40

REPROCESSORS: dict[str, str] = {
    "email": "kefu.connectors.email.inbound.reprocess",
    "sms.kannel": "kefu.connectors.sms.inbound.reprocess",
    "sms.smpp": "kefu.connectors.sms.inbound.reprocess",
    "sms.kannel.dlr": "kefu.connectors.sms.kannel.reprocess_report",
    "sms.smpp.dlr": "kefu.connectors.sms.smpp.reprocess_report",
    "im.webhook": "kefu.connectors.im.inbound.reprocess",
    "im.wechat": "kefu.connectors.im.inbound.reprocess",
}


def dead_letters(provider: str = "", limit: int = 200) -> QuerySet[InboundItem]:
    """The dead letters, newest first (optionally of one provider)."""
    items = InboundItem.objects.filter(status=InboundStatus.DEAD)
    if provider:
        items = items.filter(provider=provider)
    return items.order_by("-received_at", "-id")[:limit]


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SUMMARY_TEXT_LENGTH else flat[: SUMMARY_TEXT_LENGTH - 1] + "…"


def _mask_identity(identity: str) -> str:
    if "@" in identity:
        return mask_email(identity)
    connector, separator, user = identity.partition(":")
    if separator:  # an IM user: "<connector>:<the platform's id>"
        return f"{connector}:{user[:3]}***" if len(user) > 3 else f"{connector}:***"
    return mask_phone(identity)


def summary_of(item: InboundItem) -> str:
    """What the item is, for a list a supervisor scans: who (masked) and the first words."""
    payload = item.payload if isinstance(item.payload, dict) else {}
    if "raw" in payload:  # a mail: its sender and subject
        try:
            raw = base64.b64decode(str(payload["raw"]), validate=True)
        except (binascii.Error, ValueError):
            return _("unreadable mail")
        headers = BytesParser(policy=policy.compat32).parsebytes(raw[:65536], headersonly=True)
        sender = str(headers.get("From", "")).rsplit("<", 1)[-1].rstrip(">").strip()
        subject = str(headers.get("Subject", ""))
        return f"{mask_email(sender) if sender else '—'} · {_short(subject)}"
    if "identity" in payload:  # a channel adapter's delivery (SMS, IM)
        return f"{_mask_identity(str(payload['identity']))} · {_short(str(payload.get('body', '')))}"
    return _short(", ".join(sorted(str(name) for name in payload)))


@dataclass(frozen=True)
class DeadLetterRow:
    item: InboundItem
    summary: str


def dead_letter_rows(provider: str = "", limit: int = 200) -> list[DeadLetterRow]:
    return [DeadLetterRow(item, summary_of(item)) for item in dead_letters(provider, limit)]


def _reprocessor(provider: str) -> Callable[[InboundItem], None]:
    path = REPROCESSORS.get(provider)
    if path is None:
        raise BusinessRuleError(
            _("Items from %(provider)s cannot be retried.") % {"provider": provider}, code="deadletter_no_retry"
        )
    reprocess: Callable[[InboundItem], None] = import_string(path)
    return reprocess


def _dead_item(item_id: int) -> InboundItem:
    item = InboundItem.objects.select_for_update().filter(pk=item_id).first()
    if item is None or item.status != InboundStatus.DEAD:
        raise BusinessRuleError(_("This item is no longer a dead letter."), code="deadletter_gone")
    return item


@transaction.atomic
def retry_dead_letter(item_id: int, *, by: Any) -> InboundItem:
    """Process the item again through its connector; it is processed, or dead again with the new error."""
    item = _dead_item(item_id)
    reprocess = _reprocessor(item.provider)
    before = audit.snapshot(item, ("status", "attempts", "error"))
    reprocess(item)
    item.refresh_from_db()
    audit.record(
        actor=by,
        action="inbound.retried",
        target=item,
        changes=audit.diff(before, audit.snapshot(item, ("status", "attempts", "error"))),
    )
    return item


@transaction.atomic
def discard_dead_letter(item_id: int, *, by: Any, reason: str = "") -> None:
    """Drop a dead letter for good (a malformed mail, a report of a message long gone)."""
    item = _dead_item(item_id)
    audit.record(
        actor=by,
        action="inbound.discarded",
        target=item,
        changes={"provider": item.provider, "provider_id": item.provider_id, "error": item.error[:300]},
        reason=reason,
    )
    item.status = InboundStatus.DISCARDED
    item.save(update_fields=["status"])
