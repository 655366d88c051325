"""WebSocket endpoint of the desk, /ws/desk/.

Every signed-in member of staff listens on their own group (`staff.<id>`: offers, state
changes) and on `staff.all`; team leads and supervisors also on `supervisors` (queues and
agents changed). An agent's page follows the chats it handles by sending
{"type": "subscribe", "contact": <id>}: the socket joins `chat.<id>` only when that contact is
assigned to this agent now, and leaves it when the contact is transferred away.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import path

from kefu.contacts import queries as contact_queries
from kefu.core import events

STAFF_ALL_GROUP = "staff.all"
SUPERVISE = "routing.supervise_agents"
CLOSE_SIGNED_OUT = 4401


def user_group(user_id: int) -> str:
    return events.staff_group(user_id)


def _may_supervise(user: Any) -> bool:
    return bool(user.has_perm(SUPERVISE))


class DeskConsumer(AsyncJsonWebsocketConsumer):
    """Pushes events meant for one member of staff (offers, notices, their chats) to their open pages."""

    user_id: int | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_SIGNED_OUT)
            return
        self.user_id = user.pk
        self.chats: set[int] = set()
        self.groups_joined = [user_group(user.pk), STAFF_ALL_GROUP]
        if await database_sync_to_async(_may_supervise)(user):
            self.groups_joined.append(events.SUPERVISORS_GROUP)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.get_username()})

    async def disconnect(self, code: int) -> None:
        if self.user_id is None:
            return
        for group in [*self.groups_joined, *(events.chat_group(contact) for contact in self.chats)]:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.user_id is None or not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind in ("subscribe", "unsubscribe"):
            contact = content.get("contact")
            if not isinstance(contact, int):
                return
            if kind == "subscribe":
                await self._follow(contact)
            else:
                await self._unfollow(contact)

    async def _follow(self, contact_id: int) -> None:
        user_id = self.user_id
        handled = user_id is not None and await database_sync_to_async(contact_queries.is_handled_by)(
            contact_id, user_id
        )
        if not handled:
            await self.send_json({"type": "refused", "contact": contact_id})
            return
        self.chats.add(contact_id)
        await self.channel_layer.group_add(events.chat_group(contact_id), self.channel_name)
        await self.send_json({"type": "subscribed", "contact": contact_id})

    async def _unfollow(self, contact_id: int) -> None:
        self.chats.discard(contact_id)
        await self.channel_layer.group_discard(events.chat_group(contact_id), self.channel_name)

    async def desk_event(self, event: dict[str, Any]) -> None:
        """A message sent to the group with type "desk.event" goes to the browser as is."""
        payload = event["payload"]
        await self.send_json(payload)
        contact = payload.get("contact")
        if payload.get("type") == "chat.transferred" and isinstance(contact, int) and contact in self.chats:
            # The chat went to another agent or queue: this agent no longer follows it.
            user_id = self.user_id
            if user_id is None or not await database_sync_to_async(contact_queries.is_handled_by)(contact, user_id):
                await self._unfollow(contact)


websocket_urlpatterns = [path("ws/desk/", DeskConsumer.as_asgi())]
