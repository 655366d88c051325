"""Where messages go. Until a real SMS gateway is configured, the development backend
writes what *would* be sent to a file and marks the message sent — clearly not delivered
to anyone (its provider ids start with "dev-")."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from kefu.messaging.channel_accounts import channel_config
from kefu.messaging.models import ChannelKind, OutboundMessage


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


class SmtpTransport:
    """Email through the smarthost (the SMTP channel account, else KEFU_SMTP_*), threading headers kept."""

    def send(self, message: OutboundMessage) -> str:
        import smtplib
        import ssl
        from email.message import EmailMessage
        from email.utils import formatdate, make_msgid

        config = channel_config(ChannelKind.EMAIL_SMTP)
        email = EmailMessage()
        email["From"] = message.headers.get("From") or config.text("from_address") or settings.KEFU_EMAIL_FROM
        email["To"] = message.address
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=True)
        email["Message-ID"] = message.headers.get("Message-ID") or make_msgid(domain=settings.KEFU_EMAIL_DOMAIN)
        for name in ("In-Reply-To", "References"):
            if message.headers.get(name):
                email[name] = message.headers[name]
        email.set_content(message.body, charset="utf-8")
        with smtplib.SMTP(config.text("host"), config.number("port") or 25, timeout=20) as smtp:
            if config.flag("starttls"):
                smtp.starttls(context=ssl.create_default_context())
            if config.text("user"):
                smtp.login(config.text("user"), config.text("password"))
            smtp.send_message(email)
        return str(email["Message-ID"])


# Connectors (a higher layer) provide the transports of their channels; named by dotted path
# so this layer never imports them. Each picks its gateway by setting, else DevelopmentTransport.
CONNECTOR_TRANSPORTS = {
    "sms": "kefu.connectors.sms.transport.sms_transport",
    "im": "kefu.connectors.im.transport.im_transport",
}


def transport_for(channel: str) -> Transport:
    if channel == "in_app":
        return InAppTransport()
    if channel == "email" and channel_config(ChannelKind.EMAIL_SMTP).configured:
        return SmtpTransport()
    if channel in CONNECTOR_TRANSPORTS:
        factory: Callable[[], Transport] = import_string(CONNECTOR_TRANSPORTS[channel])
        return factory()
    return DevelopmentTransport()
