"""Live events to browsers: published on the channel layer, only after the commit that caused them.

Pages subscribe through the desk WebSocket (groups `staff.<id>`, `staff.all`, `supervisors`,
`chat.<contact id>`); a lost event is never a lost fact — the database holds the truth and
pages re-read it on reconnect.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def _send(group: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "desk.event", "payload": payload})
    except Exception:
        logger.exception("could not publish %s to %s", payload.get("type"), group)


def publish(group: str, payload: dict[str, Any]) -> None:
    """Send `payload` to every socket in `group` once the current transaction commits."""
    transaction.on_commit(lambda: _send(group, payload))


def staff_group(user_id: int) -> str:
    return f"staff.{user_id}"


SUPERVISORS_GROUP = "supervisors"


def chat_group(contact_id: int) -> str:
    return f"chat.{contact_id}"
