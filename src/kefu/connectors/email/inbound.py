"""An inbound mail becomes (part of) an email contact, exactly once."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from email import policy
from email.parser import BytesParser

from django.conf import settings
from django.db import transaction

from kefu.connectors.email.parse import MalformedMail, parse_mail
from kefu.contacts import services as contacts
from kefu.contacts.choices import ContactChannel, ContactStatus, SenderKind
from kefu.contacts.models import Contact, InboundItem, Message
from kefu.routing import services as routing
from kefu.routing.models import Queue

logger = logging.getLogger(__name__)
PROVIDER = "email"
MESSAGE_ID = re.compile(r"<[^<>\s]+>")  # as parse._ids reads it


def provider_id_of(raw: bytes) -> str:
    """The Message-ID, or a digest of the bytes for mail that has none.

    Only the header block is parsed, with the plain (compat32) policy: the full parse happens
    once, when the mail is processed (parsing it twice was a third of a mail's cost)."""
    headers = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    found = MESSAGE_ID.search(str(headers.get("Message-ID", "")))
    if found is not None:
        return found.group(0)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def receive_mail(raw: bytes, *, queue_code: str = "") -> tuple[InboundItem, bool]:
    """Store the mail under its Message-ID, then process it; a repeat delivery is a no-op.

    `queue_code` is the queue of the mailbox it came from (IMAP accounts: one mailbox per queue);
    empty: KEFU_EMAIL_QUEUE."""
    if len(raw) > settings.KEFU_EMAIL_MAX_BYTES:
        raise MalformedMail(f"mail of {len(raw)} bytes is over the limit")
    payload = {"raw": base64.b64encode(raw).decode("ascii")}
    if queue_code:
        payload["queue"] = queue_code
    return contacts.receive_inbound(
        provider=PROVIDER, provider_id=provider_id_of(raw), payload=payload, process=process_mail_item
    )


def _thread_contact(in_reply_to: list[str], order_numbers: list[str]) -> Contact | None:
    if in_reply_to:
        earlier = (
            Message.objects.filter(external_id__in=in_reply_to, contact__channel=ContactChannel.EMAIL)
            .select_related("contact")
            .order_by("-created_at")
            .first()
        )
        if earlier is not None:
            return earlier.contact
    for number in order_numbers:
        contact = Contact.objects.filter(channel=ContactChannel.EMAIL, subject__contains=number).order_by("-id").first()
        if contact is not None:
            return contact
    return None


def email_queue(code: str = "") -> Queue | None:
    """The queue that works the mailbox (its account's, else KEFU_EMAIL_QUEUE)."""
    return Queue.objects.filter(code=code or settings.KEFU_EMAIL_QUEUE).first()


def reprocess(item: InboundItem) -> None:
    """A dead mail processed again (the dead-letter list's retry, `kefu deadletters retry`)."""
    contacts.process_item(item, process_mail_item)


def process_mail_item(item: InboundItem) -> Contact | None:
    raw = base64.b64decode(item.payload["raw"])
    mail = parse_mail(raw)  # MalformedMail → the item becomes a dead letter with the reason
    if mail.is_bounce or mail.is_automatic:
        logger.info(
            "mail %s from %s is a %s; no contact",
            item.provider_id,
            mail.sender,
            "bounce" if mail.is_bounce else "auto-reply",
        )
        return None
    body = mail.text or "(无正文)"
    if mail.attachments:
        names = "、".join(f"{a.name}{'' if a.accepted else '（已拒收）'}" for a in mail.attachments)
        body = f"{body}\n\n[附件] {names}"
    contact = _thread_contact(mail.in_reply_to, mail.order_numbers)
    if contact is not None and contact.status not in (ContactStatus.ENDED, ContactStatus.ABANDONED):
        contacts.add_message(contact, sender=SenderKind.CUSTOMER, body=body, external_id=mail.message_id)
        return contact
    contact = contacts.open_contact(
        channel=ContactChannel.EMAIL,
        identity=mail.sender,
        display_name=mail.sender_name,
        subject=mail.subject,
    )
    contacts.add_message(contact, sender=SenderKind.CUSTOMER, body=body, external_id=mail.message_id)
    queue = email_queue(str(item.payload.get("queue", "")))
    if queue is not None:
        with transaction.atomic():
            routing.enqueue(contact, queue)
    else:
        logger.warning("no email queue configured (KEFU_EMAIL_QUEUE); contact %s waits unrouted", contact.pk)
    return contact
