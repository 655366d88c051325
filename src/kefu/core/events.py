"""Live events to browsers: published on the channel layer, only after the commit that caused them.

Pages subscribe through the desk WebSocket (groups `staff.<id>`, `staff.all`, `supervisors`,
`chat.<contact id>`); a lost event is never a lost fact — the database holds the truth and
pages re-read it on reconnect.

How an event leaves the process depends on the layer:

- a network layer (Redis, in production) is fed by one publisher thread per process with its
  own event loop and connection pool: the committing code hands the event over and goes on
  (no new loop and Redis connection per event, no request waiting for Redis), and the thread
  sends the events one after another, in the order they were committed;
- the in-memory layer (the demo on its embedded default, the tests) lives in the server's own
  loop, so events are sent there as before and the caller waits for them.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

FLUSH_AT_EXIT_SECONDS = 2.0


class _Publisher:
    """A daemon thread running an event loop that sends queued events in order."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._pending = 0
        self._lock = threading.Lock()
        self._refreshes: dict[tuple[str, Any], tuple[BaseChannelLayer, str, dict[str, Any]]] = {}
        self._thread = threading.Thread(target=self._run, name="kefu-events", daemon=True)
        self._thread.start()
        self._ready.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._queue: asyncio.Queue[tuple[BaseChannelLayer, str, dict[str, Any]]] = asyncio.Queue()
        self._loop.create_task(self._drain())
        self._ready.set()
        self._loop.run_forever()

    async def _drain(self) -> None:
        while True:
            layer, group, message = await self._queue.get()
            key = _coalescing_key(group, message["payload"])
            if key is not None:
                self._hold_refresh(key, layer, group, message)
                continue
            await self._send(layer, group, message)

    def _hold_refresh(self, key: tuple[str, Any], layer: BaseChannelLayer, group: str, message: dict[str, Any]) -> None:
        """Refresh-only events wait up to REFRESH_DELAY_SECONDS; the same one meanwhile is dropped."""
        if key in self._refreshes:
            self._done()
            return
        self._refreshes[key] = (layer, group, message)
        if len(self._refreshes) == 1:
            self._loop.call_later(REFRESH_DELAY_SECONDS, lambda: self._loop.create_task(self._send_refreshes()))

    async def _send_refreshes(self) -> None:
        held, self._refreshes = self._refreshes, {}
        for layer, group, message in held.values():
            await self._send(layer, group, message)

    async def _send(self, layer: BaseChannelLayer, group: str, message: dict[str, Any]) -> None:
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.exception("could not publish %s to %s", message["payload"].get("type"), group)
        finally:
            self._done()

    def _done(self) -> None:
        with self._lock:
            self._pending -= 1

    def submit(self, layer: BaseChannelLayer, group: str, message: dict[str, Any]) -> None:
        with self._lock:
            self._pending += 1
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (layer, group, message))

    def flush(self, timeout: float) -> bool:
        """Wait until every submitted event was sent (or failed); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._pending == 0:
                    return True
            time.sleep(0.005)
        return False


# Events that only tell pages "this changed, read it again" are held for a moment and the same
# one to the same group meanwhile is dropped: the page's one re-read after it sees every commit
# before it. Under load this keeps a supervisor wall (which debounces its re-reads anyway) from
# getting one event per routing decision, and the publisher from sending them.
REFRESH_ONLY = frozenset({"queue.changed"})
REFRESH_DELAY_SECONDS = 0.2


def _coalescing_key(group: str, payload: dict[str, Any]) -> tuple[str, Any] | None:
    if payload.get("type") not in REFRESH_ONLY:
        return None
    try:
        return group, frozenset(payload.items())
    except TypeError:  # a value that cannot be compared this way: sent as it is
        return None


_publisher: _Publisher | None = None
_publisher_lock = threading.Lock()


def _get_publisher() -> _Publisher:
    global _publisher
    if _publisher is None:
        with _publisher_lock:
            if _publisher is None:
                _publisher = _Publisher()
    return _publisher


def _forget_publisher() -> None:
    # A forked child has the parent's object but not its thread.
    global _publisher
    _publisher = None


os.register_at_fork(after_in_child=_forget_publisher)


def flush(timeout: float = FLUSH_AT_EXIT_SECONDS) -> bool:
    """Wait until the events handed to the publisher thread are sent (tests, commands at exit)."""
    return _publisher.flush(timeout) if _publisher is not None else True


atexit.register(flush)


def _send(group: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "desk.event", "payload": payload}
    if isinstance(layer, InMemoryChannelLayer):
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:
            logger.exception("could not publish %s to %s", payload.get("type"), group)
        return
    _get_publisher().submit(layer, group, message)


def publish(group: str, payload: dict[str, Any]) -> None:
    """Send `payload` to every socket in `group` once the current transaction commits."""
    transaction.on_commit(lambda: _send(group, payload))


def staff_group(user_id: int) -> str:
    return f"staff.{user_id}"


SUPERVISORS_GROUP = "supervisors"


def chat_group(contact_id: int) -> str:
    return f"chat.{contact_id}"
