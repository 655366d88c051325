"""Channel accounts are cached per process and the connector health for a few seconds; each test
starts and ends without either (its accounts are rolled back with its transaction)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from kefu.accounts.models import User
from kefu.messaging.channel_accounts import forget_channel_accounts
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    forget_channel_accounts()
    cache.clear()
    yield
    forget_channel_accounts()
    cache.clear()


@pytest.fixture
def root(db: None) -> User:
    """The platform's superuser, who maintains channel accounts in the admin."""
    return UserFactory(username="root", display_name="运维", is_staff=True, is_superuser=True)
