"""The shared Redis cache: one client (and connection pool) per process, whatever the thread."""

from __future__ import annotations

import threading
import uuid

from django.core.cache import CacheHandler

REDIS_URL = "redis://127.0.0.1:6379/7"


def test_threads_share_one_redis_client_and_see_each_others_writes() -> None:
    handler = CacheHandler({"default": {"BACKEND": "kefu.core.cache.SharedRedisCache", "LOCATION": REDIS_URL}})
    key = f"kefu-test-{uuid.uuid4()}"
    seen: dict[str, object] = {}

    def in_a_request_thread() -> None:
        cache = handler["default"]  # a backend object of this thread, as Django gives each thread
        seen["client"] = cache._cache
        seen["value"] = cache.get(key)
        cache.set(key + "-thread", "会话", 30)

    mine = handler["default"]
    mine.set(key, "工单", 30)
    thread = threading.Thread(target=in_a_request_thread)
    thread.start()
    thread.join()
    assert handler["default"] is mine  # Django's per-thread objects ...
    assert seen["client"] is mine._cache  # ... share one client
    assert mine._cache.get_client(write=True) is mine._cache.get_client(write=False)  # and one Redis object
    assert seen["value"] == "工单"
    assert mine.get(key + "-thread") == "会话"
    mine.delete_many([key, key + "-thread"])
