"""A web chat whose customer closed the tab is abandoned (waiting) or ended (answered) by the tick."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.contacts import services as contacts
from kefu.contacts.models import Contact
from kefu.routing import services as acd
from kefu.routing.models import AgentState, QueueEntry
from tests.routing.conftest import new_chat
from tests.routing.test_acd import enqueue, ready

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


def seen(contact: Contact, at: dt.datetime) -> Contact:
    Contact.objects.filter(pk=contact.pk).update(customer_seen_at=at)
    return contact


def status_of(contact: Contact) -> str:
    return Contact.objects.get(pk=contact.pk).status


def test_waiting_chat_unseen_past_the_limit_is_abandoned(chat_queue):
    now = timezone.now()
    gone = seen(new_chat("走了"), now - 4 * MINUTE)
    here = seen(new_chat("还在"), now - 2 * MINUTE)
    entries = [enqueue(chat_queue, gone), enqueue(chat_queue, here)]

    result = acd.tick(now)

    assert (result["abandoned"], result["ended"]) == (1, 0)
    assert (status_of(gone), status_of(here)) == ("abandoned", "queued")
    assert [QueueEntry.objects.get(pk=e.pk).state for e in entries] == ["abandoned", "waiting"]


def test_offered_chat_unseen_is_abandoned_and_the_agent_freed(chat_queue, skilled, alice):
    ready(alice)
    now = timezone.now()
    contact = seen(new_chat(), now - 5 * MINUTE)
    entry = enqueue(chat_queue, contact)
    assert entry.offered_to == alice

    acd.tick(now)

    assert status_of(contact) == "abandoned"
    assert AgentState.objects.get(agent=alice).text_load == 0


def test_the_abandon_time_is_a_setting(chat_queue, settings):
    settings.KEFU_CHAT_ABANDON_SECONDS = 60
    now = timezone.now()
    contact = seen(new_chat(), now - 2 * MINUTE)
    enqueue(chat_queue, contact)

    assert acd.tick(now)["abandoned"] == 1
    assert status_of(contact) == "abandoned"


def test_a_chat_waiting_for_a_callback_is_left_alone(chat_queue):
    now = timezone.now()
    contact = seen(new_chat(), now - 10 * MINUTE)
    enqueue(chat_queue, contact)
    acd.request_callback(contact, "13800000000")

    assert acd.tick(now)["abandoned"] == 0
    assert QueueEntry.objects.get(contact=contact).state == "callback"


def test_answered_chat_is_ended_only_after_the_customer_is_gone_half_an_hour(chat_queue, skilled, alice):
    ready(alice)
    now = timezone.now()
    gone = acd.accept_offer(alice, enqueue(chat_queue).pk)
    quiet = acd.accept_offer(alice, enqueue(chat_queue).pk)
    seen(gone, now - 31 * MINUTE)
    seen(quiet, now - 10 * MINUTE)

    result = acd.tick(now)

    assert (result["abandoned"], result["ended"]) == (0, 1)
    assert (status_of(gone), status_of(quiet)) == ("wrap_up", "active")
    assert AgentState.objects.get(agent=alice).text_load == 1


def test_presence_is_written_at_most_every_thirty_seconds(chat_queue):
    contact = new_chat()
    first = timezone.now()

    writes = [
        contacts.mark_customer_seen(contact.pk, first),
        contacts.mark_customer_seen(contact.pk, first + dt.timedelta(seconds=20)),
        contacts.mark_customer_seen(contact.pk, first + dt.timedelta(seconds=31)),
    ]

    assert writes == [True, False, True]
    assert Contact.objects.get(pk=contact.pk).customer_seen_at == first + dt.timedelta(seconds=31)
