"""An agent's reply to an email contact: stored on the contact, sent through the outbox with
Message-ID / In-Reply-To / References so the customer's client threads it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.contacts import services as contacts
from kefu.contacts.choices import ContactChannel, SenderKind
from kefu.contacts.models import Contact, Message
from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.messaging.services import queue_message, register_default_template

register_default_template("email_reply", "email", "{{ subject }}", "{{ body }}\n\n--\n{{ signature }}")


def _reply_subject(subject: str) -> str:
    return subject if subject.lower().startswith(("re:", "回复:", "回复：")) else f"Re: {subject}"


@transaction.atomic
def reply_by_email(contact: Contact, *, agent: Any, body: str, client_id: str = "") -> Message:
    if contact.channel != ContactChannel.EMAIL:
        raise BusinessRuleError(_("Only email contacts are answered by email."), code="not_email")
    if contact.agent_id != agent.pk:
        raise NotAllowed(_("This contact is not yours."))
    from email.utils import make_msgid

    thread = [m.external_id for m in contact.messages.exclude(external_id="").order_by("created_at", "id")]
    message_id = make_msgid(domain=settings.KEFU_EMAIL_DOMAIN)
    message, created = contacts.add_message(
        contact, sender=SenderKind.AGENT, body=body, author=agent, external_id=message_id, client_id=client_id
    )
    if not created:  # a resend of a reply already on its way
        return message
    headers = {"Message-ID": message_id}
    if thread:
        headers["In-Reply-To"] = thread[-1]
        headers["References"] = " ".join(thread[-20:])
    queue_message(
        channel="email",
        template_code="email_reply",
        context={"subject": _reply_subject(contact.subject or ""), "body": body.strip(), "signature": str(agent)},
        address=contact.identity,
        about=("contacts.contact", str(contact.pk)),
        dedupe_key=f"email:{message_id}",
        headers=headers,
    )
    return message
