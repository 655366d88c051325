"""An agent's reply to an IM contact: stored on the contact, then sent through the outbox to the
platform it came from (the connector and the platform's user id ride in the outbox headers)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.connectors.im.inbound import adapter_of
from kefu.contacts import services as contacts
from kefu.contacts.choices import SenderKind
from kefu.contacts.models import Contact, Message
from kefu.core.errors import NotAllowed
from kefu.messaging.models import OutboundMessage
from kefu.messaging.services import queue_message, register_default_template

CHANNEL = "im"
register_default_template("im_reply", CHANNEL, "", "{{ body }}")


def queue_im(contact: Contact, message: Message, *, connector: str, user_id: str) -> OutboundMessage | None:
    """Put a stored agent message in the outbox, once per message."""
    return queue_message(
        channel=CHANNEL,
        template_code="im_reply",
        context={"body": message.body},
        address=contact.identity,
        about=("contacts.contact", str(contact.pk)),
        dedupe_key=f"im:message:{message.pk}",
        headers={"connector": connector, "to": user_id, "contact": str(contact.pk)},
    )


@transaction.atomic
def reply_by_im(contact: Contact, *, agent: Any, body: str, client_id: str = "") -> Message:
    """The agent who holds the contact answers on the platform the customer wrote from."""
    adapter = adapter_of(contact)
    if contact.agent_id != agent.pk:
        raise NotAllowed(_("This contact is not yours."))
    message, created = contacts.add_message(
        contact, sender=SenderKind.AGENT, body=body, author=agent, client_id=client_id
    )
    if created:
        adapter.send(contact, message)
    return message
