"""The ACD's rules: who gets what, in which order, and what happens when nobody answers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.contacts.models import Contact
from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.routing import services as acd
from kefu.routing.choices import AgentStatus, EntryState
from kefu.routing.models import AgentState, Queue, QueueEntry, RoutingDecision
from tests.routing.conftest import new_chat


def ready(*agents):
    for agent in agents:
        acd.set_agent_status(agent, AgentStatus.READY)


def enqueue(queue, contact=None, **kwargs):
    entry = acd.enqueue(contact or new_chat(), queue, **kwargs)
    acd.route_entry(entry.pk)  # what on_commit does in production
    entry.refresh_from_db()
    return entry


@pytest.mark.django_db
def test_waiting_chat_is_offered_to_a_ready_agent_and_accepted(chat_queue, skilled, alice):
    ready(alice)

    entry = enqueue(chat_queue)
    contact = acd.accept_offer(alice, entry.pk)

    assert (entry.state, entry.offered_to) == (EntryState.OFFERED, alice)
    assert (contact.status, contact.agent, contact.wait_seconds) == ("active", alice, 0)
    assert list(RoutingDecision.objects.filter(contact=contact).values_list("kind", flat=True)) == [
        "queued",
        "offered",
        "accepted",
    ]


@pytest.mark.django_db
def test_nobody_ready_means_the_contact_waits(chat_queue, skilled, alice):
    entry = enqueue(chat_queue)

    assert entry.state == EntryState.WAITING
    ready(alice)
    acd.route_for_agent(alice.pk)
    entry.refresh_from_db()
    assert (entry.state, entry.offered_to) == (EntryState.OFFERED, alice)


@pytest.mark.django_db
def test_best_skilled_agent_first_then_longest_idle(chat_queue, skilled, alice, bob, expert):
    ready(bob, alice, expert)
    now = timezone.now()
    AgentState.objects.filter(agent=bob).update(idle_since=now - dt.timedelta(minutes=10))
    AgentState.objects.filter(agent=alice).update(idle_since=now - dt.timedelta(minutes=5))

    first = enqueue(chat_queue)
    AgentState.objects.filter(agent=expert).update(text_load=3)  # the expert is full
    second = enqueue(chat_queue)

    assert first.offered_to == expert
    assert second.offered_to == bob


@pytest.mark.django_db
def test_diamond_customer_is_served_before_standard(chat_queue, skilled, alice, zhang, wang):
    zhang.tier = "diamond"
    zhang.save()
    standard = enqueue(chat_queue, new_chat(customer=wang))
    diamond = enqueue(chat_queue, new_chat(customer=zhang))

    ready(alice)
    acd.route_for_agent(alice.pk, limit=1)

    standard.refresh_from_db()
    diamond.refresh_from_db()
    assert (diamond.state, standard.state) == (EntryState.OFFERED, EntryState.WAITING)
    assert diamond.priority > standard.priority


@pytest.mark.django_db
def test_an_agent_takes_up_to_three_chats_but_one_call(chat_queue, voice_queue, skilled, alice):
    ready(alice)

    chats = [enqueue(chat_queue) for _ in range(4)]
    call = enqueue(voice_queue, acd_contact("voice"))

    assert [c.state for c in chats] == ["offered", "offered", "offered", "waiting"]
    assert call.state == "waiting"
    assert AgentState.objects.get(agent=alice).text_load == 3


def acd_contact(channel):
    from kefu.contacts import services as contacts

    return contacts.open_contact(channel=channel, identity="13800000000")


@pytest.mark.django_db
def test_a_call_takes_the_agent_whole(chat_queue, voice_queue, skilled, alice):
    ready(alice)

    call = enqueue(voice_queue, acd_contact("voice"))
    chat = enqueue(chat_queue)

    assert (call.state, chat.state) == ("offered", "waiting")


@pytest.mark.django_db
def test_unanswered_offer_times_out_goes_to_the_next_agent_and_first_agent_is_not_ready(
    chat_queue, skilled, alice, bob
):
    ready(alice)
    entry = enqueue(chat_queue)
    ready(bob)

    expired = acd.expire_offers(entry.offer_expires_at + dt.timedelta(seconds=1))
    acd.route_entry(entry.pk)

    entry.refresh_from_db()
    alice_state = AgentState.objects.get(agent=alice)
    assert expired == 1
    assert entry.offered_to == bob
    assert (alice_state.status, alice_state.reason, alice_state.text_load) == ("not_ready", "missed_offer", 0)


@pytest.mark.django_db
def test_declined_offer_goes_to_someone_else_never_back(chat_queue, skilled, alice, bob):
    ready(alice)
    entry = enqueue(chat_queue)

    acd.decline_offer(alice, entry.pk)
    acd.route_entry(entry.pk)
    entry.refresh_from_db()
    assert entry.state == EntryState.WAITING  # bob is not ready; alice declined

    ready(bob)
    acd.route_for_agent(bob.pk)
    entry.refresh_from_db()
    assert entry.offered_to == bob


@pytest.mark.django_db
def test_someone_elses_offer_cannot_be_accepted(chat_queue, skilled, alice, bob):
    ready(alice)
    entry = enqueue(chat_queue)

    with pytest.raises(BusinessRuleError):
        acd.accept_offer(bob, entry.pk)
    entry.refresh_from_db()
    assert (entry.state, entry.offered_to) == (EntryState.OFFERED, alice)


@pytest.mark.django_db
def test_overflow_moves_a_long_waiting_contact_to_the_backup_queue(broadband, chat_queue, skilled, alice):
    from kefu.accounts.models import AgentSkill, Skill

    general = Skill.objects.create(code="GEN", name="综合")
    backup = Queue.objects.create(code="CHAT2", name="综合在线", channels=["chat"], skill=general)
    chat_queue.overflow_queue = backup
    chat_queue.overflow_after_seconds = 60
    chat_queue.save()
    AgentSkill.objects.create(agent=alice, skill=general, level=2)
    AgentSkill.objects.filter(agent=alice, skill=broadband).delete()
    entry = enqueue(chat_queue)
    ready(alice)

    assert acd.overflow_waiting(entry.enqueued_at + dt.timedelta(seconds=59)) == 0
    assert acd.overflow_waiting(entry.enqueued_at + dt.timedelta(seconds=60)) == 1
    acd.route_entry(entry.pk)

    entry.refresh_from_db()
    assert (entry.queue, entry.original_queue, entry.offered_to) == (backup, chat_queue, alice)
    assert Contact.objects.get(pk=entry.contact_id).queue_code == "CHAT2"


@pytest.mark.django_db
def test_customer_leaving_before_answer_is_abandoned_and_frees_the_offer(chat_queue, skilled, alice):
    ready(alice)
    entry = enqueue(chat_queue)

    acd.abandon(entry.contact)

    entry.refresh_from_db()
    contact = Contact.objects.get(pk=entry.contact_id)
    assert (entry.state, contact.status) == ("abandoned", "abandoned")
    assert AgentState.objects.get(agent=alice).text_load == 0


@pytest.mark.django_db
def test_transfer_to_a_named_agent_keeps_the_history(chat_queue, skilled, alice, bob):
    from kefu.contacts import services as contacts

    ready(alice, bob)
    AgentState.objects.filter(agent=bob).update(text_load=3)
    entry = enqueue(chat_queue)
    contact = acd.accept_offer(alice, entry.pk)
    contacts.add_message(contact, sender="customer", body="网络断了")
    AgentState.objects.filter(agent=bob).update(text_load=0)

    acd.transfer(contact, by_agent=alice, to_agent=bob, note="转宽带专席")
    acd.route_entry(entry.pk)
    entry.refresh_from_db()
    acd.accept_offer(bob, entry.pk)

    contact.refresh_from_db()
    assert (contact.agent, contact.transfers, contact.status) == (bob, 1, "active")
    assert list(contact.messages.values_list("body", flat=True)) == ["网络断了", "转宽带专席"]
    assert AgentState.objects.get(agent=alice).text_load == 0


@pytest.mark.django_db
def test_call_ends_into_after_call_work_then_wrap_up_makes_the_agent_ready(voice_queue, skilled, alice):
    from kefu.contacts.models import WrapUpCode

    ready(alice)
    entry = enqueue(voice_queue, acd_contact("voice"))
    contact = acd.accept_offer(alice, entry.pk)

    acd.end_contact(contact, by_agent=alice)
    assert AgentState.objects.get(agent=alice).status == "acw"

    code = WrapUpCode.objects.create(code="BB-FIX", name="宽带报障", category="broadband")
    acd.wrap_up_contact(alice, contact, code=code, notes="已开工单")
    contact.refresh_from_db()
    assert (contact.status, contact.wrap_up_code, contact.notes) == ("ended", code, "已开工单")
    assert AgentState.objects.get(agent=alice).status == "ready"


@pytest.mark.django_db
def test_agent_states_need_reasons_and_supervisors_may_force_them(alice, sara, bob):
    with pytest.raises(BusinessRuleError):
        acd.set_agent_status(alice, AgentStatus.NOT_READY)
    with pytest.raises(BusinessRuleError):
        acd.set_agent_status(alice, AgentStatus.BUSY)
    with pytest.raises(NotAllowed):
        acd.set_agent_status(alice, AgentStatus.OFFLINE, by=bob)

    acd.set_agent_status(alice, AgentStatus.NOT_READY, "meal")
    acd.set_agent_status(alice, AgentStatus.OFFLINE, by=sara)

    state = AgentState.objects.get(agent=alice)
    assert state.status == "offline"


@pytest.mark.django_db
def test_agent_cannot_sign_out_with_contacts_open(chat_queue, skilled, alice):
    ready(alice)
    enqueue(chat_queue)

    with pytest.raises(BusinessRuleError):
        acd.set_agent_status(alice, AgentStatus.OFFLINE)


@pytest.mark.django_db
def test_queue_refuses_a_channel_it_does_not_take(voice_queue):
    with pytest.raises(BusinessRuleError):
        acd.enqueue(new_chat(), voice_queue)
    assert QueueEntry.objects.count() == 0


@pytest.mark.django_db
def test_queue_position_and_expected_wait(chat_queue, skilled):
    first, second = enqueue(chat_queue), enqueue(chat_queue)

    assert acd.queue_position(first.contact)[0] == 1
    assert acd.queue_position(second.contact)[0] == 2
