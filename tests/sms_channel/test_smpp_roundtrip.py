# ruff: noqa: S603 — the tests drive peer processes they started on 127.0.0.1
"""SMS over SMPP against a real SMSC peer (the simulator in smsc_sim.py, its own process):
Kefu binds as a transceiver, customers' SMS arrive as deliver_sm, replies leave as submit_sm —
long Chinese text in UCS-2 segments with the concatenation UDH — and receipts move the outbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kefu.connectors.sms.outbound import reply_by_sms
from kefu.connectors.sms.smpp import ESME_RX_T_APPN, SmppConfig, SmppSession
from kefu.connectors.sms.transport import SmsGatewayError
from kefu.contacts.models import Contact, InboundItem
from kefu.messaging.models import OutboundMessage
from kefu.messaging.services import deliver_queued
from kefu.routing import services as acd
from kefu.routing.models import QueueEntry
from tests.sms_channel.peers import stop, wait_for

LONG_REPLY = (
    "您好，您反映的宽带故障已受理，工单号GD20261122000001。维修师傅将于今天下午两点到四点之间上门检修，"
    "请保持电话畅通。上门前师傅会提前与您联系确认地址。如需改约时间，请直接回复本短信或拨打客服热线，"
    "我们将竭诚为您服务。感谢您的耐心等待！"
)


def _processed(provider: str) -> int:
    return InboundItem.objects.filter(provider=provider, status="processed").count()


def _answered_contact(alice, sms_queue) -> Contact:
    contact = wait_for(lambda: Contact.objects.filter(channel="sms").first(), what="the SMS contact")
    entry = wait_for(
        lambda: QueueEntry.objects.filter(contact=contact, offered_to__isnull=False).first(), what="the offer"
    )
    return acd.accept_offer(alice, entry.pk)


@pytest.mark.django_db(transaction=True)
def test_customer_sms_becomes_a_contact_and_the_long_chinese_reply_goes_out_in_ucs2_segments_with_a_receipt(
    smsc, smpp_gateway, sms_queue, alice, zhang
):
    acd.set_agent_status(alice, "ready")
    wait_for(lambda: smpp_gateway.bound, what="the bind")

    smsc.customer_sms("8613812345678", "10086", "宽带断了，光猫红灯一直闪")

    contact = _answered_contact(alice, sms_queue)
    assert (contact.identity, contact.customer) == ("13812345678", zhang)
    assert list(contact.messages.values_list("sender", "body")) == [("customer", "宽带断了，光猫红灯一直闪")]

    reply_by_sms(contact, agent=alice, body=LONG_REPLY)
    assert deliver_queued() == 1

    submitted = smsc.state()["submitted"]
    assert len(LONG_REPLY) == 124 and len(submitted) == 2  # 67 + 57 characters
    assert [(s["data_coding"], s["esm_class"], s["registered_delivery"]) for s in submitted] == [
        (8, 0x40, 0),
        (8, 0x40, 1),
    ]
    assert {(s["source_addr"], s["destination_addr"]) for s in submitted} == {("10086", "13812345678")}
    payloads = [bytes.fromhex(s["short_message"]) for s in submitted]
    assert [p[:3] for p in payloads] == [b"\x05\x00\x03", b"\x05\x00\x03"]
    assert payloads[0][3] == payloads[1][3]  # one concatenation reference
    assert [(p[4], p[5]) for p in payloads] == [(2, 1), (2, 2)]
    assert b"".join(p[6:] for p in payloads).decode("utf-16-be") == LONG_REPLY
    assert len(payloads[0]) == 6 + 134

    outbox = OutboundMessage.objects.get(channel="sms")
    wait_for(lambda: _processed("sms.smpp.dlr") == 1, what="the receipt")
    outbox.refresh_from_db()
    assert (outbox.status, outbox.provider_id) == ("delivered", submitted[-1]["message_id"])
    acks = smsc.state()["acks"]  # read once: the SMSC may get another ack meanwhile
    assert acks and acks == [{"sequence": a["sequence"], "status": 0} for a in acks]


@pytest.mark.django_db(transaction=True)
def test_a_long_customer_sms_in_segments_becomes_one_message(smsc, smpp_gateway, sms_queue):
    wait_for(lambda: smpp_gateway.bound, what="the bind")
    text = "我家的有线电视从昨天晚上开始就没有信号了，" * 5

    assert smsc.customer_sms("13812345678", "10086", text) == 2

    wait_for(lambda: _processed("sms.smpp") == 1, what="the SMS")
    assert Contact.objects.get().messages.get().body == text.strip()


@pytest.mark.django_db(transaction=True)
def test_the_same_deliver_sm_twice_makes_one_contact(smsc, smpp_gateway, sms_queue):
    wait_for(lambda: smpp_gateway.bound, what="the bind")

    smsc.customer_sms("13812345678", "10086", "机顶盒黑屏", repeat=2)

    wait_for(lambda: len(smsc.state()["acks"]) == 2, what="both answers")
    assert [a["status"] for a in smsc.state()["acks"]] == [0, 0]
    assert (Contact.objects.count(), InboundItem.objects.filter(provider="sms.smpp").count()) == (1, 1)
    assert Contact.objects.get().messages.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_undeliverable_reply_is_recorded_as_failed(smsc, smpp_gateway, sms_queue, alice):
    acd.set_agent_status(alice, "ready")
    wait_for(lambda: smpp_gateway.bound, what="the bind")
    smsc.customer_sms("13900001234", "10086", "hello")
    contact = _answered_contact(alice, sms_queue)

    reply_by_sms(contact, agent=alice, body="Your order is on its way.")
    assert deliver_queued() == 1

    (submitted,) = smsc.state()["submitted"]
    assert (submitted["data_coding"], submitted["esm_class"]) == (0, 0)  # GSM 7-bit, one SMS
    assert bytes.fromhex(submitted["short_message"]) == b"Your order is on its way."
    wait_for(lambda: _processed("sms.smpp.dlr") == 1, what="the receipt")
    outbox = OutboundMessage.objects.get(channel="sms")
    assert (outbox.status, outbox.error) == ("failed", "delivery failed: UNDELIV err:001")


@pytest.mark.django_db(transaction=True)
def test_a_receipt_for_an_unknown_message_is_answered_with_a_temporary_error_and_changes_nothing(
    smsc, smpp_gateway, sms_queue
):
    wait_for(lambda: smpp_gateway.bound, what="the bind")

    smsc.receipt("ABCDEF01")

    wait_for(lambda: smsc.state()["acks"], what="the answer")
    assert [a["status"] for a in smsc.state()["acks"]] == [ESME_RX_T_APPN]
    item = InboundItem.objects.get()
    assert (item.provider, item.provider_id, item.status) == ("sms.smpp.dlr", "ABCDEF01:DELIVRD", "dead")
    assert (Contact.objects.count(), OutboundMessage.objects.count()) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_the_gateway_binds_again_after_the_connection_drops(smsc, smpp_gateway, sms_queue, alice):
    wait_for(lambda: smsc.state()["bound"] == 1, what="the first bind")

    assert smsc.drop() == 1

    wait_for(lambda: smsc.state()["binds"] == 2 and smsc.state()["bound"] == 1, what="the second bind")
    smsc.customer_sms("13812345678", "10086", "还在吗")
    wait_for(lambda: _processed("sms.smpp") == 1, what="the SMS after the reconnection")


@pytest.mark.django_db(transaction=True)
def test_sending_rebinds_a_dropped_session_on_its_own(smsc, smpp_settings, sms_queue, alice):
    session = SmppSession(SmppConfig.from_settings())
    try:
        session.submit("13812345678", "first")
        smsc.drop()
        wait_for(lambda: not session.bound, what="the drop to be noticed")

        session.submit("13812345678", "second")

        assert [bytes.fromhex(s["short_message"]) for s in smsc.state()["submitted"]] == [b"first", b"second"]
        assert smsc.state()["binds"] == 2
    finally:
        session.close()


def test_a_bind_with_a_wrong_password_is_refused(smsc):
    session = SmppSession(SmppConfig("127.0.0.1", smsc.port, smsc.system_id, "wrong"))

    with pytest.raises(SmsGatewayError, match="bind"):
        session.connect()

    assert not session.bound


def test_kefu_smpp_holds_the_bind_until_stopped(smsc, tmp_path):
    env = {
        **os.environ,
        "KEFU_SMS_BACKEND": "smpp",
        "KEFU_SMPP_HOST": "127.0.0.1",
        "KEFU_SMPP_PORT": str(smsc.port),
        "KEFU_SMPP_SYSTEM_ID": smsc.system_id,
        "KEFU_SMPP_PASSWORD": smsc.password,
    }
    kefu = Path(sys.executable).with_name("kefu")
    log = (tmp_path / "kefu-smpp.log").open("wb")
    process = subprocess.Popen([str(kefu), "smpp"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: smsc.state()["bound"] == 1, timeout=30, what="kefu smpp to bind")
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        wait_for(lambda: smsc.state()["bound"] == 0, what="the unbind")
    finally:
        stop(process)
