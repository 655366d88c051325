"""The inbound SMTP/LMTP receiver (`kefu smtpd`): every accepted mail is stored, then processed."""

from __future__ import annotations

import logging
from typing import Any

from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async
from django.conf import settings

from kefu.connectors.email.inbound import receive_mail
from kefu.connectors.email.parse import MalformedMail

logger = logging.getLogger(__name__)


class KefuMailHandler:
    """aiosmtpd handler: 250 once stored (even if processing fails: it is then a dead letter)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        try:
            item, created = await sync_to_async(receive_mail, thread_sensitive=False)(raw)
        except MalformedMail as error:
            logger.warning("refused a malformed mail from %s: %s", envelope.mail_from, error)
            return f"550 5.6.0 {error}"
        logger.info("mail %s %s", item.provider_id, "stored" if created else "was a repeat")
        return "250 Message accepted for delivery"


def start(host: str = "127.0.0.1", port: int = 2525) -> Controller:
    controller = Controller(
        KefuMailHandler(), hostname=host, port=port, data_size_limit=settings.KEFU_EMAIL_MAX_BYTES, decode_data=False
    )
    controller.start()
    return controller
