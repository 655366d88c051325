"""The desk's softphone sends its commands through the port (here to Asterisk's ARI simulator)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.accounts.models import User
from kefu.contacts.choices import ContactStatus
from kefu.contacts.models import Contact
from kefu.routing import services as acd
from kefu.routing.choices import AgentStatus, EntryState
from kefu.routing.models import QueueEntry
from tests.voice_channel.peers import wait_for

CALL = "1718000000.77"


@pytest.fixture
def offered_call(settings, ari_application, ari, alice: User) -> QueueEntry:
    """A call that pressed 0 and is offered to alice, who is ready."""
    settings.KEFU_VOICE_GATEWAY = "ari"
    acd.set_agent_status(alice, AgentStatus.READY)
    ari.call(CALL, caller="13812345678")
    ari.press(CALL, "0")
    return wait_for(lambda: QueueEntry.objects.filter(state=EntryState.OFFERED).first(), 10, "the offer")


def test_a_call_offer_shows_answer_and_the_controls_reach_the_gateway(offered_call, ari, client, alice) -> None:
    client.force_login(alice)
    contact = offered_call.contact
    # The offer card says 接听 (answer) and knows the softphone's answer command
    card = client.get("/agent/offers/").content.decode()
    assert f'data-softphone-answer="/voice/softphone/{contact.pk}/answer/"' in card
    # When alice accepts on the desk and the softphone answers
    assert client.post(f"/agent/offers/{offered_call.pk}/accept/").status_code == 200
    answered = client.post(f"/voice/softphone/{contact.pk}/answer/")
    assert answered.json() == {"contact": contact.pk, "action": "answer"}
    # Then the gateway rings her phone and bridges the caller; her pane shows the controls
    wait_for(lambda: ("POST", "/ari/bridges") in ari.requests(), 10, "the bridge")
    pane = client.get(f"/agent/contacts/{contact.pk}/").content.decode()
    assert f'data-softphone="/voice/softphone/{contact.pk}/"' in pane
    assert "data-composer" not in pane and "通话中" in pane  # a call has no written replies
    # Hold and hang-up are ARI commands; hang-up also ends the contact (wrap-up follows)
    assert client.post(f"/voice/softphone/{contact.pk}/hold/").status_code == 200
    assert ("POST", f"/ari/channels/{CALL}/hold") in ari.requests()
    assert client.post(f"/voice/softphone/{contact.pk}/hang_up/").status_code == 200
    assert ("DELETE", f"/ari/channels/{CALL}") in ari.requests()
    assert Contact.objects.get(pk=contact.pk).status == ContactStatus.WRAP_UP


def test_another_agent_cannot_command_alices_call(offered_call, ari, client, alice, bob) -> None:
    client.force_login(alice)
    client.post(f"/agent/offers/{offered_call.pk}/accept/")
    before = ari.requests()
    client.force_login(bob)
    refused = client.post(f"/voice/softphone/{offered_call.contact_id}/hang_up/")
    assert refused.status_code == 404
    assert ari.requests() == before  # nothing reached the gateway
    assert Contact.objects.get(pk=offered_call.contact_id).status == ContactStatus.ACTIVE


def test_hold_time_is_counted_into_the_call_once_per_hold_and_when_hung_up_on_hold(
    offered_call, ari, client, alice
) -> None:
    client.force_login(alice)
    contact = offered_call.contact
    client.post(f"/agent/offers/{offered_call.pk}/accept/")
    started = timezone.now()
    # A first hold of 40 s (the clock is the database's: the hold started 40 s ago)
    assert client.post(f"/voice/softphone/{contact.pk}/hold/").status_code == 200
    assert client.post(f"/voice/softphone/{contact.pk}/hold/").status_code == 200  # twice: still one hold
    Contact.objects.filter(pk=contact.pk).update(held_since=started - dt.timedelta(seconds=40))
    assert client.post(f"/voice/softphone/{contact.pk}/resume/").status_code == 200
    assert client.post(f"/voice/softphone/{contact.pk}/resume/").status_code == 200  # not on hold: nothing
    held = Contact.objects.get(pk=contact.pk)
    assert (held.hold_seconds in (40, 41), held.held_since) == (True, None)
    # A second hold of 15 s that ends with the agent hanging up
    client.post(f"/voice/softphone/{contact.pk}/hold/")
    Contact.objects.filter(pk=contact.pk).update(held_since=timezone.now() - dt.timedelta(seconds=15))
    client.post(f"/voice/softphone/{contact.pk}/hang_up/")
    ended = Contact.objects.get(pk=contact.pk)
    assert ended.status == ContactStatus.WRAP_UP and ended.held_since is None
    assert 55 <= ended.hold_seconds <= 57
