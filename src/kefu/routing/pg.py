"""The routing decision on PostgreSQL: one prepared statement per decision.

`services.route_entry` and `services.route_for_agent` are the reference: they say, in the ORM,
which agent gets which contact and what a decision writes. On PostgreSQL the same decision is
taken by one statement with data-modifying CTEs — lock the entry (SKIP LOCKED), pick and lock
the agent (SKIP LOCKED), offer, load the agent, log the state change, record the decision —
prepared once per connection. One round trip and no planning instead of nine round trips and
three plans: the ACD's hot path is the database's work, not Python's.

Both paths are run against each other by `tests/routing/test_pg_fast_path.py`; a change to the
rules of one is a change to both.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection

# The offer, once the entry and the agent are chosen (and locked), and what it returns for the
# events. Every value is a bound parameter.
_OFFER = """
    offered AS (
        UPDATE routing_queueentry e
        SET state = 'offered', offered_to_id = agent.agent_id, offer_expires_at = entry.offer_expires_at
        FROM entry, agent WHERE e.id = entry.id
        RETURNING e.id
    ),
    loaded AS (
        UPDATE routing_agentstate s SET
            voice_busy = s.voice_busy OR entry.channel = 'voice',
            text_load = s.text_load + CASE WHEN entry.channel = 'voice' THEN 0 ELSE 1 END,
            status = CASE WHEN s.status = 'ready' THEN 'busy' ELSE s.status END,
            since = CASE WHEN s.status = 'ready' THEN %(now)s ELSE s.since END
        FROM entry, agent WHERE s.id = agent.id
        RETURNING s.id
    ),
    changed AS (
        INSERT INTO routing_agentstatechange (agent_id, at, from_status, to_status, reason, seconds_in_previous, by_id)
        SELECT agent.agent_id, %(now)s, 'ready', 'busy', '',
               GREATEST(0, floor(extract(epoch FROM %(now)s - agent.since)))::integer, NULL
        FROM agent WHERE agent.status = 'ready'
        RETURNING id
    ),
    decided AS (
        INSERT INTO routing_routingdecision (at, kind, contact_id, queue_id, agent_id, detail)
        SELECT %(now)s, 'offered', entry.contact_id, entry.queue_id, agent.agent_id, '' FROM entry, agent
        RETURNING id
    )
    SELECT entry.id, entry.contact_id, entry.channel, entry.queue_code, entry.queue_name, entry.offer_expires_at,
           agent.agent_id,
           contact.customer_id, contact.display_name, contact.identity, contact.subject,
           customer.name, customer.tier
    FROM entry
    CROSS JOIN agent
    JOIN contacts_contact contact ON contact.id = entry.contact_id
    LEFT JOIN customers_customer customer ON customer.id = contact.customer_id
"""

_CHOOSE_FOR_ENTRY = """
    WITH entry AS (
        SELECT e.id, e.contact_id, e.queue_id, e.channel, e.declined_by, e.preferred_agent_id,
               q.skill_id, q.min_level, q.code AS queue_code, q.name AS queue_name,
               %(now)s + make_interval(secs => q.offer_timeout_seconds) AS offer_expires_at
        FROM routing_queueentry e JOIN routing_queue q ON q.id = e.queue_id
        WHERE e.id = %(entry)s AND e.state = 'waiting'
        FOR UPDATE OF e SKIP LOCKED
    ),
    agent AS (
        -- The best level first (skills are 1-5), and within a level the least loaded, longest
        -- idle agent: the levels are tried in turn and the first one with a free agent wins,
        -- each walked along the free agents' index, so a decision reads a few rows, not every
        -- agent with the skill.
        SELECT best.* FROM entry
        CROSS JOIN generate_series(5, entry.min_level, -1) AS wanted(level)
        CROSS JOIN LATERAL (
            SELECT s.id, s.agent_id, s.status, s.since
            FROM routing_agentstate s
            JOIN accounts_user u ON u.id = s.agent_id AND u.is_active
            WHERE s.status IN ('ready', 'busy') AND NOT s.voice_busy
              AND EXISTS (SELECT 1 FROM accounts_agentskill k
                          WHERE k.agent_id = s.agent_id AND k.skill_id = entry.skill_id AND k.level = wanted.level)
              AND NOT COALESCE(entry.declined_by, '[]'::jsonb) @> to_jsonb(s.agent_id)
              AND (entry.preferred_agent_id IS NULL OR s.agent_id = entry.preferred_agent_id)
              AND CASE WHEN entry.channel = 'voice' THEN s.status = 'ready' AND s.text_load = 0
                       ELSE s.text_load < s.text_capacity END
            ORDER BY s.text_load, s.idle_since ASC NULLS FIRST, s.id
            LIMIT 1
            FOR UPDATE OF s SKIP LOCKED
        ) AS best
        LIMIT 1
    ),"""
ROUTE_ENTRY = _CHOOSE_FOR_ENTRY + _OFFER

_CHOOSE_FOR_AGENT = """
    WITH agent AS (
        SELECT s.id, s.agent_id, s.status, s.since, s.text_load
        FROM routing_agentstate s JOIN accounts_user u ON u.id = s.agent_id AND u.is_active
        WHERE s.agent_id = %(agent)s AND s.status IN ('ready', 'busy') AND NOT s.voice_busy
          AND s.text_load < s.text_capacity
        FOR UPDATE OF s
    ),
    heads AS (
        SELECT head.id
        FROM accounts_agentskill k
        JOIN routing_queue q ON q.skill_id = k.skill_id AND k.level >= q.min_level
        CROSS JOIN agent
        CROSS JOIN LATERAL (
            SELECT e.id FROM routing_queueentry e
            WHERE e.state = 'waiting' AND e.queue_id = q.id
              AND (e.preferred_agent_id IS NULL OR e.preferred_agent_id = agent.agent_id)
              AND (agent.text_load = 0 OR e.channel <> 'voice')
              AND NOT COALESCE(e.declined_by, '[]'::jsonb) @> to_jsonb(agent.agent_id)
            ORDER BY e.priority DESC, e.enqueued_at, e.id
            -- more entries per queue than other routers hold locked at once, so SKIP LOCKED still
            -- finds the most important free one; a literal: a bound LIMIT spoils the generic plan
            LIMIT 10
        ) head
        WHERE k.agent_id = %(agent)s
    ),
    entry AS (
        SELECT e.id, e.contact_id, e.queue_id, e.channel,
               q.code AS queue_code, q.name AS queue_name,
               %(now)s + make_interval(secs => q.offer_timeout_seconds) AS offer_expires_at
        FROM routing_queueentry e JOIN routing_queue q ON q.id = e.queue_id
        WHERE e.id IN (SELECT id FROM heads) AND e.state = 'waiting'
        ORDER BY e.priority DESC, e.enqueued_at, e.id
        LIMIT 1
        FOR UPDATE OF e SKIP LOCKED
    ),"""
ROUTE_FOR_AGENT = _CHOOSE_FOR_AGENT + _OFFER


@dataclass(frozen=True)
class Offer:
    """A decision taken: what the events after the commit need."""

    entry_id: int
    contact_id: int
    channel: str
    queue_code: str
    queue_name: str
    expires_at: dt.datetime
    agent_id: int
    customer_id: int | None
    display_name: str
    identity: str
    subject: str
    customer_name: str | None
    tier: str | None

    def event(self) -> dict[str, Any]:
        """The offer as `services.offer_event` shapes it."""
        return {
            "type": "offer",
            "entry": self.entry_id,
            "contact": self.contact_id,
            "channel": self.channel,
            "queue": self.queue_name,
            "customer": self.customer_id,
            "customer_name": self.customer_name if self.customer_id else (self.display_name or self.identity),
            "tier": self.tier or "",
            "subject": self.subject,
            "expires_at": self.expires_at.isoformat(),
        }


def available() -> bool:
    return connection.vendor == "postgresql"


PREPARE_ONLY_WHEN_ASKED = 2**31 - 1  # psycopg prepares what is executed this often, or with prepare=True
_prepared_connections: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()


def _run(statement: str, params: dict[str, Any]) -> Offer | None:
    connection.ensure_connection()
    raw = connection.connection
    # A server-side-binding cursor of its own, so the statement is prepared once per connection
    # and planned once: its plan does not depend on the ids it is given. Django turns psycopg's
    # preparing off (for poolers such as PgBouncer in transaction mode) and binds its own queries
    # on the client, which are never prepared, so neither setting touches them; behind such a
    # pooler set KEFU_ROUTING_PREPARED=0.
    with psycopg.Cursor(raw) as cursor:
        if raw not in _prepared_connections:
            if settings.KEFU_ROUTING_PREPARED:
                raw.prepare_threshold = PREPARE_ONLY_WHEN_ASKED
                cursor.execute("SET plan_cache_mode = force_generic_plan")
            _prepared_connections.add(raw)
        cursor.execute(statement, params, prepare=settings.KEFU_ROUTING_PREPARED)
        row = cursor.fetchone()
    return Offer(*row) if row else None


def route_entry(entry_id: int, now: dt.datetime) -> Offer | None:
    return _run(ROUTE_ENTRY, {"entry": entry_id, "now": now})


def route_for_agent(agent_id: int, now: dt.datetime) -> Offer | None:
    return _run(ROUTE_FOR_AGENT, {"agent": agent_id, "now": now})
