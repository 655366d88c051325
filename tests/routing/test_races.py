"""Several processes routing the same queue at once (as several app nodes and workers do).

Run on PostgreSQL, this is the proof of the row locks with SKIP LOCKED; on SQLite the
IMMEDIATE transactions serialise writers and the same invariants must hold.
"""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import connections

from kefu.contacts import services as contacts
from kefu.routing import services as acd
from kefu.routing.choices import DecisionKind, EntryState
from kefu.routing.models import AgentState, QueueEntry, RoutingDecision
from tests.factories import UserFactory

AGENTS, CAPACITY, CONTACTS, PROCESSES, ROUNDS = 8, 3, 40, 4, 3


def _route_in_child(agent_ids: list[int]) -> None:
    connections.close_all()  # a forked child must not share the parent's socket
    for _ in range(3):
        acd.route_waiting()
        for agent_id in agent_ids:
            acd.route_for_agent(agent_id)
    connections.close_all()


def _race(agent_ids: list[int]) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_route_in_child, args=(agent_ids[i::2] + agent_ids,)) for i in range(PROCESSES)]
    connections.close_all()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0


@pytest.mark.django_db(transaction=True)
def test_racing_routers_never_double_assign_overfill_or_lose(chat_queue, broadband):
    from kefu.accounts.models import AgentSkill

    agents = [UserFactory(username=f"racer{i}", roles=["agent"]) for i in range(AGENTS)]
    for agent in agents:
        AgentSkill.objects.create(agent=agent, skill=broadband, level=3)
        acd.state_of(agent)
    for round_number in range(ROUNDS):
        QueueEntry.objects.all().delete()
        AgentState.objects.update(status="ready", text_load=0, voice_busy=False, text_capacity=CAPACITY)
        AgentState.objects.update(status="offline")  # so enqueue's own routing offers nothing
        for _ in range(CONTACTS):
            acd.enqueue(contacts.open_contact(channel="chat", identity=f"r{round_number}"), chat_queue)
        AgentState.objects.update(status="ready")

        _race([agent.pk for agent in agents])

        entries = list(QueueEntry.objects.all())
        offered = [e for e in entries if e.state == EntryState.OFFERED]
        assert len(entries) == CONTACTS
        assert len(offered) == AGENTS * CAPACITY
        assert len([e for e in entries if e.state == EntryState.WAITING]) == CONTACTS - AGENTS * CAPACITY
        for state in AgentState.objects.all():
            mine = [e for e in offered if e.offered_to_id == state.agent_id]
            assert state.text_load == len(mine) == CAPACITY
        offers_per_contact = {}
        for contact_id in RoutingDecision.objects.filter(kind=DecisionKind.OFFERED).values_list(
            "contact_id", flat=True
        ):
            offers_per_contact[contact_id] = offers_per_contact.get(contact_id, 0) + 1
        assert all(count == 1 for count in offers_per_contact.values())
        RoutingDecision.objects.all().delete()
