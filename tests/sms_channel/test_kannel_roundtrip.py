# ruff: noqa: S310 — the tests drive peer processes they started on 127.0.0.1
"""A customer's SMS reaches Kefu through Kannel (fakesmsc → bearerbox → smsbox → the MO
callback), becomes a contact, and the agent's reply goes back through sendsms to the customer's
phone, with the delivery report recorded on the outbox row — all over real Kannel processes."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest

from kefu.connectors.sms.outbound import reply_by_sms
from kefu.contacts.models import Contact, InboundItem
from kefu.messaging.models import OutboundMessage
from kefu.messaging.services import deliver_queued
from kefu.routing import services as acd
from kefu.routing.models import QueueEntry
from tests.sms_channel.peers import wait_for


def _status(message: OutboundMessage) -> str:
    message.refresh_from_db()
    return message.status


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.django_db(transaction=True)
def test_customer_sms_becomes_a_contact_and_the_reply_reaches_the_phone_with_its_delivery_report(
    phone, sms_queue, alice, zhang
):
    acd.set_agent_status(alice, "ready")

    phone.send("我家宽带断了，麻烦尽快处理")

    contact = wait_for(lambda: Contact.objects.filter(channel="sms").first(), what="the SMS contact")
    assert (contact.identity, contact.customer, contact.subject) == ("13812345678", zhang, "我家宽带断了，麻烦尽快处理")
    assert list(contact.messages.values_list("sender", "body")) == [("customer", "我家宽带断了，麻烦尽快处理")]
    entry = wait_for(
        lambda: QueueEntry.objects.filter(contact=contact, offered_to__isnull=False).first(), what="the offer"
    )
    assert (entry.queue, entry.offered_to) == (sms_queue, alice)
    acd.accept_offer(alice, entry.pk)
    contact.refresh_from_db()

    reply = reply_by_sms(contact, agent=alice, body="您好，已为您派单，师傅今天下午两点到四点上门，请保持电话畅通。")
    assert deliver_queued() == 1

    assert wait_for(phone.received, what="the reply on the phone") == [
        ("10086", "13812345678", "您好，已为您派单，师傅今天下午两点到四点上门，请保持电话畅通。")
    ]
    outbox = OutboundMessage.objects.get(channel="sms")
    wait_for(lambda: _status(outbox) == "delivered", what="the delivery report")
    assert (outbox.address, outbox.body, outbox.subject_id) == ("13812345678", reply.body, str(contact.pk))
    assert outbox.provider_id.startswith("kannel-")
    reports = InboundItem.objects.filter(provider="sms.kannel.dlr", status="processed").order_by("provider_id")
    wait_for(lambda: reports.count() == 2, what="both reports (delivered; accepted by the SMSC)")
    assert [(r.provider_id, r.status) for r in reports] == [
        (f"{outbox.provider_id}:1", "processed"),
        (f"{outbox.provider_id}:8", "processed"),
    ]
    assert list(contact.messages.values_list("sender", "body")) == [
        ("customer", "我家宽带断了，麻烦尽快处理"),
        ("agent", "您好，已为您派单，师傅今天下午两点到四点上门，请保持电话畅通。"),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_second_sms_from_the_same_number_joins_the_open_contact(phone, sms_queue):
    phone.send("宽带断了")
    wait_for(
        lambda: InboundItem.objects.filter(provider="sms.kannel", status="processed").count() == 1, what="the first SMS"
    )
    phone.send("光猫红灯一直闪")
    wait_for(
        lambda: InboundItem.objects.filter(provider="sms.kannel", status="processed").count() == 2,
        what="the second SMS",
    )

    contact = Contact.objects.get()
    assert list(contact.messages.values_list("body", flat=True)) == ["宽带断了", "光猫红灯一直闪"]
    assert QueueEntry.objects.filter(contact=contact).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_sms_delivered_twice_makes_one_contact(phone, kannel, sms_queue):
    earlier = len(kannel.mo_requests())
    phone.send("机顶盒黑屏")
    wait_for(lambda: InboundItem.objects.filter(provider="sms.kannel", status="processed").exists(), what="the SMS")
    (request,) = kannel.mo_requests()[earlier:]

    status, body = _get(request)  # smsbox repeats its request (e.g. after a timeout)

    assert (status, body) == (200, "")
    assert Contact.objects.count() == 1
    assert InboundItem.objects.filter(provider="sms.kannel", status="processed").count() == 1
    assert Contact.objects.get().messages.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_callback_with_a_bad_secret_is_refused_and_changes_nothing(phone, kannel, sms_queue, live_server):
    earlier = len(kannel.mo_requests())
    phone.send("机顶盒黑屏")
    wait_for(lambda: InboundItem.objects.filter(provider="sms.kannel", status="processed").exists(), what="the SMS")
    (request,) = kannel.mo_requests()[earlier:]
    forged = request.replace("/kannel-callback-test-secret/", "/guessed-secret/")
    query = urllib.parse.urlencode({"id": "forged-1", "from": "13900000001", "text": "hi", "coding": "0"})
    before = (Contact.objects.count(), InboundItem.objects.count(), OutboundMessage.objects.count())

    answers = [
        _get(forged),
        _get(f"{live_server.url}/hooks/sms/kannel/mo?{query}", {"X-Kefu-Secret": "guessed-secret"}),
        _get(f"{live_server.url}/hooks/sms/kannel/mo?{query}"),
        _get(f"{live_server.url}/hooks/sms/kannel/guessed-secret/dlr?outbox=1&ref=x&type=1"),
    ]

    assert answers == [(403, "bad secret")] * 4
    assert (Contact.objects.count(), InboundItem.objects.count(), OutboundMessage.objects.count()) == before


@pytest.mark.django_db(transaction=True)
def test_the_secret_may_come_in_a_header(kannel_settings, sms_queue, live_server):
    query = urllib.parse.urlencode({"id": "hdr-1", "from": "13900000002", "to": "10086", "text": "你好", "coding": "0"})

    status, _body = _get(
        f"{live_server.url}/hooks/sms/kannel/mo?{query}", {"X-Kefu-Secret": "kannel-callback-test-secret"}
    )

    assert status == 200
    assert Contact.objects.get().messages.get().body == "你好"


@pytest.mark.django_db(transaction=True)
def test_a_callback_without_what_kannel_always_sends_is_refused(kannel_settings, sms_queue, live_server):
    base = f"{live_server.url}/hooks/sms/kannel/kannel-callback-test-secret"

    answers = [
        _get(f"{base}/mo?from=13900000003&text=hi"),
        _get(f"{base}/mo?id=abc&text=hi"),
        _get(f"{base}/dlr?outbox=x&ref=r&type=1"),
        _get(f"{base}/dlr?outbox=1&ref=r&type=99"),
    ]

    assert [status for status, _ in answers] == [400, 400, 400, 400]
    assert (Contact.objects.count(), InboundItem.objects.count()) == (0, 0)
