"""Which transport carries an SMS, the gateway's throughput limit, and what a gateway that is
down does to the outbox row."""

from __future__ import annotations

import time

import pytest

from kefu.connectors.im.transport import ImTransport, transport_of
from kefu.connectors.im.webhook import WebhookTransport
from kefu.connectors.im.wechat import WechatTransport
from kefu.connectors.sms.kannel import KannelTransport
from kefu.connectors.sms.smpp import SmppTransport
from kefu.connectors.sms.transport import RateLimit
from kefu.messaging.backends import DevelopmentTransport, transport_for
from kefu.messaging.models import OutboundMessage
from kefu.messaging.services import deliver_queued
from tests.sms_channel.peers import free_port


@pytest.mark.django_db  # channel accounts in the admin come before the settings
def test_the_development_transport_stays_the_default(settings):
    settings.KEFU_SMS_BACKEND = "development"
    settings.KEFU_WEBHOOK_OUTBOUND_URL, settings.KEFU_WECHAT_APPID = "", ""

    assert isinstance(transport_for("sms"), DevelopmentTransport)
    assert isinstance(transport_for("im"), ImTransport)
    assert isinstance(transport_of("webhook"), DevelopmentTransport)
    assert isinstance(transport_of("wechat"), DevelopmentTransport)


@pytest.mark.django_db
def test_the_gateway_is_chosen_by_setting(settings):
    settings.KEFU_SMS_BACKEND = "kannel"
    assert isinstance(transport_for("sms"), KannelTransport)
    settings.KEFU_SMS_BACKEND = "smpp"
    assert isinstance(transport_for("sms"), SmppTransport)
    settings.KEFU_WEBHOOK_OUTBOUND_URL, settings.KEFU_WECHAT_APPID = "http://127.0.0.1:9/inbox", "wx1"
    assert isinstance(transport_of("webhook"), WebhookTransport)
    assert isinstance(transport_of("wechat"), WechatTransport)


def test_the_rate_limit_spaces_sends_evenly():
    limit = RateLimit(20)  # one every 50 ms

    began = time.monotonic()
    for _ in range(6):
        limit.wait()

    assert 0.24 <= time.monotonic() - began < 1.0


@pytest.mark.django_db
def test_a_gateway_that_is_down_leaves_the_message_queued_with_the_reason(settings):
    settings.KEFU_SMS_BACKEND, settings.KEFU_SMS_CALLBACK_SECRET = "kannel", "s3cret"
    settings.KEFU_KANNEL_SENDSMS_URL = f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms"
    message = OutboundMessage.objects.create(channel="sms", address="13812345678", body="测试")

    assert deliver_queued() == 0

    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id) == ("queued", 1, "")
    assert message.error.startswith("Kannel is not reachable")
