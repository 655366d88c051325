"""Driving Channels consumers from plain (sync) pytest tests.

The suite has no asyncio plugin: a test hands an async scenario to `run`, which drives it with
asgiref from the test's thread, so `database_sync_to_async` calls in the consumers and
`sync(...)` calls in the scenario use the test's database connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from kefu.config.websockets import websocket_urlpatterns

TIMEOUT = 3


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return async_to_sync(scenario)()


def sync(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """A database call from inside a scenario."""
    return database_sync_to_async(function)


def socket(path: str, user: Any = None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    if user is not None:
        communicator.scope["user"] = user
    return communicator


async def receive_until(communicator: WebsocketCommunicator, kind: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    """The next message of type `kind`, skipping others."""
    while True:
        message: dict[str, Any] = await communicator.receive_json_from(timeout=timeout)
        if message.get("type") == kind:
            return message
