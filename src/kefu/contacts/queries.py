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
