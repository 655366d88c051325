"""Fixtures of the connector tests: the hotline's chat queue and skilled agents (tests/routing)."""

from __future__ import annotations

from tests.routing.conftest import broadband, chat_queue, expert, skilled, voice_queue  # noqa: F401  (fixtures)
