"""The routing decision on PostgreSQL: one prepared statement per decision.

`services.route_entry` and `services.route_for_agent` are the reference: they say, in the ORM,
which agent gets which contact and what a decision writes. On PostgreSQL the same decision is
taken by one statement with data-modifying CTEs — lock the entry (SKIP LOCKED), pick and lock
the agent (SKIP LOCKED), offer, load the agent, log the state change, record the decision —
prepared once per connection and, outside an atomic block, run as a transaction of its own
(autocommit). One round trip and no planning instead of nine round trips (plus BEGIN and
COMMIT) and three plans: the ACD's hot path is the database's work, not Python's.

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

from kefu.core.db import PREPARE_ONLY_WHEN_ASKED

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
        FROM entry, agent WHERE agent.status = 'ready'  -- only with an offer (route_for_agent may find none)
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
           customer.name, customer.tier,
           -- the commit does not wait for the WAL flush when the decision is its own transaction
           -- (see ASYNC_COMMIT); inside a caller's transaction %(commit)s is NULL: left as it is
           set_config('synchronous_commit', COALESCE(%(commit)s::text, current_setting('synchronous_commit')), true)
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
        -- idle agent: the levels are tried in turn and the first one with a free agent wins. A
        -- level's agents come from the skill index as an array and their states are read by
        -- agent id, so the plan cannot start from the states and probe every free agent's
        -- skills (what a generic plan does when it guesses that few agents are free). The free
        -- ones are sorted and locked one by one (SKIP LOCKED) until one has an active account:
        -- the account is read for the agent chosen, not for every candidate (OFFSET 0 keeps
        -- that test out of the sorted subquery).
        SELECT best.* FROM entry
        CROSS JOIN generate_series(5, entry.min_level, -1) AS wanted(level)
        CROSS JOIN LATERAL (
            SELECT free.* FROM (
                SELECT s.id, s.agent_id, s.status, s.since
                FROM routing_agentstate s
                WHERE s.agent_id = ANY (ARRAY(SELECT k.agent_id FROM accounts_agentskill k
                                              WHERE k.skill_id = entry.skill_id AND k.level = wanted.level))
                  AND s.status IN ('ready', 'busy') AND NOT s.voice_busy
                  AND NOT COALESCE(entry.declined_by, '[]'::jsonb) @> to_jsonb(s.agent_id)
                  AND (entry.preferred_agent_id IS NULL OR s.agent_id = entry.preferred_agent_id)
                  AND CASE WHEN entry.channel = 'voice' THEN s.status = 'ready' AND s.text_load = 0
                           ELSE s.text_load < s.text_capacity END
                ORDER BY s.text_load, s.idle_since ASC NULLS FIRST, s.id
                OFFSET 0
                FOR UPDATE OF s SKIP LOCKED
            ) AS free
            WHERE (SELECT u.is_active FROM accounts_user u WHERE u.id = free.agent_id)
            LIMIT 1
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
        SELECT head.id, head.priority, head.enqueued_at
        FROM accounts_agentskill k
        JOIN routing_queue q ON q.skill_id = k.skill_id AND k.level >= q.min_level
        CROSS JOIN agent
        CROSS JOIN LATERAL (
            SELECT e.id, e.priority, e.enqueued_at FROM routing_queueentry e
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
    chosen AS (
        -- the heads sorted first (OFFSET 0: not after the join), then read and locked in that
        -- order until one is free and still waiting: usually the first, not all forty
        SELECT e.id, e.contact_id, e.queue_id, e.channel
        FROM (SELECT * FROM heads ORDER BY priority DESC, enqueued_at, id OFFSET 0) AS head
        JOIN routing_queueentry e ON e.id = head.id
        WHERE e.state = 'waiting'
        ORDER BY head.priority DESC, head.enqueued_at, head.id
        LIMIT 1
        FOR UPDATE OF e SKIP LOCKED
    ),
    entry AS (
        SELECT chosen.*, q.code AS queue_code, q.name AS queue_name,
               %(now)s + make_interval(secs => q.offer_timeout_seconds) AS offer_expires_at
        FROM chosen JOIN routing_queue q ON q.id = chosen.queue_id
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


_prepared_connections: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()


# A decision taken as a transaction of its own commits without waiting for the WAL flush
# (synchronous_commit = off for that transaction only; the WAL writer flushes within
# 3 × wal_writer_delay). The server shares its WAL with the rest of Kefu, so the wait is not one
# fsync but however long the flush of everyone's WAL takes: measured on the benchmark machine,
# route_entry p99 4.2-10 ms waiting, 3.5-3.8 ms not. What a crash of the database server can
# lose is the last fraction of a second of decisions, each whole (entry, agent load, state change
# and decision row together, WAL replay gives a consistent prefix): such a contact is waiting
# again and is offered anew by the routing tick, the agent's desk may have shown an offer that
# `accept_offer` then refuses ("no longer yours"). Nothing durable can rest on a lost decision:
# an accept, a decline or any other write that saw it commits synchronously, and its flush
# covers the earlier WAL, the decision included. Inside a caller's atomic block the caller's
# setting stands, so a transaction that also writes other facts (a new contact, an inbound
# message) is never made asynchronous by routing in it.
ASYNC_COMMIT = "off"


def _run(statement: str, params: dict[str, Any]) -> Offer | None:
    connection.ensure_connection()
    raw = connection.connection
    # A server-side-binding cursor of its own, so the statement is prepared once per connection
    # and planned once: its plan does not depend on the ids it is given. Django turns psycopg's
    # preparing off (for poolers such as PgBouncer in transaction mode) and binds its own queries
    # on the client, which are never prepared, so neither setting touches them; behind such a
    # pooler set KEFU_ROUTING_PREPARED=0.
    # Outside an atomic block the connection is in autocommit and the statement is a
    # transaction of its own: one round trip, committed when it returns (`services.route_entry`).
    # Errors come out as Django's (and mark the connection for Django's health check).
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        if raw not in _prepared_connections:
            if settings.KEFU_ROUTING_PREPARED:
                raw.prepare_threshold = PREPARE_ONLY_WHEN_ASKED
                cursor.execute("SET plan_cache_mode = force_generic_plan")
            _prepared_connections.add(raw)
        own_transaction = not connection.in_atomic_block
        params["commit"] = ASYNC_COMMIT if own_transaction else None
        cursor.execute(statement, params, prepare=settings.KEFU_ROUTING_PREPARED)
        row = cursor.fetchone()
    return Offer(*row[:-1]) if row else None


def route_entry(entry_id: int, now: dt.datetime) -> Offer | None:
    return _run(ROUTE_ENTRY, {"entry": entry_id, "now": now})


def route_for_agent(agent_id: int, now: dt.datetime) -> Offer | None:
    return _run(ROUTE_FOR_AGENT, {"agent": agent_id, "now": now})
