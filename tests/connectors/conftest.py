"""Fixtures of the connector tests: the hotline's chat queue and skilled agents (tests/routing)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.routing.conftest import broadband, chat_queue, expert, skilled, voice_queue  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Chat starts are counted per client address in the (process-wide) cache."""
    cache.clear()
