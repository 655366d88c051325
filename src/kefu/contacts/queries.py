"""Reads of contacts shared by the desk, the API and reports."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kefu.contacts.models import Contact, Message
from kefu.customers.models import Customer


def customer_timeline(customer: Customer, limit: int = 50) -> list[Contact]:
    """The customer's contacts on every channel, newest first (PRODUCT §3: one timeline)."""
    return list(
        Contact.objects.filter(customer=customer)
        .select_related("agent", "wrap_up_code")
        .order_by("-created_at", "-id")[:limit]
    )


def transcript(contact: Contact, after_id: int = 0) -> QuerySet[Message]:
    return contact.messages.filter(id__gt=after_id).select_related("author").order_by("created_at", "id")


def contact_by_token(token: str) -> Contact | None:
    """A customer's browser holds the contact's resume token to reconnect to its chat."""
    if not token:
        return None
    return Contact.objects.filter(resume_token=token).first()


def active_contacts_of(agent: Any) -> QuerySet[Contact]:
    return Contact.objects.filter(agent=agent, status__in=["active", "wrap_up"]).select_related("customer")


# --- reads of the live desk and the web chat (issue 4) ----------------------------------------

CUSTOMER_VISIBLE_SENDERS = ("customer", "agent", "bot")


def is_handled_by(contact_id: int, agent_id: int) -> bool:
    """Whether this agent is handling the contact now (talking or wrapping up) and may follow its chat."""
    return Contact.objects.filter(pk=contact_id, agent_id=agent_id, status__in=["active", "wrap_up"]).exists()


def handled_contact(agent: Any, contact_id: int) -> Contact | None:
    """One of the agent's current contacts, or None when it is not (or no longer) theirs."""
    return (
        Contact.objects.filter(pk=contact_id, agent=agent, status__in=["active", "wrap_up"])
        .select_related("customer", "wrap_up_code")
        .first()
    )


def customer_transcript(contact: Contact, after_id: int = 0) -> QuerySet[Message]:
    """What the customer may read again: the conversation without the agents' internal notes."""
    return transcript(contact, after_id).filter(sender__in=CUSTOMER_VISIBLE_SENDERS, internal=False)


def is_for_customer(event: dict[str, Any]) -> bool:
    """Whether a live "chat.message" event may reach the customer (not an internal or system note)."""
    return event.get("sender") in CUSTOMER_VISIBLE_SENDERS and not event.get("internal")


def contact_handled_by(agent: Any, contact_id: int, customer: Customer) -> Contact | None:
    """A contact of this customer that the agent answered (now or earlier), e.g. to open an order from it."""
    return Contact.objects.filter(pk=contact_id, agent=agent, customer=customer).first()


def message_by_client_id(contact: Contact, client_id: str) -> Message | None:
    if not client_id:
        return None
    return contact.messages.filter(client_id=client_id).first()


def wrap_up_codes() -> list[Any]:
    from kefu.contacts.models import WrapUpCode

    return list(WrapUpCode.objects.filter(is_active=True).order_by("category", "code"))
