"""Contacts: open one for any channel, add messages idempotently, store inbound items first,
close, wrap up, rate, and record cross-channel hand-offs."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from typing import Any, Protocol

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from kefu.contacts.choices import ContactChannel, ContactStatus, Direction, InboundStatus, SenderKind
from kefu.contacts.models import Contact, Handoff, InboundItem, Message, WrapUpCode
from kefu.contacts.rows import RowQuery
from kefu.core import events
from kefu.core.db import insert_unless_exists
from kefu.core.errors import BusinessRuleError
from kefu.customers.models import ContactNumber, Customer
from kefu.customers.phones import digits_only

logger = logging.getLogger(__name__)
MAX_MESSAGE_LENGTH = 4000


# Caller identification for every new conversation: the customers holding a number (two are
# enough to know it is not one).
CUSTOMERS_BY_NUMBER = RowQuery(
    Customer,
    f"WHERE id IN (SELECT customer_id FROM {ContactNumber._meta.db_table} WHERE number = %s) LIMIT 2",  # noqa: S608 - a model's own table
)


def identify_customer(identity: str) -> Customer | None:
    """Who is this? A phone number or an email address that belongs to exactly one customer."""
    text = identity.strip()
    if not text:
        return None
    if "@" in text:
        matches = list(Customer.objects.filter(email__iexact=text)[:2])
    else:
        digits = digits_only(text)
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        digits = digits.lstrip("0") if len(digits) > 11 else digits
        matches = CUSTOMERS_BY_NUMBER.all([digits])  # one query, compiled once
    return matches[0] if len(matches) == 1 else None


def open_contact(
    *,
    channel: str,
    identity: str = "",
    display_name: str = "",
    customer: Customer | None = None,
    direction: str = Direction.INBOUND,
    subject: str = "",
    at: dt.datetime | None = None,
    queue_code: str = "",
) -> Contact:
    """A new contact; with `queue_code` it is written as already waiting there (the caller
    enqueues it in the same transaction, and `mark_queued` then has nothing left to write)."""
    if channel not in ContactChannel.values:
        raise BusinessRuleError(_("Unknown channel."), code="channel_unknown")
    now = at or timezone.now()
    return Contact.objects.create(
        channel=channel,
        direction=direction,
        identity=identity.strip()[:254],
        display_name=display_name.strip()[:100],
        customer=customer or identify_customer(identity),
        subject=subject.strip()[:200],
        created_at=now,
        resume_token=secrets.token_urlsafe(24),
        **({"status": ContactStatus.QUEUED, "queue_code": queue_code, "offered_at": now} if queue_code else {}),
    )


def add_message(
    contact: Contact,
    *,
    sender: str,
    body: str,
    author: Any = None,
    client_id: str = "",
    external_id: str = "",
    internal: bool = False,
    at: dt.datetime | None = None,
) -> tuple[Message, bool]:
    """Store a message; the same client_id twice stores it once. Returns (message, created).

    An `internal` note (e.g. why a chat was transferred) is for agents only: the customer's
    transcript, socket and channel never carry it."""
    text = body.strip()
    if not text:
        raise BusinessRuleError(_("A message cannot be empty."), code="message_empty")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise BusinessRuleError(_("A message is limited to 4000 characters."), code="message_too_long")
    if contact.status in (ContactStatus.ENDED, ContactStatus.ABANDONED) and sender != SenderKind.SYSTEM:
        raise BusinessRuleError(_("This conversation has ended."), code="contact_ended")
    client_id = client_id.strip()[:64]
    message = Message(
        contact=contact,
        sender=sender,
        author=author,
        body=text,
        internal=internal,
        client_id=client_id,
        external_id=external_id[:255],
        created_at=at or timezone.now(),
    )
    if not client_id:
        message.save(force_insert=True)
    elif not insert_unless_exists([message], conflict=["contact", "client_id"], where="NOT (client_id = '')"):
        return Message.objects.get(contact=contact, client_id=client_id), False
    events.publish(events.chat_group(contact.pk), message_event(message))
    return message, True


# Connectors (a higher layer) carry replies on their channels; named by dotted path so this
# layer never imports them (as `messaging.backends.CONNECTOR_TRANSPORTS`). Each stores the
# message and hands it to its connector's `send`. Web chat needs none: its socket listens to
# the chat's group, where `add_message` publishes the reply.
CONNECTOR_REPLIES = {
    ContactChannel.SMS: "kefu.connectors.sms.outbound.reply_by_sms",
    ContactChannel.EMAIL: "kefu.connectors.email.outbound.reply_by_email",
    ContactChannel.IM: "kefu.connectors.im.outbound.reply_by_im",
}


class Reply(Protocol):
    def __call__(self, contact: Contact, *, agent: Any, body: str, client_id: str = "") -> Message: ...


def reply_to_customer(contact: Contact, *, agent: Any, body: str, client_id: str = "") -> tuple[Message, bool]:
    """An agent's reply, stored and carried out on the contact's own channel. Returns (message, created).

    The same client id twice stores and sends the reply once."""
    existing = contact.messages.filter(client_id=client_id.strip()[:64]).first() if client_id.strip() else None
    if existing is not None:
        return existing, False
    path = CONNECTOR_REPLIES.get(ContactChannel(contact.channel))
    if path is None:
        return add_message(contact, sender=SenderKind.AGENT, body=body, author=agent, client_id=client_id)
    reply: Reply = import_string(path)
    return reply(contact, agent=agent, body=body, client_id=client_id), True


def message_event(message: Message) -> dict[str, Any]:
    return {
        "type": "chat.message",
        "contact": message.contact_id,
        "id": message.pk,
        "sender": message.sender,
        "author": str(message.author) if message.author else "",
        "body": message.body,
        "internal": message.internal,
        "at": message.created_at.isoformat(),
        "client_id": message.client_id,
    }


def receive_inbound(
    *,
    provider: str,
    provider_id: str,
    payload: dict[str, Any],
    process: Callable[[InboundItem], Contact | None],
) -> tuple[InboundItem, bool]:
    """The channel boundary: store first under the provider's id, then process.

    A repeated delivery returns the stored item and processes nothing (created False);
    a processing error leaves the item as a dead letter with the error, and is logged.

    One transaction and one commit: the item is inserted first (as processed: a concurrent
    repeat waits on its unique key and then finds it), processing follows, and only the contact
    it found is written back. When processing fails the transaction is rolled back and the item
    is stored again as a dead letter in a transaction of its own — so either way it is committed
    before the provider is answered, and no savepoint is paid on the way. If the process dies
    before the commit, the provider never got its acknowledgement and delivers again.
    """
    provider_id = provider_id.strip()
    if not provider_id:
        raise BusinessRuleError(_("An inbound item needs the provider's message id."), code="provider_id_missing")
    now = timezone.now()
    item = InboundItem(
        provider=provider,
        provider_id=provider_id,
        payload=payload,
        status=InboundStatus.PROCESSED,
        processed_at=now,
        attempts=1,
    )
    stored = False
    try:
        with transaction.atomic():
            if not insert_unless_exists([item], conflict=["provider", "provider_id"]):
                return _stored_item(provider, provider_id), False
            stored = True
            contact = process(item)
            if contact is not None:
                _link_contact(item, contact)
    except Exception as error:
        if not stored:
            raise  # the database refused the item itself: nothing to keep
        logger.warning("inbound %s:%s failed: %s", provider, provider_id, error)
        dead = InboundItem(
            provider=provider,
            provider_id=provider_id,
            payload=payload,
            status=InboundStatus.DEAD,
            attempts=1,
            error=_error_text(error),
        )
        with transaction.atomic():
            if not insert_unless_exists([dead], conflict=["provider", "provider_id"]):
                return _stored_item(provider, provider_id), False  # a concurrent repeat stored it meanwhile
        return dead, True
    return item, True


def _link_contact(item: InboundItem, contact: Contact) -> None:
    """The item's contact, written by one plain UPDATE (once per inbound message: the ORM's
    update cost more CPU than the statement)."""
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    meta = InboundItem._meta
    column = meta.get_field("contact").column
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {quote(column)} = %s WHERE {quote(meta.pk.column)} = %s",  # noqa: S608 - the model's own names
            [contact.pk, item.pk],
        )
    item.contact = contact


def _stored_item(provider: str, provider_id: str) -> InboundItem:
    """The item a repeated delivery found, with its contact (the caller reports it) in the same query."""
    return InboundItem.objects.select_related("contact").get(provider=provider, provider_id=provider_id)


def _error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def process_item(item: InboundItem, process: Callable[[InboundItem], Contact | None]) -> None:
    """Process a stored item again (a dead letter retried, or repeated by its provider)."""
    item.attempts += 1
    try:
        with transaction.atomic():
            contact = process(item)
    except Exception as error:
        logger.warning("inbound %s:%s failed: %s", item.provider, item.provider_id, error)
        item.status, item.error = InboundStatus.DEAD, _error_text(error)
        item.save(update_fields=["status", "error", "attempts"])
        return
    item.status, item.error, item.contact = InboundStatus.PROCESSED, "", contact
    item.processed_at = timezone.now()
    item.save(update_fields=["status", "error", "contact", "processed_at", "attempts"])


def _seconds(start: dt.datetime | None, end: dt.datetime) -> int | None:
    return None if start is None else max(0, int((end - start).total_seconds()))


CUSTOMER_SEEN_PRECISION = dt.timedelta(seconds=30)  # presence is written at most this often per chat


def mark_customer_seen(contact_id: int, at: dt.datetime | None = None) -> bool:
    """The customer's chat window showed a sign of life (connected, wrote, asked for its state).

    One UPDATE that writes nothing when the last sign is recent; returns whether it wrote."""
    now = at or timezone.now()
    recent = Q(customer_seen_at__gt=now - CUSTOMER_SEEN_PRECISION)
    return bool(Contact.objects.filter(pk=contact_id).exclude(recent).update(customer_seen_at=now))


def mark_queued(contact: Contact, queue_code: str, at: dt.datetime) -> None:
    if contact.queue_code == queue_code and contact.status == ContactStatus.QUEUED and contact.offered_at:
        return  # opened as waiting here (`open_contact(queue_code=...)`): nothing to write
    contact.queue_code = queue_code
    contact.status = ContactStatus.QUEUED
    if contact.offered_at is None:
        contact.offered_at = at
    contact.save(update_fields=["queue_code", "status", "offered_at"])


def mark_answered(contact: Contact, agent: Any, at: dt.datetime) -> None:
    first_answer = contact.answered_at is None
    contact.agent = agent
    contact.status = ContactStatus.ACTIVE
    if first_answer:
        contact.answered_at = at
        contact.wait_seconds = _seconds(contact.offered_at, at)
    contact.save(update_fields=["agent", "status", "answered_at", "wait_seconds"])


def mark_abandoned(contact: Contact, at: dt.datetime) -> None:
    contact.status = ContactStatus.ABANDONED
    contact.abandoned_at = contact.ended_at = at
    contact.wait_seconds = _seconds(contact.offered_at, at)
    contact.save(update_fields=["status", "abandoned_at", "ended_at", "wait_seconds"])
    events.publish(events.chat_group(contact.pk), {"type": "chat.ended", "contact": contact.pk})


def mark_ended(contact: Contact, at: dt.datetime, *, needs_wrap_up: bool) -> None:
    contact.ended_at = at
    contact.talk_seconds = _seconds(contact.answered_at, at)
    contact.status = ContactStatus.WRAP_UP if needs_wrap_up else ContactStatus.ENDED
    if contact.held_since is not None:  # hung up while the caller was on hold
        contact.hold_seconds += _seconds(contact.held_since, at) or 0
        contact.held_since = None
    contact.save(update_fields=["ended_at", "talk_seconds", "status", "hold_seconds", "held_since"])
    events.publish(events.chat_group(contact.pk), {"type": "chat.ended", "contact": contact.pk})


def put_on_hold(contact: Contact, at: dt.datetime | None = None) -> bool:
    """The agent put an answered call on hold; False when it was already (or is not answered)."""
    now = at or timezone.now()
    held = Contact.objects.filter(pk=contact.pk, status=ContactStatus.ACTIVE, held_since__isnull=True)
    return bool(held.update(held_since=now))


@transaction.atomic
def take_off_hold(contact: Contact, at: dt.datetime | None = None) -> int:
    """The call is back with the agent; its hold time (PRODUCT §11: part of handle time) grows by
    the seconds it waited. Returns them (0 when it was not on hold)."""
    now = at or timezone.now()
    locked = Contact.objects.select_for_update().get(pk=contact.pk)
    if locked.held_since is None:
        return 0
    seconds = _seconds(locked.held_since, now) or 0
    Contact.objects.filter(pk=contact.pk).update(held_since=None, hold_seconds=F("hold_seconds") + seconds)
    return seconds


def wrap_up(contact: Contact, *, code: WrapUpCode | None, notes: str, at: dt.datetime) -> None:
    if contact.status not in (ContactStatus.WRAP_UP, ContactStatus.ACTIVE):
        raise BusinessRuleError(_("Only a finished conversation can be wrapped up."), code="not_wrapping_up")
    contact.wrap_up_code = code
    contact.notes = notes.strip()
    contact.wrapped_up_at = at
    contact.wrap_up_seconds = _seconds(contact.ended_at, at) if contact.ended_at else 0
    contact.status = ContactStatus.ENDED
    contact.save(update_fields=["wrap_up_code", "notes", "wrapped_up_at", "wrap_up_seconds", "status"])


def rate_contact(contact: Contact, *, rating: int, comment: str = "") -> Contact:
    """The customer's rating at the end of a chat (1–5); given once."""
    if not 1 <= rating <= 5:
        raise BusinessRuleError(_("A rating is from 1 to 5."), code="rating_range")
    if contact.rating is not None:
        raise BusinessRuleError(_("This conversation was already rated."), code="already_rated")
    contact.rating, contact.rating_comment = rating, comment.strip()[:300]
    contact.save(update_fields=["rating", "rating_comment"])
    return contact


def link_customer(contact: Contact, customer: Customer) -> Contact:
    """An unknown customer identified later (e.g. by the agent during the chat)."""
    contact.customer = customer
    contact.save(update_fields=["customer"])
    return contact


def record_handoff(contact: Contact, *, to_channel: str, purpose: str) -> Handoff:
    return Handoff.objects.create(
        contact=contact,
        to_channel=to_channel,
        purpose=purpose[:100],
        token=secrets.token_urlsafe(16),
        created_at=timezone.now(),
    )


def complete_handoff(token: str) -> Handoff | None:
    handoff = Handoff.objects.filter(token=token, completed_at__isnull=True).first()
    if handoff is not None:
        handoff.completed_at = timezone.now()
        handoff.save(update_fields=["completed_at"])
    return handoff
