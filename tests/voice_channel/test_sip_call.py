"""A real SIP call (baresip → kamailio → the Kefu SIP UA) walks the menu and reaches an agent."""

from __future__ import annotations

from kefu.accounts.models import User
from kefu.contacts.choices import ContactStatus
from kefu.contacts.models import Contact, InboundItem
from kefu.routing import services as acd
from kefu.routing.choices import AgentStatus, EntryState
from kefu.routing.models import CallbackRequest, QueueEntry
from tests.voice_channel.peers import wait_for


def the_call() -> Contact:
    return wait_for(lambda: Contact.objects.filter(channel="voice").first(), 20, "the call's contact")


def test_a_call_pressing_2_then_1_is_queued_and_offered_to_a_ready_agent_on_the_desk(
    sip_gateway, caller, alice: User, client
) -> None:
    # Given alice is ready on the broadband & TV desk
    acd.set_agent_status(alice, AgentStatus.READY)
    # When the customer calls 10086 and presses 2 (faults) then 1 (broadband)
    caller.dial("10086")
    contact = the_call()
    caller.press("2")
    caller.press("1")
    # Then the call waits in 宽带电视专席 and is offered to alice at once
    entry = wait_for(
        lambda: QueueEntry.objects.filter(contact=contact, state=EntryState.OFFERED).first(), 20, "the offer"
    )
    contact.refresh_from_db()
    assert (contact.ivr_path, contact.queue_code, contact.identity) == ("2>1", "BB", "13812345678")
    assert entry.offered_to_id == alice.pk
    assert contact.status == ContactStatus.QUEUED  # waiting until alice answers; the entry is offered
    # … and the offer is on alice's desk; she takes it there
    client.force_login(alice)
    offers = client.get("/agent/offers/")
    assert offers.status_code == 200 and "宽带电视专席" in offers.content.decode()
    accepted = client.post(f"/agent/offers/{entry.pk}/accept/")
    assert accepted.json() == {"contact": contact.pk}
    # When the customer hangs up
    caller.hang_up()
    wait_for(lambda: Contact.objects.get(pk=contact.pk).ended_at, 20, "the hang-up to be recorded")
    # Then the contact holds the call record: path, queue, agent and the times in order
    contact.refresh_from_db()
    assert contact.status == ContactStatus.WRAP_UP
    assert contact.agent_id == alice.pk
    assert contact.created_at <= contact.offered_at <= contact.answered_at <= contact.ended_at
    assert contact.wait_seconds is not None and contact.talk_seconds is not None


def test_hanging_up_while_queued_abandons_the_call(sip_gateway, caller) -> None:
    # Given nobody is ready, the customer reaches the hotline (0 = a person)
    caller.dial("10086")
    contact = the_call()
    caller.press("0")
    wait_for(lambda: Contact.objects.get(pk=contact.pk).status == ContactStatus.QUEUED, 20, "the call to queue")
    # When they hang up while waiting
    caller.hang_up()
    # Then the call is abandoned, with its wait
    wait_for(lambda: Contact.objects.get(pk=contact.pk).status == ContactStatus.ABANDONED, 20, "the abandon")
    contact.refresh_from_db()
    assert (contact.ivr_path, contact.queue_code) == ("0", "VOICE")
    assert contact.abandoned_at == contact.ended_at is not None
    assert QueueEntry.objects.get(contact=contact).state == EntryState.ABANDONED
    assert InboundItem.objects.filter(provider="voice.sip", contact=contact).count() == 2  # call + hang-up


def test_pressing_1_while_queued_asks_for_a_callback(sip_gateway, caller) -> None:
    # Given the customer waits for the hotline (1 = billing)
    caller.dial("10086")
    contact = the_call()
    caller.press("1")
    wait_for(lambda: Contact.objects.get(pk=contact.pk).status == ContactStatus.QUEUED, 20, "the call to queue")
    # When they press 1 to be called back
    caller.press("1")
    # Then a callback request holds their number, the UA says goodbye and hangs up
    request = wait_for(lambda: CallbackRequest.objects.filter(contact=contact).first(), 20, "the callback request")
    assert (request.phone, request.queue.code) == ("13812345678", "VOICE")
    wait_for(caller.closed, 30, "the UA to hang up")
    wait_for(lambda: Contact.objects.get(pk=contact.pk).status == ContactStatus.ENDED, 20, "the call to end")
    assert QueueEntry.objects.get(contact=contact).state == EntryState.CALLBACK
