"""Sessions read from the cache, written through to the database, working when the cache is down."""

from __future__ import annotations

import pytest
from django.core.cache import CacheHandler

from kefu.core import sessions

REDIS_DOWN = "redis://127.0.0.1:1/0"  # nothing listens there: every cache call fails


@pytest.fixture
def caches(monkeypatch):  # type: ignore[no-untyped-def]
    def use(location: str) -> None:
        handler = CacheHandler({"default": {"BACKEND": "kefu.core.cache.SharedRedisCache", "LOCATION": location}})
        monkeypatch.setattr("django.contrib.sessions.backends.cached_db.caches", handler)

    return use


@pytest.mark.django_db
def test_with_the_cache_down_a_session_is_still_saved_read_and_known(caches) -> None:
    caches(REDIS_DOWN)
    store = sessions.SessionStore()
    store["_auth_user_id"] = "7"
    store.save()  # Django's own code logs the failed cache write

    again = sessions.SessionStore(session_key=store.session_key)
    assert again["_auth_user_id"] == "7"  # read from the database, the cache write failing
    assert again.exists(store.session_key)
    assert not again.exists("no-such-session-key")


@pytest.mark.django_db
def test_with_redis_a_session_read_once_comes_from_the_cache(caches, django_assert_num_queries) -> None:
    caches("redis://127.0.0.1:6379/7")
    store = sessions.SessionStore()
    store["_auth_user_id"] = "8"
    store.save()
    with django_assert_num_queries(0):
        assert sessions.SessionStore(session_key=store.session_key)["_auth_user_id"] == "8"
    store.delete()
    assert not sessions.SessionStore(session_key=store.session_key).exists(store.session_key)
