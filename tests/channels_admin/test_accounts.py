"""Channel accounts: credentials encrypted at rest and never shown back, changes audited, and the
connectors use the enabled account of their kind, else the KEFU_* settings."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import IntegrityError, connection, transaction
from django.test import Client

from kefu.accounts.models import User
from kefu.connectors.sms.kannel import dlr_url
from kefu.connectors.sms.transport import sms_backend
from kefu.core.models import AuditEntry
from kefu.messaging.channel_accounts import channel_config, channel_configs, save_channel_account
from kefu.messaging.models import ChannelAccount, OutboundMessage

ADMIN = "/admin/messaging/channelaccount/"


def kannel_account(by: User, *, enabled: bool = True) -> ChannelAccount:
    return save_channel_account(
        ChannelAccount(kind="kannel", name="电信短信网关", queue_code="SMS", enabled=enabled),
        by=by,
        config={"sendsms_url": "http://10.0.0.5:13013/cgi-bin/sendsms", "username": "kefu", "dlr_mask": 31},
        new_secrets={"password": "Kannel-Pass-9", "callback_secret": "acct-callback-secret"},
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_credentials_are_stored_encrypted_and_given_to_the_connector(root: User) -> None:
    account = kannel_account(root)

    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_secrets, config FROM messaging_channelaccount WHERE id = %s", [account.pk])
        stored_secrets, stored_config = cursor.fetchone()
    assert "Kannel-Pass-9" not in stored_secrets and "acct-callback-secret" not in stored_secrets
    assert "Kannel-Pass-9" not in str(stored_config)
    config = channel_config("kannel")
    assert (config.account_id, config.queue_code, config.configured) == (account.pk, "SMS", True)
    assert (config.text("username"), config.text("password"), config.number("dlr_mask")) == (
        "kefu",
        "Kannel-Pass-9",
        31,
    )
    assert config.text("sendsms_url") == "http://10.0.0.5:13013/cgi-bin/sendsms"


@pytest.mark.django_db
def test_without_an_enabled_account_the_environment_settings_apply(root: User, settings) -> None:
    settings.KEFU_KANNEL_USERNAME, settings.KEFU_KANNEL_PASSWORD = "env-user", "env-pass"
    kannel_account(root, enabled=False)

    config = channel_config("kannel")

    assert (config.account_id, config.text("username"), config.text("password")) == (None, "env-user", "env-pass")
    assert sms_backend() == settings.KEFU_SMS_BACKEND == "development"


@pytest.mark.django_db
def test_an_account_setting_left_empty_falls_back_to_the_environment(root: User, settings) -> None:
    settings.KEFU_SMS_CALLBACK_BASE_URL = "https://kefu.example.cn"
    kannel_account(root)

    message = OutboundMessage(pk=42, channel="sms", body="x")

    assert dlr_url(message, "ref-1").startswith(
        "https://kefu.example.cn/hooks/sms/kannel/acct-callback-secret/dlr?outbox=42&ref=ref-1&"
    )


@pytest.mark.django_db
def test_enabling_an_account_switches_the_connector_at_once(root: User) -> None:
    account = kannel_account(root, enabled=False)
    assert channel_config("kannel").account_id is None  # read (and cached) before the change

    account.enabled = True
    save_channel_account(account, by=root)

    assert channel_config("kannel").account_id == account.pk
    assert sms_backend() == "kannel"


@pytest.mark.django_db
def test_kannel_callbacks_are_checked_against_the_accounts_secret(root: User, settings) -> None:
    settings.KEFU_SMS_CALLBACK_SECRET = "env-secret"
    kannel_account(root)

    refused = Client().get("/hooks/sms/kannel/env-secret/mo", {"id": "k-1", "from": "13812345678", "text": "你好"})
    accepted = Client().get(
        "/hooks/sms/kannel/acct-callback-secret/mo", {"id": "k-2", "from": "13812345678", "text": "你好"}
    )

    assert (refused.status_code, accepted.status_code) == (403, 200)


@pytest.mark.django_db
def test_credentials_unreadable_with_other_keys_are_reported_not_guessed(root: User, settings) -> None:
    kannel_account(root)
    settings.KEFU_CHANNEL_SECRETS_KEYS = [Fernet.generate_key().decode()]
    from kefu.messaging.channel_accounts import forget_channel_accounts

    forget_channel_accounts()

    config = channel_config("kannel")

    assert (config.unreadable, config.configured, config.text("password")) == (True, False, "")


@pytest.mark.django_db
def test_a_rotated_key_still_reads_what_the_old_one_encrypted(root: User, settings) -> None:
    old = Fernet.generate_key().decode()
    settings.KEFU_CHANNEL_SECRETS_KEYS = [old]
    kannel_account(root)
    settings.KEFU_CHANNEL_SECRETS_KEYS = [Fernet.generate_key().decode(), old]
    from kefu.messaging.channel_accounts import forget_channel_accounts

    forget_channel_accounts()

    assert channel_config("kannel").text("password") == "Kannel-Pass-9"


@pytest.mark.django_db
def test_one_enabled_account_per_kind_but_a_mailbox_per_queue(root: User) -> None:
    kannel_account(root)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelAccount.objects.create(kind="kannel", name="第二网关", enabled=True)

    for name, queue in (("客服邮箱", "EMAIL"), ("政企邮箱", "EMAIL-ENT")):
        save_channel_account(
            ChannelAccount(kind="email-imap", name=name, queue_code=queue, enabled=True),
            by=root,
            config={"host": "imap.example.cn", "user": name},
            new_secrets={"password": "p"},
        )

    assert [(c.name, c.queue_code) for c in channel_configs("email-imap")] == [
        ("客服邮箱", "EMAIL"),
        ("政企邮箱", "EMAIL-ENT"),
    ]


# --- the admin ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_never_shows_a_stored_credential(root: User) -> None:
    account = kannel_account(root)

    page = signed_in(root).get(f"{ADMIN}{account.pk}/change/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Kannel-Pass-9" not in html and "acct-callback-secret" not in html
    assert 'type="password" name="password"' in html
    assert "已保存；留空则保持不变" in html


@pytest.mark.django_db
def test_a_password_left_empty_is_kept_and_a_new_one_is_audited_by_name_only(root: User) -> None:
    account = kannel_account(root)
    form = {
        "name": "电信短信网关",
        "queue_code": "SMS-VIP",
        "enabled": "on",
        "sendsms_url": "http://10.0.0.5:13013/cgi-bin/sendsms",
        "username": "kefu",
        "password": "",
        "callback_secret": "rotated-callback-secret",
    }

    response = signed_in(root).post(f"{ADMIN}{account.pk}/change/", form)

    assert response.status_code == 302
    config = channel_config("kannel")
    assert (config.text("password"), config.text("callback_secret"), config.queue_code) == (
        "Kannel-Pass-9",
        "rotated-callback-secret",
        "SMS-VIP",
    )
    entry = AuditEntry.objects.filter(action="channel_account.changed").get()
    assert entry.actor == root
    assert entry.changes["credentials"] == ["callback_secret"]
    assert entry.changes["queue_code"] == ["SMS", "SMS-VIP"]
    assert "rotated-callback-secret" not in str(entry.changes)


@pytest.mark.django_db
def test_an_account_cannot_be_enabled_without_what_its_kind_requires(root: User) -> None:
    account = save_channel_account(ChannelAccount(kind="webhook", name="小程序客服"), by=root)

    response = signed_in(root).post(f"{ADMIN}{account.pk}/change/", {"name": "小程序客服", "enabled": "on"})

    assert response.status_code == 200  # the form again, with the error
    assert "启用的账号必须填写此项" in response.content.decode()
    account.refresh_from_db()
    assert (account.enabled, account.encrypted_secrets) == (False, "")


@pytest.mark.django_db
def test_adding_an_account_starts_disabled_and_continues_to_its_settings(root: User) -> None:
    response = signed_in(root).post(f"{ADMIN}add/", {"kind": "wechat", "name": "营业厅公众号", "queue_code": "IM"})

    account = ChannelAccount.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{ADMIN}{account.pk}/change/"
    assert (account.kind, account.enabled) == ("wechat", False)
    assert AuditEntry.objects.filter(action="channel_account.created", object_id=str(account.pk)).count() == 1


@pytest.mark.django_db
def test_agents_cannot_open_the_channel_accounts(alice: User, root: User) -> None:
    account = kannel_account(root)

    assert signed_in(alice).get(f"{ADMIN}{account.pk}/change/").status_code == 302  # to the admin login
    assert signed_in(alice).post(f"{ADMIN}{account.pk}/delete/", {"post": "yes"}).status_code == 302
    assert ChannelAccount.objects.filter(pk=account.pk).exists()
