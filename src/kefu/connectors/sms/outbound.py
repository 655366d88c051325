"""An agent's reply to an SMS contact: stored on the contact, then sent through the outbox to the
configured gateway (Kannel or SMPP), which reports delivery back onto the outbox row."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.connectors.sms.inbound import adapter
from kefu.connectors.sms.parse import count_segments
from kefu.contacts import services as contacts
from kefu.contacts.choices import ContactChannel, SenderKind
from kefu.contacts.models import Contact, Message
from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.messaging.models import OutboundMessage
from kefu.messaging.services import queue_message, register_default_template

register_default_template("sms_reply", "sms", "", "{{ body }}")


def queue_sms(contact: Contact, message: Message) -> OutboundMessage | None:
    """Put a stored agent message in the outbox, once per message."""
    return queue_message(
        channel="sms",
        template_code="sms_reply",
        context={"body": message.body},
        address=contact.identity,
        about=("contacts.contact", str(contact.pk)),
        dedupe_key=f"sms:message:{message.pk}",
    )


@transaction.atomic
def reply_by_sms(contact: Contact, *, agent: Any, body: str, client_id: str = "") -> Message:
    """The agent who holds the contact answers by SMS (at most KEFU_SMS_MAX_PARTS segments)."""
    if contact.channel != ContactChannel.SMS:
        raise BusinessRuleError(_("Only SMS contacts are answered by SMS."), code="not_sms")
    if contact.agent_id != agent.pk:
        raise NotAllowed(_("This contact is not yours."))
    if not contact.identity:
        raise BusinessRuleError(_("This contact has no phone number to answer."), code="sms_no_number")
    if count_segments(body.strip()) > settings.KEFU_SMS_MAX_PARTS:
        raise BusinessRuleError(
            _("An SMS reply is limited to %(parts)s messages.") % {"parts": settings.KEFU_SMS_MAX_PARTS},
            code="sms_too_long",
        )
    message, created = contacts.add_message(
        contact, sender=SenderKind.AGENT, body=body, author=agent, client_id=client_id
    )
    if created:
        adapter().send(contact, message)
    return message
