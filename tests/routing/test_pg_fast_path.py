"""The PostgreSQL decision statement (`routing.pg`) decides exactly as the ORM reference does.

Random floors — agents of several levels, loads, states and idle times, contacts of both
channels and tiers, declines and preferred agents — are routed twice from the same start, once
by each path, and every choice and every row a decision writes must be the same. On SQLite only
the reference exists; there this checks the reference against the invariants alone.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from kefu.accounts.models import AgentSkill, Skill
from kefu.contacts import services as contacts
from kefu.contacts.models import Contact
from kefu.routing import pg
from kefu.routing import services as acd
from kefu.routing.models import AgentState, AgentStateChange, Queue, QueueEntry, RoutingDecision
from tests.factories import UserFactory

FLOORS = 12


def _floor(seed: int) -> tuple[list[int], list[int]]:
    rng = random.Random(seed)
    skill = Skill.objects.create(code=f"S{seed}", name="宽带")
    chat = Queue.objects.create(
        code=f"C{seed}", name="在线", channels=["chat"], skill=skill, min_level=rng.choice([1, 2])
    )
    voice = Queue.objects.create(code=f"V{seed}", name="热线", channels=["voice"], skill=skill)
    now = timezone.now()
    agents = []
    for number in range(rng.randint(3, 8)):
        agent = UserFactory(username=f"a{seed}-{number}", is_active=rng.random() > 0.1)
        AgentSkill.objects.create(agent=agent, skill=skill, level=rng.randint(1, 5))
        load = rng.choice([0, 0, 0, 1, 2, 3])
        AgentState.objects.create(
            agent=agent,
            status=rng.choice(["ready"] * 4 + ["busy"] * 2 + ["not_ready", "offline", "after_call_work"]),
            since=now - dt.timedelta(seconds=rng.randint(1, 900)),
            idle_since=None if rng.random() < 0.15 else now - dt.timedelta(seconds=rng.randint(1, 3600)),
            text_load=load,
            voice_busy=load == 0 and rng.random() < 0.1,
        )
        agents.append(agent.pk)
    AgentState.objects.filter(Q(text_load__gt=0) | Q(voice_busy=True), status="ready").update(status="busy")
    entries = []
    for number in range(rng.randint(4, 14)):
        channel = rng.choice(["chat", "chat", "voice"])
        contact = contacts.open_contact(channel=channel, identity=f"c{seed}-{number}", display_name="访客")
        entry = QueueEntry.objects.create(
            contact=contact,
            queue=chat if channel == "chat" else voice,
            channel=channel,
            priority=rng.choice([10, 20, 30, 40]) + (5 if channel == "voice" else 0),
            enqueued_at=now - dt.timedelta(seconds=rng.randint(1, 600)),
            declined_by=rng.sample(agents, k=rng.randint(0, 2)),
            preferred_agent_id=rng.choice(agents) if rng.random() < 0.15 else None,
        )
        Contact.objects.filter(pk=contact.pk).update(status="queued")
        entries.append(entry.pk)
    return entries, agents


def _moves(seed: int, entries: list[int], agents: list[int]) -> list[tuple[str, int, int | None]]:
    rng = random.Random(seed * 7919)
    moves: list[tuple[str, int, int | None]] = []
    for _ in range(len(entries) + len(agents)):
        if rng.random() < 0.6:
            moves.append(("entry", rng.choice(entries), None))
        else:
            moves.append(("agent", rng.choice(agents), None))
    return moves


def _snapshot() -> dict[str, list[tuple]]:
    return {
        "entries": list(
            QueueEntry.objects.order_by("pk").values_list("pk", "state", "offered_to_id", "offer_expires_at")
        ),
        "agents": list(
            AgentState.objects.order_by("agent_id").values_list(
                "agent_id", "status", "reason", "since", "text_load", "voice_busy", "idle_since"
            )
        ),
        "contacts": list(Contact.objects.order_by("pk").values_list("pk", "status")),
        "changes": list(
            AgentStateChange.objects.order_by("agent_id", "at").values_list(
                "agent_id", "at", "from_status", "to_status", "reason", "seconds_in_previous"
            )
        ),
        "decisions": list(
            RoutingDecision.objects.filter(kind="offered")
            .order_by("contact_id")
            .values_list("contact_id", "queue_id", "agent_id", "at", "detail")
        ),
    }


def _play(moves, now: dt.datetime, *, fast: bool, monkeypatch) -> tuple[list, dict]:
    monkeypatch.setattr(acd, "_now", lambda: now)
    monkeypatch.setattr(pg, "available", lambda: fast)
    outcomes = []
    for kind, target, _ in moves:
        if kind == "entry":
            outcomes.append(("entry", target, acd.route_entry(target)))
        else:
            outcomes.append(("agent", target, acd.route_for_agent(target, limit=1)))
    return outcomes, _snapshot()


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(FLOORS))
def test_both_paths_take_the_same_decisions_and_write_the_same_rows(seed, monkeypatch):
    entries, agents = _floor(seed)
    moves = _moves(seed, entries, agents)
    now = timezone.now().replace(microsecond=0)

    with transaction.atomic():
        reference, written = _play(moves, now, fast=False, monkeypatch=monkeypatch)
        transaction.set_rollback(True)

    offered = [agent for kind, _, agent in reference if kind == "entry" and agent]
    by_agent = {row[0]: row for row in written["agents"]}
    for _agent, status, _reason, _since, load, voice_busy, _idle in written["agents"]:
        assert load <= 3 and not (voice_busy and load)
        if load or voice_busy:
            assert status in ("busy", "not_ready", "offline", "after_call_work")
    assert all(by_agent[agent][1] == "busy" for agent in offered)
    assert len({row[0] for row in written["decisions"]}) == len(written["decisions"])  # no contact twice

    if connection.vendor != "postgresql":
        return
    fast, fast_written = _play(moves, now, fast=True, monkeypatch=monkeypatch)
    assert fast == reference
    assert fast_written == written


@pytest.mark.django_db
def test_a_decision_changes_no_indexed_column_of_the_agent_state():
    """A decision's UPDATE of the agent's state must stay a HOT update (no new index entries, no
    bloat of the lookups by agent id the next decisions make): no index of routing_agentstate
    may contain, or filter on, a column a decision or a state change writes."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's heap-only tuples")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, a.attname
            FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid
            WHERE i.indrelid = 'routing_agentstate'::regclass
              AND (a.attnum = ANY (i.indkey)
                   OR pg_get_expr(i.indpred, i.indrelid) ~ ('\\m' || a.attname || '\\M')
                   OR pg_get_expr(i.indexprs, i.indrelid) ~ ('\\m' || a.attname || '\\M'))
            """
        )
        indexed = {(index, column) for index, column in cursor.fetchall()}
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'routing_agentstate'::regclass")
        options = cursor.fetchone()[0] or []
    assert {column for _index, column in indexed} <= {"id", "agent_id"}, indexed
    assert "fillfactor=50" in options


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_decision_is_committed_before_its_offer_is_published(
    chat_queue, skilled, alice, monkeypatch
):
    """enqueue routes on commit, outside any atomic block: there the decision statement is a
    transaction of its own, committed when it returns, and the offer goes out after that."""
    if connection.vendor != "postgresql":
        pytest.skip("the decision statement is PostgreSQL's")
    import psycopg

    from kefu.core import events
    from kefu.routing.choices import AgentStatus

    acd.set_agent_status(alice, AgentStatus.READY)
    params = connection.settings_dict
    seen_when_published = []

    def send(group: str, payload: dict) -> None:
        if payload["type"] == "offer":
            with psycopg.connect(
                dbname=params["NAME"], user=params["USER"], password=params["PASSWORD"] or None,
                host=params["HOST"], port=params["PORT"] or None,
            ) as other:  # fmt: skip
                row = other.execute(
                    "SELECT state, offered_to_id FROM routing_queueentry WHERE id = %s", [payload["entry"]]
                ).fetchone()
            seen_when_published.append((group, row))

    monkeypatch.setattr(events, "_send", send)
    entry = acd.enqueue(contacts.open_contact(channel="chat", identity="c"), chat_queue)

    assert seen_when_published == [(events.staff_group(alice.pk), ("offered", alice.pk))]
    assert not connection.in_atomic_block
    entry.refresh_from_db()
    assert (entry.state, entry.offered_to_id) == ("offered", alice.pk)
    with connection.cursor() as cursor:  # asynchronous was the decision's commit, not the session's
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.django_db
def test_inside_a_transaction_the_decision_leaves_its_commit_as_the_caller_set_it(chat_queue, skilled, alice):
    if connection.vendor != "postgresql":
        pytest.skip("the decision statement is PostgreSQL's")
    from kefu.routing.choices import AgentStatus

    acd.set_agent_status(alice, AgentStatus.READY)
    entry = acd.enqueue(contacts.open_contact(channel="chat", identity="c"), chat_queue)
    assert connection.in_atomic_block  # the test's transaction
    assert acd.route_entry(entry.pk) == alice.pk
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.django_db
@pytest.mark.parametrize("fast", [False, True])
def test_an_agent_who_finds_nothing_to_take_stays_ready_and_logs_no_state_change(
    chat_queue, skilled, alice, fast, monkeypatch
):
    """route_for_agent with nothing waiting: no offer, no decision, no "ready → busy" row (the
    statement once logged one whenever it found the agent but no entry)."""
    if fast and connection.vendor != "postgresql":
        pytest.skip("the decision statement is PostgreSQL's")
    from kefu.routing.choices import AgentStatus

    acd.set_agent_status(alice, AgentStatus.READY)
    changes = AgentStateChange.objects.count()
    monkeypatch.setattr(pg, "available", lambda: fast)

    assert acd.route_for_agent(alice.pk, limit=1) == 0

    assert AgentStateChange.objects.count() == changes
    assert AgentState.objects.get(agent=alice).status == AgentStatus.READY
    assert not RoutingDecision.objects.filter(kind="offered").exists()
