"""The voice port without a network: the menu walk, and call events stored first under the call id."""

from __future__ import annotations

from kefu.connectors.voice.ivr import BROADBAND_TV, HOTLINE, MAIN_MENU, IvrWalk, Menu
from kefu.connectors.voice.port import CallHungUp, CallStarted, position_prompt
from kefu.connectors.voice.sip import SipAdapter
from kefu.contacts.choices import ContactStatus
from kefu.contacts.models import Contact, InboundItem

STARTED = CallStarted(call_id="a84b4c76e66710@10.0.0.1", caller="13812345678", called="10086")


def test_pressing_2_then_1_reaches_the_broadband_desk_with_its_path() -> None:
    walk = IvrWalk()
    assert isinstance(walk.press("2"), Menu)
    assert walk.press("1") == BROADBAND_TV
    assert walk.path == "2>1"


def test_star_goes_back_a_level_and_forgets_the_key() -> None:
    walk = IvrWalk()
    walk.press("2")
    assert walk.press("*") == MAIN_MENU
    assert walk.press("0") == HOTLINE
    assert walk.path == "0"


def test_three_wrong_keys_send_the_caller_to_a_person() -> None:
    walk = IvrWalk()
    assert walk.press("9") is None
    assert walk.miss() is None
    assert walk.press("7") == HOTLINE
    assert walk.path == ""


def test_the_same_call_start_delivered_twice_creates_one_contact(voice_queues) -> None:
    adapter = SipAdapter()
    first = adapter.call_started(STARTED)
    again = adapter.call_started(STARTED)
    assert (first.is_new, again.is_new) == (True, False)
    assert again.contact == first.contact
    assert Contact.objects.filter(channel="voice").count() == 1
    assert first.contact is not None and first.contact.status == ContactStatus.NEW


def test_a_hang_up_in_the_menu_ends_the_call_once(voice_queues) -> None:
    adapter = SipAdapter()
    contact = adapter.call_started(STARTED).contact
    adapter.call_hung_up(CallHungUp(STARTED.call_id))
    _item, repeated = adapter.call_hung_up(CallHungUp(STARTED.call_id))
    assert repeated is False
    assert Contact.objects.get(pk=contact.pk).status == ContactStatus.ENDED
    assert InboundItem.objects.filter(provider="voice.sip").count() == 2


def test_the_position_announcement_counts_those_ahead_and_whole_minutes() -> None:
    assert position_prompt(3, 150) == "您前面还有2位客户，预计等待2分钟。如需稍后回电，请按1。"
    assert position_prompt(1, 10) == "您前面还有0位客户，预计等待1分钟。如需稍后回电，请按1。"
