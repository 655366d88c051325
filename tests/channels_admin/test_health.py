"""Connector health on the supervisor's wall: configured or not, last in and out, last error,
dead letters and the outbox backlog — red when a connector is failing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kefu.accounts.models import User
from kefu.connectors.sms.inbound import receive_sms
from kefu.messaging.channel_accounts import save_channel_account
from kefu.messaging.models import ChannelAccount, OutboundMessage
from kefu.reporting.channels import connector_health


def outbox(channel: str, status: str, *, connector: str = "", error: str = "", sent_minutes_ago: int = 0):
    sent_at = timezone.now() - dt.timedelta(minutes=sent_minutes_ago) if status in ("sent", "delivered") else None
    return OutboundMessage.objects.create(
        channel=channel,
        address="x",
        body="b",
        status=status,
        error=error,
        sent_at=sent_at,
        headers={"connector": connector} if connector else {},
    )


def by_kind(now: dt.datetime | None = None):
    return {row.kind: row for row in connector_health(now, fresh=True)}


@pytest.mark.django_db
def test_nothing_configured_and_nothing_happened_is_quiet(settings) -> None:
    health = by_kind()

    assert list(health) == ["email-smtp", "email-imap", "kannel", "smpp", "webhook", "wechat"]
    assert [(row.configured, row.failing, row.dead_letters, row.outbox_pending) for row in health.values()] == [
        (False, False, 0, 0)
    ] * 6
    assert health["kannel"].configured is False and settings.KEFU_SMS_CALLBACK_SECRET == ""


@pytest.mark.django_db
def test_a_gateway_with_dead_letters_and_failed_sends_is_failing(sara: User) -> None:
    save_channel_account(
        ChannelAccount(kind="kannel", name="短信网关", enabled=True),
        by=sara,
        config={"sendsms_url": "http://127.0.0.1:13013/cgi-bin/sendsms", "username": "kefu"},
        new_secrets={"callback_secret": "s"},
    )
    receive_sms("kannel", provider_id="k-1", sender="13812345678", recipient="10086", text="在吗")  # no SMS queue: dead
    outbox("sms", "queued", error="Kannel is not reachable: [Errno 111] Connection refused")
    outbox("sms", "failed", error="Kannel did not accept the message: 3: Queued")
    outbox("sms", "sent", sent_minutes_ago=90)
    outbox("im", "queued", connector="wechat")
    outbox("email", "sent", sent_minutes_ago=5)

    health = by_kind()

    kannel = health["kannel"]
    assert (kannel.configured, kannel.from_account, kannel.failing) == (True, True, True)
    assert (kannel.dead_letters, kannel.outbox_pending, kannel.outbox_failed) == (1, 1, 1)
    assert kannel.last_received_at is not None and kannel.last_sent_at is not None
    assert kannel.last_error == "Kannel did not accept the message: 3: Queued"  # the newest of the three errors
    assert health["smpp"].outbox_pending == 0  # SMS goes through Kannel: the outbox rows are its
    assert (health["wechat"].outbox_pending, health["webhook"].outbox_pending) == (1, 0)
    assert health["email-smtp"].last_sent_at is not None and not health["email-smtp"].failing


@pytest.mark.django_db
def test_a_mailbox_whose_last_poll_failed_is_failing_until_a_poll_succeeds(sara: User) -> None:
    account = save_channel_account(
        ChannelAccount(kind="email-imap", name="客服邮箱", enabled=True),
        by=sara,
        config={"host": "imap.example.cn", "user": "service"},
        new_secrets={"password": "p"},
    )
    failed_at = timezone.now() - dt.timedelta(minutes=2)
    ChannelAccount.objects.filter(pk=account.pk).update(last_error="LOGIN failed", last_error_at=failed_at)
    assert by_kind()["email-imap"].failing

    ChannelAccount.objects.filter(pk=account.pk).update(last_success_at=timezone.now())

    row = by_kind()["email-imap"]
    assert (row.failing, row.last_error, row.last_error_at) == (False, "LOGIN failed", failed_at)


@pytest.mark.django_db
def test_the_wall_shows_the_connectors_and_marks_the_failing_one_red(sara: User) -> None:
    receive_sms("kannel", provider_id="k-2", sender="13812345678", recipient="10086", text="在吗")
    client = Client()
    client.force_login(sara)

    html = client.get("/supervisor/wall/").content.decode()

    assert 'id="wall-connectors"' in html
    assert 'data-connector="kannel" data-failing="true"' in html
    assert 'data-connector="email-smtp">' in html  # quiet: not red
    assert 'href="/supervisor/dead-letters/">1</a>' in html
