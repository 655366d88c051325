"""The channel boundary (issue 4 item 6): how any channel brings contacts in and sends replies out.

A connector (web chat, SMS, email, IM webhooks, a CTI for voice) subclasses `ChannelAdapter`:

- `deliver(inbound)` stores the delivery first under the provider's id (unique), then processes it:
  a new conversation opens a Contact and enters the channel's queue, a message of an open one
  is added to it. A repeated delivery is a no-op; a delivery that failed to process stays as a
  dead letter and is processed again when the provider repeats it.
- `send(contact, body)` carries an agent's reply out (for web chat the customer's socket already
  has it; SMS and email hand it to their gateway).

The adapter decides only what is protocol-specific: how a delivery finds its conversation
(`open_contact_for`). The rules — queues, routing, idempotent messages — stay in the domain
services, so every channel behaves the same.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from django.utils import timezone

from kefu.contacts import services as contacts
from kefu.contacts.choices import InboundStatus, SenderKind
from kefu.contacts.models import Contact, InboundItem, Message
from kefu.core.errors import BusinessRuleError
from kefu.routing import services as acd
from kefu.routing.models import Queue


@dataclass(frozen=True)
class Inbound:
    """One delivery from a channel, in the channel's own terms.

    `provider_id` is the provider's id of this delivery (an SMS id, an email Message-ID, a chat
    client's message id); `conversation` names the thread it belongs to when the provider has
    one (an email thread, a chat's resume token), empty for a new conversation.
    """

    provider_id: str
    body: str = ""
    client_id: str = ""  # the sender's id of the message within its conversation; default: provider_id
    identity: str = ""
    display_name: str = ""
    subject: str = ""
    conversation: str = ""
    customer_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Inbound:
        """The delivery an adapter stored (`payload()`), rebuilt to deliver it again (a retried dead letter)."""
        known = {field.name for field in fields(cls)}
        return cls(**{name: value for name, value in payload.items() if name in known})


@dataclass(frozen=True)
class Delivery:
    """What became of a delivery: the stored item, whether it was new, and the contact it joined."""

    item: InboundItem
    is_new: bool
    contact: Contact | None
    message: Message | None = None
    refusal: str = ""  # why processing refused it (the item is a dead letter), for the sender

    @property
    def delivered(self) -> bool:
        return not self.refusal


class ChannelAdapter(ABC):
    """A channel's connector. Subclasses set `provider` and `channel` and find conversations."""

    provider: ClassVar[str]
    channel: ClassVar[str]

    # --- inbound -----------------------------------------------------------------------------

    def deliver(self, inbound: Inbound) -> Delivery:
        """Store first, then process (ARCHITECTURE §4); the same provider id twice is processed once."""
        outcome: dict[str, Any] = {}

        def process(item: InboundItem) -> Contact | None:
            try:
                contact, message = self._process(inbound)
            except BusinessRuleError as refusal:
                outcome["refusal"] = refusal.message
                raise
            outcome["message"] = message
            return contact

        item, is_new = contacts.receive_inbound(
            provider=self.provider, provider_id=inbound.provider_id, payload=inbound.payload(), process=process
        )
        if not is_new and item.status == InboundStatus.DEAD:
            # The provider repeats what we failed to process before: a second chance, not a no-op.
            contacts.process_item(item, process)
        refusal = str(outcome.get("refusal", "")) if item.status == InboundStatus.DEAD else ""
        if item.status == InboundStatus.DEAD and not refusal:
            refusal = item.error
        return Delivery(item=item, is_new=is_new, contact=item.contact, message=outcome.get("message"), refusal=refusal)

    def _process(self, inbound: Inbound) -> tuple[Contact, Message | None]:
        contact = self.open_contact_for(inbound)
        message = None
        if inbound.body.strip():
            message, _created = contacts.add_message(
                contact,
                sender=SenderKind.CUSTOMER,
                body=inbound.body,
                client_id=inbound.client_id or inbound.provider_id,
            )
        return contact, message

    @abstractmethod
    def open_contact_for(self, inbound: Inbound) -> Contact:
        """The conversation this delivery belongs to, opened (and queued) when it is a new one."""

    def start_contact(self, inbound: Inbound, queue: Queue, *, customer: Any = None) -> Contact:
        """Open a contact for a new conversation on this channel and put it in `queue`."""
        contact = contacts.open_contact(
            channel=self.channel,
            identity=inbound.identity,
            display_name=inbound.display_name,
            customer=customer,
            subject=inbound.subject,
            at=timezone.now(),
            queue_code=queue.code,
        )
        acd.enqueue(contact, queue, at=contact.offered_at)
        return contact

    # --- outbound ----------------------------------------------------------------------------

    @abstractmethod
    def send(self, contact: Contact, message: Message) -> str:
        """Carry an agent's reply (already stored by `contacts.services.add_message`) to the customer.

        Returns the provider's id of what was sent, or "" when the provider gives none.
        """
