"""WebSocket endpoint of the desk: each signed-in staff member listens on their own group."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import path


def user_group(user_id: int) -> str:
    return f"staff.{user_id}"


class DeskConsumer(AsyncJsonWebsocketConsumer):
    """Pushes events meant for one member of staff (offers, notices) to their open pages."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add("staff.all", self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.get_username()})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard("staff.all", self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def desk_event(self, event: dict[str, Any]) -> None:
        """A message sent to the group with type "desk.event" goes to the browser as is."""
        await self.send_json(event["payload"])


websocket_urlpatterns = [path("ws/desk/", DeskConsumer.as_asgi())]
