"""What the SMS gateways deliver to Kefu, whichever gateway it is (Kannel or SMPP).

- A customer's SMS (MO) is stored first under the gateway's id for it, then joins the customer's
  open SMS conversation from that number or opens a new SMS contact in the SMS queue
  (the gateway account's queue, else KEFU_SMS_QUEUE). An SMS that is a keyword ("CX", "查询",
  KEFU_SMS_KEYWORD_HANDLERS; `keywords`) is answered by its handler instead, without a contact —
  the hook of the text-menu runtime.
  The same SMS delivered twice is stored and processed once.
- A delivery report is stored first too (under the message and the report's kind), then moves
  the outbox row to delivered or failed. Reports never move a row backwards: a late "accepted
  by the SMSC" after "delivered to the phone" changes nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.connectors.base import ChannelAdapter, Delivery, Inbound
from kefu.connectors.sms import keywords
from kefu.connectors.sms.parse import ReportState, normalise_number
from kefu.connectors.sms.transport import sms_backend
from kefu.contacts import services as contacts
from kefu.contacts.choices import ContactChannel, ContactStatus, InboundStatus
from kefu.contacts.models import Contact, InboundItem, Message
from kefu.contacts.rows import RowQuery
from kefu.core.errors import BusinessRuleError
from kefu.core.snapshots import Snapshot
from kefu.messaging.channel_accounts import channel_config
from kefu.messaging.models import OutboundMessage
from kefu.routing import queries as routing_queries
from kefu.routing.models import Queue

FINISHED = (ContactStatus.WRAP_UP, ContactStatus.ENDED, ContactStatus.ABANDONED)
SUBJECT_LENGTH = 50
# The queues taking SMS, kept per process (`core.snapshots`): every new conversation needs one
# and they rarely change. A save or delete of a queue here forgets them; other nodes see it
# within this many seconds.
QUEUE_CACHE_SECONDS = 10.0
_sms_queues = Snapshot(
    "sms_queues", lambda: routing_queries.queues_taking(ContactChannel.SMS), seconds=QUEUE_CACHE_SECONDS
).watch(Queue)


def sms_queue(gateway: str = "") -> Queue:
    """The queue new SMS conversations enter: the gateway account's (else KEFU_SMS_QUEUE), else the
    first queue taking SMS."""
    wanted = channel_config(gateway).queue_code if gateway in ("kannel", "smpp") else settings.KEFU_SMS_QUEUE
    queues = _sms_queues.get()
    chosen = next((queue for queue in queues if queue.code == wanted), queues[0] if queues else None)
    if chosen is None:
        raise BusinessRuleError(_("No queue takes SMS."), code="no_sms_queue")
    return copy.copy(chosen)  # the cached instance is shared between requests: each gets its own


# The number's newest SMS conversation that is not finished, along the index on (channel,
# identity, created_at desc): read for every SMS, so written out once (`contacts.rows`).
ONGOING = RowQuery(
    Contact,
    f"WHERE channel = %s AND identity = %s AND status NOT IN ({', '.join(['%s'] * len(FINISHED))}) "
    "ORDER BY created_at DESC, id DESC LIMIT 1",
)


def ongoing_contact(identity: str) -> Contact | None:
    """The conversation an SMS from `identity` joins, if one is open (what
    `Contact.objects.filter(channel="sms", identity=identity).exclude(status__in=FINISHED)
    .order_by("-created_at", "-id").first()` finds)."""
    return ONGOING.first([ContactChannel.SMS, identity, *FINISHED])


class SmsAdapter(ChannelAdapter):
    """An SMS conversation is everything one number sends until its contact is finished."""

    channel = ContactChannel.SMS
    provider: ClassVar[str]
    gateway: ClassVar[str]

    def open_contact_for(self, inbound: Inbound) -> Contact:
        ongoing = ongoing_contact(inbound.identity)
        if ongoing is not None:
            return ongoing
        return self.start_contact(inbound, sms_queue(self.gateway))

    def send(self, contact: Contact, message: Message) -> str:
        from kefu.connectors.sms.outbound import queue_sms  # outbound builds on this module

        queue_sms(contact, message)
        return ""  # the gateway's id is known once the outbox has sent the message


class KannelAdapter(SmsAdapter):
    provider = "sms.kannel"
    gateway = "kannel"


class SmppAdapter(SmsAdapter):
    provider = "sms.smpp"
    gateway = "smpp"


ADAPTERS: dict[str, SmsAdapter] = {"kannel": KannelAdapter(), "smpp": SmppAdapter()}


def reprocess(item: InboundItem) -> None:
    """A dead SMS delivered again to its gateway's adapter (the dead-letter list's retry)."""
    gateway = next(a for a in ADAPTERS.values() if a.provider == item.provider)
    if "keyword" in item.payload:
        keywords.reprocess(item, Inbound.from_payload(item.payload))
        return
    gateway.deliver(Inbound.from_payload(item.payload))


def adapter() -> SmsAdapter:
    """The adapter of the configured gateway (replies are the same whichever gateway carries them)."""
    return ADAPTERS.get(sms_backend(), ADAPTERS["kannel"])


def receive_sms(
    gateway: str, *, provider_id: str, sender: str, recipient: str, text: str, extra: dict[str, Any] | None = None
) -> Delivery:
    """A customer's SMS through `gateway` ("kannel" or "smpp"); the same provider id twice is one SMS."""
    body = text.strip()
    inbound = Inbound(
        provider_id=provider_id,
        body=body,
        identity=normalise_number(sender),
        subject=body.replace("\n", " ")[:SUBJECT_LENGTH],
        extra={"from": sender, "to": recipient, **(extra or {})},
    )
    keyword = keywords.keyword_of(body)
    if keyword is not None:  # a text command (CX, 查询, ...): answered without an agent
        return keywords.answer(ADAPTERS[gateway].provider, inbound, keyword)
    return ADAPTERS[gateway].deliver(inbound)


# --- delivery reports -------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One delivery report, in Kefu's terms."""

    gateway: str
    report_id: str  # unique per report: the same report twice is stored once
    state: ReportState
    detail: str
    outbox_id: int | None = None  # when the gateway hands back our own reference
    provider_id: str = ""  # the gateway's message id, otherwise


class UnknownMessage(BusinessRuleError):
    """A report about a message the outbox does not (yet) know: kept as a dead letter."""


def _message_for(report: Report) -> OutboundMessage:
    rows = OutboundMessage.objects.select_for_update().filter(channel="sms")
    # By our own id when the gateway gives it back: the row lock then waits for the sender's
    # transaction, so a report that overtakes the commit of "sent" still finds the row.
    message = rows.filter(pk=report.outbox_id).first() if report.outbox_id else None
    if message is None and report.provider_id:
        message = rows.filter(provider_id=report.provider_id).first()
    if message is None or (report.provider_id and message.provider_id not in ("", report.provider_id)):
        raise UnknownMessage(_("A delivery report for an unknown message."), code="report_unknown_message")
    return message


def apply_report(message: OutboundMessage, state: ReportState, detail: str) -> bool:
    """Record a report on the outbox row; returns whether it changed the row."""
    open_states = (OutboundMessage.Status.QUEUED, OutboundMessage.Status.SENT)
    if state is ReportState.PENDING or message.status not in open_states:
        return False
    if state is ReportState.DELIVERED:
        message.status, message.error = OutboundMessage.Status.DELIVERED, ""
    else:
        message.status, message.error = OutboundMessage.Status.FAILED, f"delivery failed: {detail}"[:300]
    if message.sent_at is None:
        message.sent_at = timezone.now()
    # The connector records the gateway's verdict on the outbox row the messaging layer sent.
    message.save(update_fields=["status", "error", "sent_at"])
    return True


def _contact_of(message: OutboundMessage) -> Contact | None:
    if message.subject_type != "contacts.contact" or not message.subject_id.isdigit():
        return None
    return Contact.objects.filter(pk=int(message.subject_id)).first()


def receive_report(report: Report, payload: dict[str, Any]) -> tuple[InboundItem, bool]:
    """Store the report first, then apply it; the same report twice is applied once.

    A report for a message not known yet stays a dead letter and is applied when the gateway
    repeats it (SMPP: Kefu answers the receipt with a temporary error so the SMSC does)."""

    def process(item: InboundItem) -> Contact | None:
        message = _message_for(report)
        apply_report(message, report.state, report.detail)
        return _contact_of(message)

    provider = f"{ADAPTERS[report.gateway].provider}.dlr"
    item, created = contacts.receive_inbound(
        provider=provider, provider_id=report.report_id, payload=payload, process=process
    )
    if not created and item.status == InboundStatus.DEAD:
        contacts.process_item(item, process)
    return item, created
