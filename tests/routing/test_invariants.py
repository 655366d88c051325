"""Whatever arrives, declines or times out in whatever order, the ACD keeps its promises:
no contact offered or assigned twice, no agent over capacity, no contact lost."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.contacts.models import Contact
from kefu.routing import services as acd
from kefu.routing.choices import AgentStatus, EntryState
from kefu.routing.models import AgentState, QueueEntry
from tests.routing.conftest import new_chat

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("arrive"), st.integers(0, 0)),
        st.tuples(st.just("ready"), st.integers(0, 1)),
        st.tuples(st.just("accept"), st.integers(0, 1)),
        st.tuples(st.just("decline"), st.integers(0, 1)),
        st.tuples(st.just("end"), st.integers(0, 1)),
        st.tuples(st.just("timeout"), st.integers(0, 0)),
        st.tuples(st.just("leave"), st.integers(0, 0)),
    ),
    min_size=1,
    max_size=30,
)


def check_invariants(agents):
    entries = list(QueueEntry.objects.all())
    for agent in agents:
        state = AgentState.objects.get(agent=agent)
        holding = [e for e in entries if e.state == EntryState.OFFERED and e.offered_to_id == agent.pk]
        holding += [
            e
            for e in entries
            if e.state == EntryState.ASSIGNED
            and Contact.objects.get(pk=e.contact_id).status == "active"
            and Contact.objects.get(pk=e.contact_id).agent_id == agent.pk
        ]
        assert state.text_load == len(holding)
        assert 0 <= state.text_load <= state.text_capacity
    for entry in entries:
        assert entry.state in EntryState.values
        if entry.state == EntryState.OFFERED:
            assert entry.offered_to_id is not None
    # every contact that arrived is somewhere
    assert Contact.objects.count() == len(entries)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_random_arrivals_and_answers_keep_every_invariant(chat_queue, skilled, alice, bob, operations):
    QueueEntry.objects.all().delete()
    Contact.objects.all().delete()
    AgentState.objects.all().delete()
    agents = [alice, bob]
    for agent in agents:
        acd.state_of(agent)
    for operation, index in operations:
        agent = agents[index]
        if operation == "arrive":
            entry = acd.enqueue(new_chat(), chat_queue)
            acd.route_entry(entry.pk)
        elif operation == "ready":
            acd.set_agent_status(agent, AgentStatus.READY)
            acd.route_for_agent(agent.pk)
        elif operation == "accept":
            offered = QueueEntry.objects.filter(state=EntryState.OFFERED, offered_to=agent).first()
            if offered:
                acd.accept_offer(agent, offered.pk)
        elif operation == "decline":
            offered = QueueEntry.objects.filter(state=EntryState.OFFERED, offered_to=agent).first()
            if offered:
                acd.decline_offer(agent, offered.pk)
        elif operation == "end":
            active = Contact.objects.filter(agent=agent, status="active").first()
            if active:
                acd.end_contact(active, by_agent=agent)
        elif operation == "timeout":
            from django.utils import timezone

            acd.expire_offers(timezone.now() + dt.timedelta(minutes=5))
        elif operation == "leave":
            waiting = QueueEntry.objects.filter(state__in=["waiting", "offered"]).first()
            if waiting:
                acd.abandon(waiting.contact)
        acd.route_waiting()
        check_invariants(agents)
