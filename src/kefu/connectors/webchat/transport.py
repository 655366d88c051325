"""Web chat (在线客服): the customer's browser as a channel, the first `ChannelAdapter`.

A chat starts with one delivery (name, optional phone, first question) under the widget's
request id, so a double click or a retried request opens one contact. Each message then
comes with the widget's client id; it is stored first as an inbound item under
"<contact>:<client id>" and added to the contact once, however often the widget resends it
after a dropped connection. The widget holds the contact's resume token to reconnect.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext as _

from kefu.connectors.base import ChannelAdapter, Delivery, Inbound
from kefu.contacts import queries as contact_queries
from kefu.contacts import services as contacts
from kefu.contacts.choices import ContactChannel, ContactStatus
from kefu.contacts.models import Contact, Message
from kefu.core.errors import BusinessRuleError, RateLimited
from kefu.customers.models import Customer
from kefu.routing import queries as routing_queries
from kefu.routing import services as acd
from kefu.routing.models import Queue

PROVIDER = "webchat"
PORTAL_IDENTITY_SALT = "kefu.webchat.customer"
PORTAL_IDENTITY_MAX_AGE = 3600  # a portal page hands the widget a fresh one; an old one is refused
MAX_NAME_LENGTH = 40
MAX_PHONE_LENGTH = 20
MAX_CLIENT_ID_LENGTH = 64


def chat_queue(code: str = "") -> Queue:
    """The queue a new chat enters: the one the widget names (it must take chats); else the
    site's chat queue (KEFU_WEBCHAT_QUEUE) when it takes chats; else the first chat queue."""
    queues = routing_queries.queues_taking(ContactChannel.CHAT)
    preferred = [code] if code else [str(settings.KEFU_WEBCHAT_QUEUE), ""]
    for wanted in preferred:
        for queue in queues:
            if not wanted or queue.code == wanted:
                return queue
    raise BusinessRuleError(_("Online service is not available at the moment."), code="no_chat_queue")


def portal_identity(customer_id: int) -> str:
    """A signed, short-lived statement of who is signed in, which the portal hands the widget."""
    return signing.dumps({"customer": customer_id}, salt=PORTAL_IDENTITY_SALT)


def customer_from_portal_identity(token: str) -> Customer | None:
    if not token:
        return None
    try:
        data = signing.loads(token, salt=PORTAL_IDENTITY_SALT, max_age=PORTAL_IDENTITY_MAX_AGE)
    except signing.BadSignature as error:
        raise BusinessRuleError(_("Please sign in again."), code="portal_identity_invalid") from error
    return Customer.objects.filter(pk=data.get("customer")).first()


class WebChatAdapter(ChannelAdapter):
    provider = PROVIDER
    channel = ContactChannel.CHAT

    def open_contact_for(self, inbound: Inbound) -> Contact:
        if inbound.conversation:
            contact = contact_queries.contact_by_token(inbound.conversation)
            if contact is None or contact.channel != ContactChannel.CHAT:
                raise BusinessRuleError(_("This chat no longer exists."), code="chat_unknown")
            return contact
        customer = Customer.objects.filter(pk=inbound.customer_id).first() if inbound.customer_id else None
        return self.start_contact(inbound, chat_queue(str(inbound.extra.get("queue", ""))), customer=customer)

    def send(self, contact: Contact, message: Message) -> str:
        # Nothing to carry: the customer's socket listens on the chat's group, where
        # add_message already published the reply; a dropped socket reads it on reconnect.
        return ""


adapter = WebChatAdapter()


def _client_id(value: str) -> str:
    text = value.strip()
    if not text or len(text) > MAX_CLIENT_ID_LENGTH:
        raise BusinessRuleError(_("The message needs the widget's message id."), code="client_id_invalid")
    return text


START_WINDOW_SECONDS = 60


def ensure_start_allowed(client_ip: str) -> None:
    """At most KEFU_CHAT_STARTS_PER_MINUTE chats started per client address and minute.

    Anonymous starts open contacts and fill queues; a fixed one-minute window in the shared
    cache (so every app node counts together) is enough to stop a script."""
    window = int(time.time() // START_WINDOW_SECONDS)
    key = f"webchat:starts:{client_ip}:{window}"
    cache.add(key, 0, timeout=START_WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        count = 1
        cache.set(key, count, timeout=START_WINDOW_SECONDS * 2)
    if count > settings.KEFU_CHAT_STARTS_PER_MINUTE:
        raise RateLimited(
            _("Too many chats were started from your network. Please try again in a minute."),
            code="chat_start_rate",
        )


def start_chat(
    *,
    request_id: str,
    name: str,
    phone: str = "",
    question: str = "",
    queue_code: str = "",
    customer_token: str = "",
) -> Delivery:
    """Open a chat and queue it; the same request id twice opens one chat."""
    request_id = _client_id(request_id)
    customer = customer_from_portal_identity(customer_token)
    chat_queue(queue_code)  # refuse before storing anything when there is no queue to enter
    inbound = Inbound(
        provider_id=f"start:{request_id}",
        client_id=f"{request_id}:q",
        body=question.strip(),
        identity=phone.strip()[:MAX_PHONE_LENGTH],
        display_name=(name.strip() or (customer.name if customer else ""))[:MAX_NAME_LENGTH],
        subject=question.strip()[:200],
        customer_id=customer.pk if customer else None,
        extra={"queue": queue_code},
    )
    delivery = adapter.deliver(inbound)
    if delivery.contact is not None:
        contacts.mark_customer_seen(delivery.contact.pk)  # until the widget's socket says more
    return delivery


def receive_message(contact: Contact, *, client_id: str, body: str) -> Delivery:
    """A customer's message; a resend under the same client id is stored once."""
    client_id = _client_id(client_id)
    return adapter.deliver(
        Inbound(
            provider_id=f"{contact.pk}:{client_id}",
            client_id=client_id,
            body=body,
            conversation=contact.resume_token,
        )
    )


def stored_message(contact: Contact, client_id: str) -> Message | None:
    """The message a client id was stored under, to acknowledge a resend."""
    return contact_queries.message_by_client_id(contact, client_id)


def end_chat(contact: Contact) -> Contact:
    """The customer closes the chat: a waiting one is abandoned, a running one ended."""
    return acd.end_contact(contact)


def rate_chat(contact: Contact, *, rating: int, comment: str = "") -> Contact:
    """The rating at the end (1–5), once, and only for a chat an agent answered."""
    if contact.answered_at is None:
        raise BusinessRuleError(_("Only an answered chat can be rated."), code="rating_unanswered")
    return contacts.rate_contact(contact, rating=rating, comment=comment)


@dataclass(frozen=True)
class ChatState:
    """What the widget shows about its chat: where it is, and how long the wait should be."""

    contact: int
    status: str
    position: int | None
    expected_wait_seconds: int | None
    agent: str
    answered: bool
    rating: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "contact": self.contact,
            "status": self.status,
            "position": self.position,
            "expected_wait": self.expected_wait_seconds,
            "agent": self.agent,
            "answered": self.answered,
            "rating": self.rating,
        }


def chat_state(contact: Contact) -> ChatState:
    contact.refresh_from_db()
    position, wait = None, None
    status = contact.status
    if status in (ContactStatus.QUEUED, ContactStatus.OFFERED):
        place = acd.queue_position(contact)
        if place is not None:
            position, wait = place
        elif status == ContactStatus.OFFERED or acd.is_offered(contact):
            # an agent's desk is ringing: the customer hears "connecting you" (the contact itself
            # stays queued until the agent answers; the offer is its queue entry's state)
            status, position, wait = ContactStatus.OFFERED, 1, 0
    agent = str(contact.agent) if contact.agent_id and status == ContactStatus.ACTIVE else ""
    return ChatState(contact.pk, status, position, wait, agent, contact.answered_at is not None, contact.rating)


def message_json(message: Message) -> dict[str, Any]:
    """A message as the widget reads it (the same shape as the live "chat.message" event)."""
    return contacts.message_event(message)


def history(contact: Contact, after_id: int = 0) -> list[dict[str, Any]]:
    """The messages the customer missed since `after_id`, without the agents' internal notes."""
    return [message_json(message) for message in contact_queries.customer_transcript(contact, after_id)]
