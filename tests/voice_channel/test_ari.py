"""The Asterisk ARI gateway against the ARI simulator: StasisStart → answer and menu, DTMF → queue
with the IVR path, hang-up, callback, the agent's leg bridged, and refused credentials."""

from __future__ import annotations

import pytest

from kefu.accounts.models import User
from kefu.connectors.voice.ari import AriClient, AriError, AriGateway
from kefu.contacts.choices import ContactStatus
from kefu.contacts.models import Contact
from kefu.routing import services as acd
from kefu.routing.choices import AgentStatus, EntryState
from kefu.routing.models import CallbackRequest, QueueEntry
from tests.voice_channel.peers import wait_for

CALL = "1718000000.42"


def contact_of_call() -> Contact:
    return wait_for(lambda: Contact.objects.filter(channel="voice").first(), 10, "the call's contact")


def test_an_ari_call_is_answered_walks_the_menu_and_waits_with_music(ari_application, ari) -> None:
    # When Asterisk hands a call to the application and the caller presses 2 then 1
    ari.call(CALL, caller="13812345678")
    contact = contact_of_call()
    wait_for(lambda: ("POST", f"/ari/channels/{CALL}/answer") in ari.requests(), 10, "the answer")
    ari.press(CALL, "21")
    # Then the contact waits in 宽带电视专席 with its path, hearing music on hold
    wait_for(lambda: Contact.objects.get(pk=contact.pk).status == ContactStatus.QUEUED, 10, "the call to queue")
    wait_for(lambda: ("POST", f"/ari/channels/{CALL}/moh") in ari.requests(), 10, "music on hold")
    contact.refresh_from_db()
    assert (contact.ivr_path, contact.queue_code, contact.identity) == ("2>1", "BB", "13812345678")
    # … after hearing the main menu, the faults menu and "connecting you" (cached espeak-ng WAVs)
    media = ari.media_played(CALL)
    assert len(media) == 3 and all(item.startswith("sound:kefu/") for item in media)
    assert len(set(media)) == 3


def test_the_same_stasis_start_twice_makes_one_contact_and_one_answer(ari_application, ari) -> None:
    ari.call(CALL, caller="13812345678")
    ari.call(CALL, caller="13812345678")
    wait_for(lambda: len(ari.media_played(CALL)) >= 1, 10, "the menu")
    assert Contact.objects.filter(channel="voice").count() == 1
    assert ari.requests().count(("POST", f"/ari/channels/{CALL}/answer")) == 1


def test_an_ari_caller_hanging_up_while_queued_abandons(ari_application, ari) -> None:
    ari.call(CALL, caller="13812345678")
    contact = contact_of_call()
    ari.press(CALL, "0")
    wait_for(lambda: Contact.objects.get(pk=contact.pk).status == ContactStatus.QUEUED, 10, "the call to queue")
    ari.hang_up(CALL)
    wait_for(lambda: Contact.objects.get(pk=contact.pk).status == ContactStatus.ABANDONED, 10, "the abandon")
    assert QueueEntry.objects.get(contact=contact).state == EntryState.ABANDONED


def test_an_ari_caller_pressing_1_while_queued_is_called_back_and_hung_up(ari_application, ari) -> None:
    ari.call(CALL, caller="13812345678")
    contact = contact_of_call()
    ari.press(CALL, "1")
    wait_for(lambda: Contact.objects.get(pk=contact.pk).status == ContactStatus.QUEUED, 10, "the call to queue")
    ari.press(CALL, "1")
    request = wait_for(lambda: CallbackRequest.objects.filter(contact=contact).first(), 10, "the callback")
    assert (request.phone, request.queue.code) == ("13812345678", "VOICE")
    # The goodbye prompt finishes, then the application hangs the channel up
    wait_for(lambda: ("DELETE", f"/ari/channels/{CALL}") in ari.requests(), 10, "the hang-up")
    wait_for(lambda: Contact.objects.get(pk=contact.pk).status == ContactStatus.ENDED, 10, "the call to end")


def test_bridging_to_the_agent_rings_their_phone_and_joins_both_in_a_bridge(ari_application, ari, alice: User) -> None:
    # Given alice is ready and the call is offered to her
    acd.set_agent_status(alice, AgentStatus.READY)
    ari.call(CALL, caller="13812345678")
    contact = contact_of_call()
    ari.press(CALL, "0")
    wait_for(
        lambda: QueueEntry.objects.filter(contact=contact, state="offered", offered_to=alice).exists(), 10, "the offer"
    )
    # When the softphone asks the gateway to bridge the call to her
    AriGateway().bridge_to_agent(CALL, alice)
    # Then her phone rings (PJSIP/alice) and, answered, joins the caller in a mixing bridge
    wait_for(lambda: Contact.objects.get(pk=contact.pk).status == ContactStatus.ACTIVE, 10, "the agent to answer")
    requests = ari.requests()
    assert ("POST", "/ari/channels") in requests and ("POST", "/ari/bridges") in requests
    assert any(path.endswith("/addChannel") for _method, path in requests)
    assert Contact.objects.get(pk=contact.pk).agent_id == alice.pk


def test_asterisk_refuses_wrong_credentials(ari) -> None:
    client = AriClient(ari.url, ari.username, "wrong")
    with pytest.raises(AriError, match="401"):
        client.request("POST", f"/channels/{CALL}/answer")
    assert ari.requests() == []  # refused before anything was done
