"""The supervisor's live wall: who may see it, what it counts, what it turns red, what it may do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kefu.accounts.models import User
from kefu.contacts import services as contacts
from kefu.routing import services as acd
from kefu.routing.choices import AgentStatus, EntryState
from kefu.routing.models import AgentState, AgentStateChange, Queue, QueueEntry
from tests.connectors.hotline import hotline_chat_queue
from tests.desk.conftest import signed_in
from tests.desk.test_agent_desktop import active_chat
from tests.routing.conftest import new_chat

WALL = "/supervisor/"


@pytest.fixture
def chat_queue(alice: User, bob: User) -> Queue:
    return hotline_chat_queue(alice, bob)


def waiting_chat(queue: Queue, waited_seconds: int = 0) -> QueueEntry:
    entry = acd.enqueue(new_chat("访客"), queue)
    if waited_seconds:
        QueueEntry.objects.filter(pk=entry.pk).update(enqueued_at=timezone.now() - dt.timedelta(seconds=waited_seconds))
    return entry


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login() -> None:
    response = Client().get(WALL)

    assert (response.status_code, response["Location"]) == (302, f"/login/?next={WALL}")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["alice", "kate"])
def test_agents_and_other_roles_are_refused_the_wall(persona: str, request: pytest.FixtureRequest) -> None:
    user: User = request.getfixturevalue(persona)

    assert signed_in(user).get(WALL).status_code == 403
    assert signed_in(user).get("/supervisor/wall/").status_code == 403


@pytest.mark.django_db
def test_supervisor_sees_the_wall_in_the_navigation(sara: User) -> None:
    client = signed_in(sara)

    page = client.get(WALL)

    assert page.status_code == 200
    assert 'href="/supervisor/"' in page.content.decode()
    assert "实时监控" in page.content.decode()


@pytest.mark.django_db
def test_wall_counts_todays_answered_chat_and_the_agent_talking(chat_queue: Queue, alice: User, sara: User) -> None:
    contact = active_chat(alice)

    response = signed_in(sara).get("/supervisor/wall/")

    row = next(row for row in response.context["queues"] if row.live.queue == chat_queue)
    assert (row.live.today.offered, row.live.today.answered, row.live.today.abandoned) == (1, 1, 0)
    assert row.service_level_percent == 100
    agent = next(live for live in response.context["agents"] if live.state.agent == alice)
    assert (agent.state.status, agent.current_contacts) == (AgentStatus.BUSY, [contact])
    assert "艾丽" in response.content.decode()


@pytest.mark.django_db
def test_a_long_wait_turns_the_queue_red(chat_queue: Queue, sara: User) -> None:
    waiting_chat(chat_queue, waited_seconds=chat_queue.max_wait_alarm_seconds + 30)

    html = signed_in(sara).get("/supervisor/wall/").content.decode()

    assert 'class="is-alarm" data-queue="CHAT"' in html
    assert "cell-alarm" in html


@pytest.mark.django_db
def test_supervisor_forces_an_agent_not_ready(chat_queue: Queue, alice: User, sara: User) -> None:
    acd.set_agent_status(alice, AgentStatus.READY)

    signed_in(sara).post(f"/supervisor/agents/{alice.pk}/state/", {"state": "not_ready:meeting"})

    state = AgentState.objects.get(agent=alice)
    change = AgentStateChange.objects.filter(agent=alice).last()
    assert (state.status, state.reason) == (AgentStatus.NOT_READY, "meeting")
    assert change is not None and change.by == sara


@pytest.mark.django_db
def test_an_agent_cannot_force_a_colleagues_state(chat_queue: Queue, alice: User, bob: User) -> None:
    acd.set_agent_status(bob, AgentStatus.READY)

    response = signed_in(alice).post(f"/supervisor/agents/{bob.pk}/state/", {"state": "offline"})

    assert response.status_code == 403
    assert AgentState.objects.get(agent=bob).status == AgentStatus.READY


@pytest.mark.django_db
def test_signing_off_an_agent_with_a_chat_open_is_refused(chat_queue: Queue, alice: User, sara: User) -> None:
    active_chat(alice)

    html = signed_in(sara).post(f"/supervisor/agents/{alice.pk}/state/", {"state": "offline"}).content.decode()

    assert AgentState.objects.get(agent=alice).status == AgentStatus.BUSY
    assert 'class="alert alert-warning"' in html


@pytest.mark.django_db
def test_supervisor_signs_an_idle_agent_off(chat_queue: Queue, alice: User, sara: User) -> None:
    acd.set_agent_status(alice, AgentStatus.READY)

    signed_in(sara).post(f"/supervisor/agents/{alice.pk}/state/", {"state": "offline"})

    assert AgentState.objects.get(agent=alice).status == AgentStatus.OFFLINE


@pytest.mark.django_db
def test_supervisor_moves_a_waiting_contact_to_another_queue(chat_queue: Queue, sara: User) -> None:
    vip = Queue.objects.create(code="VIP", name="VIP 专席", channels=["chat"], skill=chat_queue.skill)
    entry = waiting_chat(chat_queue)

    html = signed_in(sara).post(f"/supervisor/entries/{entry.pk}/move/", {"queue": "VIP"}).content.decode()

    entry.refresh_from_db()
    assert (entry.queue, entry.state) == (vip, EntryState.WAITING)
    assert entry.contact.queue_code == "VIP"
    assert "alert" not in html


@pytest.mark.django_db
def test_moving_to_an_unknown_queue_changes_nothing(chat_queue: Queue, sara: User) -> None:
    entry = waiting_chat(chat_queue)

    html = signed_in(sara).post(f"/supervisor/entries/{entry.pk}/move/", {"queue": "NOPE"}).content.decode()

    entry.refresh_from_db()
    assert entry.queue == chat_queue
    assert "请选择队列" in html


@pytest.mark.django_db
def test_channels_show_volume_and_handle_time(chat_queue: Queue, alice: User, sara: User) -> None:
    contact = active_chat(alice)
    contacts.add_message(contact, sender="agent", body="好的", author=alice)
    acd.end_contact(contact, by_agent=alice)

    response = signed_in(sara).get("/supervisor/wall/")

    assert [(row.label, row.contacts_today) for row in response.context["channels"]] == [("在线客服", 1)]
