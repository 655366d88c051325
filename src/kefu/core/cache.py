"""The Redis cache backend with one connection pool per process instead of one per thread.

Django keeps a cache object per thread, and under ASGI every request's synchronous part runs in
a thread of its own, so the stock backend opened (and dropped) a Redis connection for nearly
every request — the session read of each API call included. redis-py's client and pool are
thread-safe: here the backend objects of one process share them."""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache

_clients: dict[tuple[str, ...], Any] = {}
_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    @property
    def _cache(self) -> Any:
        stock: Any = self  # Django's attributes, untyped in its stubs
        key = (*stock._servers, repr(sorted(stock._options.items())))
        client = _clients.get(key)
        if client is None:
            with _lock:
                client = _clients.setdefault(key, stock._class(stock._servers, **stock._options))
        return client
