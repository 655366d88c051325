"""Queue messages from templates and deliver them from the outbox."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.utils import timezone

from kefu.messaging.backends import transport_for
from kefu.messaging.models import Channel, MessageTemplate, OutboundMessage

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5

# Texts used when an operator has not edited a template yet.
DEFAULT_TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {}


def register_default_template(code: str, channel: str, subject: str, body: str) -> None:
    """Apps declare the texts they send; an admin-edited MessageTemplate overrides them."""
    DEFAULT_TEMPLATES[(code, channel)] = (subject, body)


def render(code: str, channel: str, context: Mapping[str, Any]) -> tuple[str, str]:
    stored = MessageTemplate.objects.filter(code=code, channel=channel).first()
    if stored is not None:
        subject, body = stored.subject, stored.body
    elif (code, channel) in DEFAULT_TEMPLATES:
        subject, body = DEFAULT_TEMPLATES[(code, channel)]
    else:
        raise LookupError(f"no message template {code!r} for {channel}")
    data = Context(dict(context), autoescape=False)
    return Template(subject).render(data).strip(), Template(body).render(data).strip()


def queue_message(
    *,
    channel: str,
    template_code: str,
    context: Mapping[str, Any],
    address: str = "",
    recipient_user: Any = None,
    link: str = "",
    about: tuple[str, str] | None = None,
    dedupe_key: str | None = None,
    headers: dict[str, str] | None = None,
) -> OutboundMessage | None:
    """Queue one message; returns None when the same dedupe_key was queued before."""
    subject, body = render(template_code, channel, context)
    try:
        with transaction.atomic():
            message = OutboundMessage.objects.create(
                channel=channel,
                template_code=template_code,
                address=address,
                recipient_user=recipient_user,
                subject=subject,
                body=body,
                link=link,
                headers=headers or {},
                subject_type=about[0] if about else "",
                subject_id=about[1] if about else "",
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key and OutboundMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    if channel != Channel.IN_APP:
        from kefu.messaging.tasks import deliver_outbox

        transaction.on_commit(lambda: deliver_outbox.enqueue())
    else:
        message.status = OutboundMessage.Status.SENT
        message.sent_at = timezone.now()
        message.save(update_fields=["status", "sent_at"])
    return message


def deliver_queued(limit: int = 500) -> int:
    """Send what is queued, oldest first. Safe to run in several workers at once."""
    sent = 0
    ids = list(
        OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED)
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    for message_id in ids:
        with transaction.atomic():
            message = (
                OutboundMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, status=OutboundMessage.Status.QUEUED)
                .first()
            )
            if message is None:
                continue
            message.attempts += 1
            try:
                message.provider_id = transport_for(message.channel).send(message)
            except Exception as error:
                logger.warning("sending message %s failed: %s", message.pk, error)
                message.error = str(error)[:300]
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = OutboundMessage.Status.FAILED
            else:
                message.status = OutboundMessage.Status.SENT
                message.sent_at = timezone.now()
                sent += 1
            message.save(update_fields=["attempts", "provider_id", "error", "status", "sent_at"])
    return sent


def unread_notices(user: Any) -> Any:
    return OutboundMessage.objects.filter(channel=Channel.IN_APP, recipient_user=user, read_at__isnull=True)


def mark_notices_read(user: Any, ids: list[int] | None = None) -> int:
    """Mark the user's in-app notices read (all of them, or the given ids); returns how many."""
    notices = unread_notices(user)
    if ids is not None:
        notices = notices.filter(pk__in=ids)
    return int(notices.update(read_at=timezone.now()))
