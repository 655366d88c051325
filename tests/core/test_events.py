"""Live events through a real Redis channel layer: sent after commit, in order, never on rollback."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.db import transaction

from kefu.core import events

REDIS_URL = "redis://127.0.0.1:6379/7"


@pytest.fixture
def prefix(settings) -> str:
    """The product's layer is Redis (as in production), under a prefix of this test's own."""
    name = f"kefu-test-{uuid.uuid4().hex[:8]}"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": name},
        }
    }
    return name


def listen(prefix: str, group: str, act: Callable[[], None], *, expect: int, quiet: float = 0.3) -> list[dict]:
    """Join `group` as a browser's socket would, run `act`, return what arrived (and check no more did)."""

    async def scenario() -> list[dict]:
        receiver = RedisChannelLayer(hosts=[REDIS_URL], prefix=prefix)
        channel = await receiver.new_channel()
        await receiver.group_add(group, channel)
        await sync_to_async(act)()
        received = [await asyncio.wait_for(receiver.receive(channel), 5) for _ in range(expect)]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(receiver.receive(channel), quiet)
        await receiver.flush()
        return received

    return async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_events_reach_the_group_after_commit_in_the_order_they_were_published(prefix) -> None:
    sent_before_commit: list[bool] = []

    def act() -> None:
        with transaction.atomic():
            for number in range(20):
                events.publish(events.SUPERVISORS_GROUP, {"type": "queue.changed", "n": number})
            sent_before_commit.append(events._publisher is not None and events._publisher._pending > 0)
        assert events.flush(5.0)

    messages = listen(prefix, events.SUPERVISORS_GROUP, act, expect=20)
    assert sent_before_commit == [False]
    assert [m["payload"]["n"] for m in messages] == list(range(20))
    assert {m["type"] for m in messages} == {"desk.event"}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_publishes_nothing(prefix) -> None:
    def act() -> None:
        def rolled_back() -> None:
            with transaction.atomic():
                events.publish(events.staff_group(7), {"type": "offer", "entry": 1})
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            rolled_back()
        with transaction.atomic():
            events.publish(events.staff_group(7), {"type": "offer", "entry": 2})
        assert events.flush(5.0)

    (message,) = listen(prefix, events.staff_group(7), act, expect=1)
    assert message["payload"]["entry"] == 2


def test_the_in_memory_layer_is_sent_in_the_callers_loop() -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("supervisors", channel)
    events._send("supervisors", {"type": "queue.changed"})
    message = async_to_sync(layer.receive)(channel)
    assert message["payload"] == {"type": "queue.changed"}


def test_refresh_only_events_are_held_a_moment_and_sent_once_the_rest_at_once_in_order() -> None:
    class SlowLayer:
        """Holds the first send until released, so the next events wait in one batch."""

        def __init__(self) -> None:
            self.sent: list[tuple[str, dict]] = []
            self.release = threading.Event()

        async def group_send(self, group: str, message: dict) -> None:
            if not self.sent:
                await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 5)
            self.sent.append((group, message["payload"]))

    layer = SlowLayer()
    publisher = events._get_publisher()
    publisher.submit(layer, "staff.1", {"type": "desk.event", "payload": {"type": "offer", "entry": 1}})
    time.sleep(0.1)  # the first send is under way and holds the loop's drain
    for queue in ("CHAT", "CHAT", "VOICE", "CHAT"):
        payload = {"type": "queue.changed", "queue": queue}
        publisher.submit(layer, "supervisors", {"type": "desk.event", "payload": payload})
    publisher.submit(layer, "staff.1", {"type": "desk.event", "payload": {"type": "offer", "entry": 2}})
    publisher.submit(layer, "staff.1", {"type": "desk.event", "payload": {"type": "offer", "entry": 2}})
    layer.release.set()
    assert publisher.flush(5.0)
    assert layer.sent == [
        ("staff.1", {"type": "offer", "entry": 1}),
        ("staff.1", {"type": "offer", "entry": 2}),
        ("staff.1", {"type": "offer", "entry": 2}),  # not a refresh-only event: never dropped
        ("supervisors", {"type": "queue.changed", "queue": "CHAT"}),  # after the moment's hold, once
        ("supervisors", {"type": "queue.changed", "queue": "VOICE"}),
    ]
