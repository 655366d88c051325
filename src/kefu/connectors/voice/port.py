"""The voice gateway port (语音网关接口): what a telephony platform tells Kefu, and what Kefu tells it.

Events (the gateway → Kefu), one method each on `VoiceAdapter`:
- a call started (caller, called number, the gateway's call id) → a voice Contact, stored first
  under the call id, so a repeated call-start event is a no-op;
- digits (the IVR walks its menu; while queued, "1" asks for a callback);
- the call reached a queue of the menu → the contact enters it with its IVR path ("2>1");
- an agent answered → the offer is accepted;
- hang-up → abandoned if still waiting, ended if answered; each stored once under the call id.

Commands (Kefu → the gateway) are the `VoiceGateway` protocol: answer, play a prompt, collect
digits, bridge to an agent, hold, transfer, hang up. The SIP user agent (`sip.py`) and the
Asterisk ARI client (`ari.py`) implement both sides; the rules stay in the routing services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.connectors.base import ChannelAdapter, Delivery, Inbound
from kefu.connectors.voice.ivr import QueueTarget
from kefu.contacts import services as contacts
from kefu.contacts.choices import ContactChannel, ContactStatus, InboundStatus
from kefu.contacts.models import Contact, InboundItem, Message
from kefu.core.errors import BusinessRuleError
from kefu.routing import queries as routing_queries
from kefu.routing import services as acd
from kefu.routing.choices import EntryState
from kefu.routing.models import CallbackRequest, Queue, QueueEntry

CALLBACK_KEY = "1"  # while waiting: "press 1 to be called back"
WAITING = (ContactStatus.QUEUED, ContactStatus.OFFERED)


# --- events ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallStarted:
    """A customer's call reached the service number."""

    call_id: str
    caller: str
    called: str
    caller_name: str = ""


@dataclass(frozen=True)
class DigitPressed:
    call_id: str
    digit: str


@dataclass(frozen=True)
class CallHungUp:
    call_id: str
    cause: str = ""


@dataclass(frozen=True)
class AgentAnswered:
    call_id: str
    agent_id: int


# --- commands ----------------------------------------------------------------------------------


class VoiceGateway(Protocol):
    """What Kefu asks of the telephony platform about one call (by the gateway's call id)."""

    def answer(self, call_id: str) -> None: ...

    def play(self, call_id: str, prompt: str) -> None:
        """Say `prompt` (text; the gateway renders it as a recorded prompt) to the caller."""

    def collect_digits(self, call_id: str, max_digits: int, timeout: float) -> str: ...

    def bridge_to_agent(self, call_id: str, agent: User) -> None: ...

    def hold(self, call_id: str, on_hold: bool) -> None: ...

    def transfer(self, call_id: str, queue_code: str) -> None:
        """The call waits again, now for `queue_code` (the routing services moved its entry)."""

    def hang_up(self, call_id: str) -> None: ...


# --- prompts -----------------------------------------------------------------------------------

WELCOME_BACK = "您好，欢迎致电客服热线。"
QUEUED_PROMPT = "正在为您转接{label}，请稍候。"
POSITION_PROMPT = "您前面还有{ahead}位客户，预计等待{minutes}分钟。如需稍后回电，请按1。"
CALLBACK_PROMPT = "已为您预约回电，我们将尽快与您联系，再见。"
CONNECTED_PROMPT = "正在为您接通客服代表。"
GOODBYE_PROMPT = "感谢您的来电，再见。"


def position_prompt(position: int, wait_seconds: int) -> str:
    return POSITION_PROMPT.format(ahead=max(0, position - 1), minutes=max(1, round(wait_seconds / 60)))


# --- the adapter -------------------------------------------------------------------------------


def voice_queue(code: str) -> Queue:
    """The queue the menu chose; else KEFU_VOICE_QUEUE; else the first queue taking calls."""
    queues = routing_queries.queues_taking(ContactChannel.VOICE)
    for wanted in (code, settings.KEFU_VOICE_QUEUE):
        for queue in queues:
            if queue.code == wanted:
                return queue
    if queues:
        return queues[0]
    raise BusinessRuleError(_("No queue takes calls."), code="no_voice_queue")


class CallUnknown(BusinessRuleError):
    """An event about a call Kefu never saw start."""


class VoiceAdapter(ChannelAdapter):
    """A call is one voice Contact, found again by the gateway's call id (its inbound item)."""

    channel = ContactChannel.VOICE
    provider: ClassVar[str]

    # --- what the gateway reports ---------------------------------------------------------------

    def call_started(self, event: CallStarted) -> Delivery:
        """Store the call under its id and open its contact (in the IVR, not queued yet)."""
        inbound = Inbound(
            provider_id=event.call_id,
            identity=event.caller,
            display_name=event.caller_name,
            extra={"called": event.called},
        )
        return self.deliver(inbound)

    def open_contact_for(self, inbound: Inbound) -> Contact:
        return contacts.open_contact(
            channel=self.channel, identity=inbound.identity, display_name=inbound.display_name, at=timezone.now()
        )

    def contact_for(self, call_id: str) -> Contact:
        item = InboundItem.objects.filter(provider=self.provider, provider_id=call_id).select_related("contact").first()
        if item is None or item.contact is None:
            raise CallUnknown(_("This call is not known."), code="call_unknown")
        return item.contact

    def call_id_of(self, contact: Contact) -> str | None:
        return (
            InboundItem.objects.filter(provider=self.provider, contact=contact)
            .values_list("provider_id", flat=True)
            .first()
        )

    @transaction.atomic
    def enter_queue(self, call_id: str, target: QueueTarget, ivr_path: str) -> QueueEntry:
        """The menu reached a queue: record the keys pressed, then queue the call."""
        contact = Contact.objects.select_for_update().get(pk=self.contact_for(call_id).pk)
        if contact.status != ContactStatus.NEW:
            return contact.queue_entry  # the gateway repeated itself
        contact.ivr_path = ivr_path[:200]
        # The IVR path is the voice connector's part of the call record (PRODUCT §3).
        contact.save(update_fields=["ivr_path"])
        return acd.enqueue(contact, voice_queue(target.queue_code))

    def ask_callback(self, call_id: str) -> CallbackRequest | None:
        """ "Press 1 to be called back": the caller leaves the queue; None when no longer waiting."""
        contact = self.contact_for(call_id)
        entry = QueueEntry.objects.filter(contact=contact).first()
        if entry is None or entry.state != EntryState.WAITING:
            return None
        return acd.request_callback(contact, contact.identity)

    def waiting_position(self, call_id: str) -> tuple[int, int] | None:
        return acd.queue_position(self.contact_for(call_id))

    def agent_answered(self, event: AgentAnswered) -> Contact:
        """The agent's phone picked up the call offered to them: the offer is accepted."""
        contact = self.contact_for(event.call_id)
        if contact.status == ContactStatus.ACTIVE:
            return contact
        agent = User.objects.get(pk=event.agent_id)
        return acd.accept_offer(agent, contact.queue_entry.pk)

    def call_hung_up(self, event: CallHungUp) -> tuple[InboundItem, bool]:
        """Stored once under "<call id>/hangup": abandoned while waiting, ended once answered."""

        def process(item: InboundItem) -> Contact | None:
            contact = self.contact_for(event.call_id)
            end_call(contact, timezone.now())
            return contact

        item, created = contacts.receive_inbound(
            provider=self.provider,
            provider_id=f"{event.call_id}/hangup",
            payload={"call_id": event.call_id, "cause": event.cause},
            process=process,
        )
        if not created and item.status == InboundStatus.DEAD:
            contacts.process_item(item, process)
        return item, created

    # --- outbound ------------------------------------------------------------------------------

    def send(self, contact: Contact, message: Message) -> str:
        raise BusinessRuleError(_("A call has no written replies."), code="voice_no_text")


@transaction.atomic
def end_call(contact: Contact, at: dt.datetime) -> Contact:
    """The caller (or the gateway) hung up, whatever stage the call was at."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.status == ContactStatus.NEW:
        contacts.mark_ended(contact, at, needs_wrap_up=False)  # hung up in the menu
    elif contact.status in WAITING:
        entry = QueueEntry.objects.filter(contact=contact).first()
        if entry is not None and entry.state == EntryState.CALLBACK:
            contacts.mark_ended(contact, at, needs_wrap_up=False)  # we call them back
        else:
            acd.abandon(contact)
    elif contact.status == ContactStatus.ACTIVE:
        acd.end_contact(contact)
    contact.refresh_from_db()
    return contact
