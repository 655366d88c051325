"""Where messages go. Until a real SMS gateway is configured, the development backend
writes what *would* be sent to a file and marks the message sent — clearly not delivered
to anyone (its provider ids start with "dev-")."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Protocol

from django.conf import settings

from kefu.messaging.models import OutboundMessage


class Transport(Protocol):
    def send(self, message: OutboundMessage) -> str:
        """Hand the message over; return the provider's id or raise on failure."""


class DevelopmentTransport:
    """Writes one JSON line per message to <data dir>/outbox-development.log."""

    def __init__(self) -> None:
        self.path = Path(settings.DATA_DIR) / "outbox-development.log"

    def send(self, message: OutboundMessage) -> str:
        provider_id = f"dev-{uuid.uuid4().hex[:12]}"
        line = {
            "id": message.pk,
            "channel": message.channel,
            "to": message.address or f"user:{message.recipient_user_id}",
            "subject": message.subject,
            "body": message.body,
            "provider_id": provider_id,
        }
        with self.path.open("a", encoding="utf-8") as log:
            log.write(json.dumps(line, ensure_ascii=False) + "\n")
        return provider_id


class InAppTransport:
    """In-app notices are already stored; delivering them means nothing more to do."""

    def send(self, message: OutboundMessage) -> str:
        return f"in-app-{message.pk}"


def transport_for(channel: str) -> Transport:
    if channel == "in_app":
        return InAppTransport()
    return DevelopmentTransport()
