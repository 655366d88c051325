"""Sessions read from the shared cache and written through to the database (Django's
`cached_db`), which keep working when the cache does not answer.

Django's own backend already survives a failed cache read or write on save; a failed write after
reading a session from the database, or a failed membership test, still broke the request — so
with Redis down nobody signed in could work. Here those fall back to the database and log.
A sign-out still fails visibly when the cache cannot forget the session (it would come back
with the cache).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbStore
from django.contrib.sessions.backends.db import SessionStore as DbStore

logger = logging.getLogger(__name__)


class SessionStore(CachedDbStore):
    def load(self) -> dict[str, Any]:
        stock: Any = self  # Django's attributes, missing from its stubs
        try:
            data = stock._cache.get(self.cache_key)
        except Exception:
            data = None
        if data is not None:
            return data  # type: ignore[no-any-return]
        row = stock._get_session_from_db()
        if not row:
            return {}
        data = self.decode(row.session_data)
        try:
            stock._cache.set(self.cache_key, data, self.get_expiry_age(expiry=row.expire_date))
        except Exception as error:
            logger.warning("session cache unavailable, read from the database: %s", error)
        return data

    def exists(self, session_key: str) -> bool:
        stock: Any = self
        if session_key:
            try:
                if (self.cache_key_prefix + session_key) in stock._cache:
                    return True
            except Exception as error:
                logger.warning("session cache unavailable, asked the database: %s", error)
        return bool(DbStore.exists(self, session_key))
