"""An agent's reply from the desk leaves on the contact's own channel: SMS, email, IM (issue 4 item 7)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kefu.accounts.models import User
from kefu.contacts import services as contacts
from kefu.contacts.models import Contact
from kefu.messaging.models import OutboundMessage
from tests.desk.conftest import signed_in

pytestmark = pytest.mark.django_db


def answered(channel: str, identity: str, agent: User, subject: str = "") -> Contact:
    contact = contacts.open_contact(channel=channel, identity=identity, subject=subject)
    contacts.mark_answered(contact, agent, timezone.now())
    return contact


def reply(agent: User, contact: Contact, body: str, client_id: str = "r-1"):  # type: ignore[no-untyped-def]
    return signed_in(agent).post(f"/agent/contacts/{contact.pk}/messages/", {"body": body, "client_id": client_id})


def test_reply_on_an_sms_contact_is_queued_as_an_sms_to_the_customers_number(alice: User) -> None:
    contact = answered("sms", "13912345678", alice)

    response = reply(alice, contact, "师傅今天下午上门")

    outbox = OutboundMessage.objects.get()
    assert response.status_code == 201
    assert (outbox.channel, outbox.address, outbox.body) == ("sms", "13912345678", "师傅今天下午上门")
    assert list(contact.messages.values_list("sender", "body")) == [("agent", "师傅今天下午上门")]


def test_a_resent_sms_reply_is_stored_and_sent_once(alice: User) -> None:
    contact = answered("sms", "13912345678", alice)

    reply(alice, contact, "师傅今天下午上门")
    again = reply(alice, contact, "师傅今天下午上门")

    assert again.status_code == 200
    assert (OutboundMessage.objects.count(), contact.messages.count()) == (1, 1)


def test_reply_on_an_email_contact_is_queued_as_an_email_in_the_customers_thread(alice: User) -> None:
    contact = answered("email", "zhangsan@example.cn", alice, subject="宽带断网")
    contacts.add_message(contact, sender="customer", body="昨天开始断网了", external_id="<c1@example.cn>")

    response = reply(alice, contact, "已为您派单")

    outbox = OutboundMessage.objects.get()
    sent = contact.messages.get(sender="agent")
    assert response.status_code == 201
    assert (outbox.channel, outbox.address, outbox.subject) == ("email", "zhangsan@example.cn", "Re: 宽带断网")
    assert outbox.headers == {
        "Message-ID": sent.external_id,
        "In-Reply-To": "<c1@example.cn>",
        "References": "<c1@example.cn>",
    }


def test_reply_on_an_im_contact_is_queued_to_the_platform_user(alice: User) -> None:
    contact = answered("im", "webhook:u-77", alice)

    reply(alice, contact, "您好")

    outbox = OutboundMessage.objects.get()
    assert (outbox.channel, outbox.headers["connector"], outbox.headers["to"]) == ("im", "webhook", "u-77")


def test_reply_on_a_web_chat_goes_to_no_outbox(alice: User) -> None:
    contact = answered("chat", "访客", alice)

    response = reply(alice, contact, "您好")

    assert response.status_code == 201
    assert OutboundMessage.objects.count() == 0
    assert contact.messages.get().body == "您好"
