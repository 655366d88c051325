# ruff: noqa: S310 — the tests drive peer processes they started on 127.0.0.1
"""The generic signed webhook against a platform process: its signed messages become IM
contacts once, agents' replies are POSTed back signed the same way, and anything unsigned,
badly signed or stale is refused with nothing stored."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from kefu.connectors.im.outbound import reply_by_im
from kefu.contacts.models import Contact, InboundItem
from kefu.messaging.models import OutboundMessage
from kefu.messaging.services import deliver_queued
from kefu.routing import services as acd
from kefu.routing.models import QueueEntry
from tests.sms_channel.peers import wait_for

MESSAGE = {"id": "m-1001", "user": {"id": "u-42", "name": "张三"}, "text": "我想办理宽带提速"}


def _answered(alice, contact: Contact) -> Contact:
    entry = wait_for(
        lambda: QueueEntry.objects.filter(contact=contact, offered_to__isnull=False).first(), what="the offer"
    )
    return acd.accept_offer(alice, entry.pk)


@pytest.mark.django_db(transaction=True)
def test_a_platform_message_becomes_a_contact_and_the_reply_is_posted_back_signed(platform, im_queue, alice):
    acd.set_agent_status(alice, "ready")

    (answer,) = platform.deliver(MESSAGE)

    contact = Contact.objects.get()
    assert answer["status"] == 200
    assert json.loads(answer["body"]) == {"status": "stored", "contact": contact.pk}
    assert (contact.channel, contact.identity, contact.display_name) == ("im", "webhook:u-42", "张三")
    assert list(contact.messages.values_list("sender", "body")) == [("customer", "我想办理宽带提速")]
    contact = _answered(alice, contact)

    reply_by_im(contact, agent=alice, body="您好，提速业务可以在线办理，我来帮您。")
    assert deliver_queued() == 1

    outbox = OutboundMessage.objects.get(channel="im")
    assert platform.state()["inbox"] == [
        {
            "valid": True,
            "body": {
                "id": f"kefu-{outbox.pk}",
                "to": "u-42",
                "text": "您好，提速业务可以在线办理，我来帮您。",
                "contact": contact.pk,
            },
        }
    ]
    assert (outbox.status, outbox.provider_id, outbox.address) == ("sent", "plat-1", "webhook:u-42")


@pytest.mark.django_db(transaction=True)
def test_the_same_message_delivered_twice_makes_one_contact(platform, im_queue):
    answers = platform.deliver(MESSAGE, times=2)

    assert [(a["status"], json.loads(a["body"])["status"]) for a in answers] == [(200, "stored"), (200, "duplicate")]
    assert (Contact.objects.count(), InboundItem.objects.count()) == (1, 1)
    assert Contact.objects.get().messages.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_second_message_joins_the_open_conversation(platform, im_queue):
    platform.deliver(MESSAGE)
    platform.deliver({**MESSAGE, "id": "m-1002", "text": "大概多少钱？"})

    contact = Contact.objects.get()
    assert list(contact.messages.values_list("body", flat=True)) == ["我想办理宽带提速", "大概多少钱？"]


@pytest.mark.django_db(transaction=True)
def test_bad_signatures_and_stale_timestamps_are_refused_and_change_nothing(platform, im_queue, live_server):
    unsigned = urllib.request.Request(
        f"{live_server.url}/hooks/im/webhook/", data=json.dumps(MESSAGE).encode(), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=10)

    answers = [
        *platform.deliver(MESSAGE, secret="not-the-secret"),
        *platform.deliver(MESSAGE, timestamp=int(time.time()) - 3600),
    ]

    assert (refused.value.code, json.loads(refused.value.read())) == (401, {"error": "missing signature or timestamp"})
    assert [(a["status"], json.loads(a["body"])) for a in answers] == [
        (401, {"error": "bad signature"}),
        (401, {"error": "timestamp outside the tolerance"}),
    ]
    assert (Contact.objects.count(), InboundItem.objects.count()) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_signed_message_kefu_cannot_read_is_refused_and_changes_nothing(platform, im_queue):
    answers = [
        *platform.deliver({"id": "m-1", "text": "no user"}),
        *platform.deliver({"id": "m-2", "user": {"id": "u-1"}, "text": ""}),
        *platform.deliver(["not", "an", "object"]),
    ]

    assert [a["status"] for a in answers] == [400, 400, 400]
    assert (Contact.objects.count(), InboundItem.objects.count()) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_reply_the_platform_refuses_stays_in_the_outbox_to_try_again(platform, im_queue, alice, settings):
    acd.set_agent_status(alice, "ready")
    platform.deliver(MESSAGE)
    contact = _answered(alice, Contact.objects.get())
    settings.KEFU_WEBHOOK_SECRET = "rotated-on-our-side-only"

    reply_by_im(contact, agent=alice, body="稍等")
    assert deliver_queued() == 0

    outbox = OutboundMessage.objects.get(channel="im")
    assert (outbox.status, outbox.attempts, outbox.error) == ("queued", 1, "the platform answered 401")
    assert [entry["valid"] for entry in platform.state()["inbox"]] == [False]
