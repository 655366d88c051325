"""The customer's chat socket, /ws/chat/<resume token>/?after=<last message id>.

The token is the only key: a socket joins the group of the one chat the token opens and can
join no other. On (re)connect it receives what it missed after `after`; the widget then resends
the messages it has no acknowledgement for, under their client ids, and each is stored once.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path

from kefu.connectors.webchat import transport
from kefu.contacts import queries as contact_queries
from kefu.contacts import services as contacts
from kefu.contacts.choices import ContactChannel
from kefu.contacts.models import Contact
from kefu.core import events
from kefu.core.errors import BusinessRuleError

CLOSE_UNKNOWN_CHAT = 4404
SEEN_WRITE_SECONDS = contacts.CUSTOMER_SEEN_PRECISION.total_seconds()
# Live events that change what the widget shows about the chat's state.
STATE_EVENTS = frozenset({"chat.agent_joined", "chat.transferred", "chat.ended"})


def _after(query_string: bytes) -> int:
    values = parse_qs(query_string.decode("latin-1")).get("after", ["0"])
    return int(values[0]) if values[0].isdigit() else 0


def _hello(contact: Contact, after_id: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "state": transport.chat_state(contact).as_json(),
        "messages": transport.history(contact, after_id),
    }


def _receive(contact_id: int, client_id: str, body: str) -> dict[str, Any]:
    contact = Contact.objects.get(pk=contact_id)
    delivery = transport.receive_message(contact, client_id=client_id, body=body)
    message = delivery.message or transport.stored_message(contact, client_id)
    if not delivery.delivered or message is None:
        return {"type": "error", "client_id": client_id, "message": delivery.refusal}
    return {"type": "ack", "client_id": client_id, "id": message.pk}


def _state(contact_id: int) -> dict[str, Any]:
    return {"type": "state", "state": transport.chat_state(Contact.objects.get(pk=contact_id)).as_json()}


class ChatConsumer(AsyncJsonWebsocketConsumer):
    """One customer's chat: live messages both ways, acknowledgements, state changes.

    Whatever the widget sends (a message, a state request, its ping) says the customer is still
    there; the routing tick abandons a chat whose customer closed the tab (`acd.end_vanished_chats`)."""

    contact_id: int | None = None
    seen_written_at: float = 0.0

    async def _seen(self) -> None:
        now = time.monotonic()
        if self.contact_id is None or now - self.seen_written_at < SEEN_WRITE_SECONDS:
            return  # at most one presence write per socket every SEEN_WRITE_SECONDS
        self.seen_written_at = now
        await database_sync_to_async(contacts.mark_customer_seen)(self.contact_id)

    async def connect(self) -> None:
        token = str(self.scope["url_route"]["kwargs"].get("token", ""))
        contact = await database_sync_to_async(contact_queries.contact_by_token)(token)
        if contact is None or contact.channel != ContactChannel.CHAT:
            await self.close(code=CLOSE_UNKNOWN_CHAT)
            return
        self.contact_id = contact.pk
        await self.channel_layer.group_add(events.chat_group(contact.pk), self.channel_name)
        await self.accept()
        await self._seen()
        after = _after(self.scope.get("query_string", b""))
        await self.send_json(await database_sync_to_async(_hello)(contact, after))

    async def disconnect(self, code: int) -> None:
        if self.contact_id is not None:
            await self.channel_layer.group_discard(events.chat_group(self.contact_id), self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.contact_id is None or not isinstance(content, dict):
            return
        await self._seen()
        kind = content.get("type")
        if kind == "message":
            client_id, body = str(content.get("client_id", "")), str(content.get("body", ""))
            try:
                reply = await database_sync_to_async(_receive)(self.contact_id, client_id, body)
            except BusinessRuleError as refusal:
                reply = {"type": "error", "client_id": client_id, "message": refusal.message}
            await self.send_json(reply)
        elif kind == "state":
            await self.send_json(await database_sync_to_async(_state)(self.contact_id))
        elif kind == "ping":
            await self.send_json({"type": "pong"})

    async def desk_event(self, event: dict[str, Any]) -> None:
        payload = event["payload"]
        kind = payload.get("type")
        if kind == "chat.message":
            if not contact_queries.is_for_customer(payload):
                return  # an agent's internal note (e.g. a transfer note) is not for the customer
            await self.send_json(payload)
        elif kind in STATE_EVENTS and self.contact_id is not None:
            await self.send_json(payload)
            await self.send_json(await database_sync_to_async(_state)(self.contact_id))


class ChatOriginValidator(OriginValidator):
    """The widget is embedded on the operator's websites: their origins (KEFU_CHAT_ALLOWED_ORIGINS,
    by default the site's own hosts) may open a chat socket. Read at each connection."""

    def __init__(self, application: Any) -> None:
        self.application = application

    @property
    def allowed_origins(self) -> list[str]:
        return list(settings.KEFU_CHAT_ALLOWED_ORIGINS or settings.ALLOWED_HOSTS)


CHAT_SOCKET_PREFIX = "/ws/chat/"
websocket_urlpatterns = [path("ws/chat/<str:token>/", ChatConsumer.as_asgi())]
