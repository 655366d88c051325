"""Transfers and moves go only where the contact can be served; ending and wrapping up refresh the wall."""

from __future__ import annotations

from typing import Any

import pytest

from kefu.accounts.models import AgentSkill, Skill
from kefu.contacts.models import Contact, Message
from kefu.core import events
from kefu.core.errors import BusinessRuleError
from kefu.routing import services as acd
from kefu.routing.choices import EntryState
from kefu.routing.models import AgentState, Queue, QueueEntry, RoutingDecision
from tests.routing.conftest import new_chat
from tests.routing.test_acd import enqueue, ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(events, "publish", lambda group, payload: sent.append((group, payload)))
    return sent


def _to_supervisors(published: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [payload for group, payload in published if group == events.SUPERVISORS_GROUP]


def _answered_chat(queue: Queue, agent: Any) -> tuple[QueueEntry, Contact]:
    entry = enqueue(queue)
    contact = acd.accept_offer(agent, entry.pk)
    entry.refresh_from_db()
    return entry, contact


def _snapshot(entry: QueueEntry, contact: Contact) -> tuple[Any, ...]:
    entry.refresh_from_db()
    contact.refresh_from_db()
    return (
        entry.queue_id,
        entry.state,
        entry.preferred_agent_id,
        contact.status,
        contact.queue_code,
        contact.transfers,
        list(AgentState.objects.order_by("agent_id").values_list("agent_id", "text_load", "status")),
        RoutingDecision.objects.count(),
        Message.objects.count(),
    )


def test_transfer_to_a_queue_that_does_not_take_chats_is_refused_and_changes_nothing(
    chat_queue, voice_queue, skilled, alice
):
    ready(alice)
    entry, contact = _answered_chat(chat_queue, alice)
    before = _snapshot(entry, contact)

    with pytest.raises(BusinessRuleError) as refusal:
        acd.transfer(contact, by_agent=alice, queue=voice_queue, note="转热线")

    assert refusal.value.code == "queue_channel"
    assert refusal.value.message == "队列“热线”不受理在线客服渠道的联络。"
    assert _snapshot(entry, contact) == before


def test_transfer_to_an_agent_without_the_queue_skill_is_refused_and_changes_nothing(chat_queue, skilled, alice, bob):
    ready(alice, bob)
    AgentSkill.objects.filter(agent=bob).delete()
    AgentSkill.objects.create(agent=bob, skill=Skill.objects.create(code="TV", name="电视"), level=5)
    entry, contact = _answered_chat(chat_queue, alice)
    before = _snapshot(entry, contact)

    with pytest.raises(BusinessRuleError) as refusal:
        acd.transfer(contact, by_agent=alice, to_agent=bob, note="转鲍勃")

    assert refusal.value.code == "transfer_agent_unskilled"
    assert refusal.value.message == f"{bob} 不具备队列“在线客服”要求的技能等级。"
    assert _snapshot(entry, contact) == before


def test_transfer_to_an_agent_below_the_queue_level_is_refused(chat_queue, skilled, alice, bob):
    ready(alice, bob)
    Queue.objects.filter(pk=chat_queue.pk).update(min_level=3)
    AgentSkill.objects.filter(agent=bob).update(level=2)
    entry, contact = _answered_chat(chat_queue, alice)
    before = _snapshot(entry, contact)

    with pytest.raises(BusinessRuleError) as refusal:
        acd.transfer(contact, by_agent=alice, to_agent=bob)

    assert refusal.value.code == "transfer_agent_unskilled"
    assert _snapshot(entry, contact) == before


def test_transfer_to_a_skilled_agent_still_works(chat_queue, skilled, alice, bob):
    ready(alice, bob)
    entry, contact = _answered_chat(chat_queue, alice)

    acd.transfer(contact, by_agent=alice, to_agent=bob)

    entry.refresh_from_db()
    assert (entry.state, entry.preferred_agent) == (EntryState.WAITING, bob)


def test_supervisor_cannot_move_a_waiting_chat_to_a_voice_queue(chat_queue, voice_queue, skilled, sara):
    entry = enqueue(chat_queue, new_chat())
    contact = Contact.objects.get(pk=entry.contact_id)
    before = _snapshot(entry, contact)

    with pytest.raises(BusinessRuleError) as refusal:
        acd.move_entry(entry.pk, voice_queue, by=sara)

    assert refusal.value.code == "queue_channel"
    assert _snapshot(entry, contact) == before


def test_ending_a_chat_refreshes_the_supervisors_wall(chat_queue, skilled, alice, published):
    ready(alice)
    _entry, contact = _answered_chat(chat_queue, alice)
    published.clear()

    acd.end_contact(contact, by_agent=alice)

    assert _to_supervisors(published) == [
        {"type": "agent.state", "agent": alice.pk, "status": "ready"},
        {"type": "queue.changed", "queue": "CHAT"},
    ]
    # … and the customer's window hears that the chat is over (it then asks for a rating)
    assert (events.chat_group(contact.pk), {"type": "chat.ended", "contact": contact.pk}) in published


def test_wrapping_up_a_chat_refreshes_the_supervisors_wall(chat_queue, skilled, alice, published):
    ready(alice)
    _entry, contact = _answered_chat(chat_queue, alice)
    acd.end_contact(contact, by_agent=alice)
    contact.refresh_from_db()
    published.clear()

    acd.wrap_up_contact(alice, contact, code=None, notes="已解决")

    assert _to_supervisors(published) == [
        {"type": "agent.state", "agent": alice.pk, "status": "ready"},
        {"type": "queue.changed", "queue": "CHAT"},
    ]


def test_wrapping_up_a_call_publishes_the_agent_ready_again(voice_queue, skilled, alice, published):
    ready(alice)
    contact = acd.accept_offer(alice, enqueue(voice_queue, _call()).pk)
    acd.end_contact(contact, by_agent=alice)
    contact.refresh_from_db()
    published.clear()

    acd.wrap_up_contact(alice, contact, code=None)

    assert _to_supervisors(published) == [
        {"type": "agent.state", "agent": alice.pk, "status": "ready"},
        {"type": "queue.changed", "queue": "VOICE"},
    ]


def _call() -> Contact:
    from kefu.contacts import services as contacts

    return contacts.open_contact(channel="voice", identity="13800000000")
