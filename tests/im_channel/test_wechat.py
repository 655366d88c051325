# ruff: noqa: S310, S314, S324 — the tests drive peer processes they started on 127.0.0.1 (http, WeChat's sha1, its XML)
"""A WeChat Official Account against a WeChat-servers process: server verification, signed XML
messages in (MsgId once), the passive XML reply, and agents' replies through the
customer-service message API with its access token."""

from __future__ import annotations

import hashlib
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree

import pytest

from kefu.connectors.im.outbound import reply_by_im
from kefu.connectors.im.wechat import WechatMessage, parse_message
from kefu.contacts.models import Contact, InboundItem
from kefu.messaging.models import OutboundMessage
from kefu.messaging.services import deliver_queued
from kefu.routing import services as acd
from kefu.routing.models import QueueEntry
from tests.im_channel.conftest import WECHAT_TOKEN
from tests.sms_channel.peers import wait_for

WELCOME = "您好，已收到您的消息，正在为您转接人工客服，请稍候。"


def text_message(content: str, msg_id: int, openid: str = "oKefuUser_8d2f") -> dict[str, object]:
    return {
        "ToUserName": "gh_kefu_account",
        "FromUserName": openid,
        "CreateTime": int(time.time()),
        "MsgType": "text",
        "Content": content,
        "MsgId": msg_id,
    }


def _xml(body: str) -> dict[str, str]:
    return {child.tag: child.text or "" for child in ElementTree.fromstring(body)}


@pytest.mark.django_db(transaction=True)
def test_server_verification_echoes_only_when_signed_with_our_token(platform):
    assert platform.verify("echo-1703") == {
        "status": 200,
        "body": "echo-1703",
        "content_type": "text/plain; charset=utf-8",
    }
    refused = platform.verify("echo-1703", token="someone-elses-token")
    assert (refused["status"], refused["body"]) == (403, "bad signature")


@pytest.mark.django_db(transaction=True)
def test_a_text_message_opens_a_contact_with_a_passive_welcome_and_the_agent_answers_by_customer_service_api(
    platform, im_queue, alice
):
    acd.set_agent_status(alice, "ready")

    (first,) = platform.push(text_message("宽带报修，网络连不上", 23877001))
    (second,) = platform.push(text_message("光猫是红灯", 23877002))

    assert (first["status"], first["content_type"]) == (200, "application/xml; charset=utf-8")
    reply = _xml(first["body"])
    assert (reply["ToUserName"], reply["FromUserName"], reply["MsgType"], reply["Content"]) == (
        "oKefuUser_8d2f",
        "gh_kefu_account",
        "text",
        WELCOME,
    )
    assert int(reply["CreateTime"]) >= int(time.time()) - 60
    assert (second["status"], second["body"]) == (200, "success")
    contact = Contact.objects.get()
    assert (contact.channel, contact.identity) == ("im", "wechat:oKefuUser_8d2f")
    assert list(contact.messages.values_list("body", flat=True)) == ["宽带报修，网络连不上", "光猫是红灯"]
    assert sorted(InboundItem.objects.values_list("provider", "provider_id")) == [
        ("im.wechat", "23877001"),
        ("im.wechat", "23877002"),
    ]

    entry = wait_for(lambda: QueueEntry.objects.filter(contact=contact, offered_to__isnull=False).first())
    contact = acd.accept_offer(alice, entry.pk)
    reply_by_im(contact, agent=alice, body="您好，请把光猫断电重启一下试试。")
    assert deliver_queued() == 1

    state = platform.state()
    assert state["wechat_sent"] == [
        {"touser": "oKefuUser_8d2f", "msgtype": "text", "text": {"content": "您好，请把光猫断电重启一下试试。"}}
    ]
    assert state["tokens_issued"] == 1
    outbox = OutboundMessage.objects.get(channel="im")
    assert (outbox.status, outbox.provider_id) == ("sent", f"wechat-{outbox.pk}")


@pytest.mark.django_db(transaction=True)
def test_the_same_msgid_delivered_twice_is_one_message(platform, im_queue):
    answers = platform.push(text_message("机顶盒黑屏", 23877101), times=2)

    assert [a["status"] for a in answers] == [200, 200]
    assert _xml(answers[0]["body"])["Content"] == WELCOME
    assert answers[1]["body"] == "success"
    assert (Contact.objects.count(), InboundItem.objects.count()) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_a_message_with_a_bad_signature_is_refused_and_changes_nothing(platform, im_queue):
    (answer,) = platform.push(text_message("伪造的消息", 23877201), token="forged-token")

    assert (answer["status"], answer["body"]) == (403, "bad signature")
    assert (Contact.objects.count(), InboundItem.objects.count()) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_an_invalidated_access_token_is_fetched_again(platform, im_queue, alice):
    acd.set_agent_status(alice, "ready")
    platform.push(text_message("在吗", 23877301))
    entry = wait_for(lambda: QueueEntry.objects.filter(offered_to__isnull=False).first())
    contact = acd.accept_offer(alice, entry.pk)
    reply_by_im(contact, agent=alice, body="在的")
    assert deliver_queued() == 1

    platform.expire_token()
    reply_by_im(contact, agent=alice, body="请问有什么可以帮您？")
    assert deliver_queued() == 1

    state = platform.state()
    assert [m["text"]["content"] for m in state["wechat_sent"]] == ["在的", "请问有什么可以帮您？"]
    assert state["tokens_issued"] == 2


@pytest.mark.django_db(transaction=True)
def test_a_subscribe_event_is_stored_and_opens_nothing(platform, im_queue):
    event = {"ToUserName": "gh_kefu_account", "FromUserName": "oNewFan", "CreateTime": 1795300000, "MsgType": "event"}

    (answer,) = platform.push({**event, "Event": "subscribe"})

    assert (answer["status"], answer["body"]) == (200, "success")
    item = InboundItem.objects.get()
    assert (item.provider_id, item.status, item.contact) == ("event:oNewFan:1795300000:subscribe", "processed", None)
    assert Contact.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_signed_bodies_that_are_not_wechat_xml_are_refused(platform, im_queue, live_server):
    timestamp, nonce = str(int(time.time())), "7781"
    signature = hashlib.sha1("".join(sorted([WECHAT_TOKEN, timestamp, nonce])).encode()).hexdigest()
    url = f"{live_server.url}/hooks/im/wechat/?" + urllib.parse.urlencode(
        {"signature": signature, "timestamp": timestamp, "nonce": nonce}
    )
    bodies = [
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>',
        b"not xml at all",
        b"<xml><MsgType>text</MsgType></xml>",
    ]
    statuses = []
    for body in bodies:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=10)
        statuses.append(refused.value.code)

    assert statuses == [400, 400, 400]
    assert (Contact.objects.count(), InboundItem.objects.count()) == (0, 0)


def test_other_message_types_read_as_text_for_the_agent():
    image = parse_message(
        b"<xml><ToUserName><![CDATA[gh_a]]></ToUserName><FromUserName><![CDATA[oU]]></FromUserName>"
        b"<CreateTime>1</CreateTime><MsgType><![CDATA[image]]></MsgType>"
        b"<PicUrl><![CDATA[http://mmbiz.example/p.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId>"
        b"<MsgId>42</MsgId></xml>"
    )
    location = WechatMessage("gh_a", "oU", "1", "location", {"Location_X": "32.06", "Location_Y": "118.79",
                                                             "Label": "南京市鼓楼区", "MsgId": "43"})  # fmt: skip

    assert (image.provider_id, image.text) == ("42", "[图片] http://mmbiz.example/p.jpg")
    assert location.text == "[位置] 南京市鼓楼区 (32.06, 118.79)"
