"""A customer's mail becomes a contact, the agent's reply arrives threaded at the customer's
side, and the customer's answer joins the same contact — over real SMTP (aiosmtpd) both ways."""

from __future__ import annotations

import smtplib
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from kefu.accounts.models import AgentSkill
from kefu.connectors.email import server
from kefu.connectors.email.outbound import reply_by_email
from kefu.contacts.models import Contact, InboundItem
from kefu.messaging.services import deliver_queued
from kefu.routing import services as acd
from kefu.routing.models import Queue, QueueEntry


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Smarthost:
    """The operator's outgoing relay: keeps what it is asked to deliver."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def receiver(transactional_db):
    port = free_port()
    controller = server.start("127.0.0.1", port)
    yield port
    controller.stop()


@pytest.fixture
def smarthost(settings):
    handler = Smarthost()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.KEFU_SMTP_HOST, settings.KEFU_SMTP_PORT = "127.0.0.1", port
    yield handler
    controller.stop()


@pytest.fixture
def email_queue(transactional_db, broadband, alice):
    AgentSkill.objects.create(agent=alice, skill=broadband, level=3)
    return Queue.objects.create(code="EMAIL", name="邮件", channels=["email"], skill=broadband)


def customer_mail(subject: str, body: str, message_id: str, in_reply_to: str = "") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "张三 <zhangsan@example.cn>"
    mail["To"] = "service@kefu.example.cn"
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    mail.set_content(body)
    return mail


def send(port: int, mail: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(mail)


@pytest.fixture
def broadband(transactional_db):
    from kefu.accounts.models import Skill

    return Skill.objects.create(code="BB", name="宽带")


@pytest.mark.django_db(transaction=True)
def test_mail_round_trip_threads_both_ways(receiver, smarthost, email_queue, alice, zhang):
    zhang.email = "zhangsan@example.cn"
    zhang.save()
    acd.set_agent_status(alice, "ready")

    send(receiver, customer_mail("宽带断网", "昨天开始断网了", "<c1@example.cn>"))

    contact = Contact.objects.get()
    assert (contact.channel, contact.customer, contact.subject) == ("email", zhang, "宽带断网")
    entry = QueueEntry.objects.get(contact=contact)
    assert (entry.queue, entry.offered_to) == (email_queue, alice)
    acd.accept_offer(alice, entry.pk)
    contact.refresh_from_db()

    reply = reply_by_email(contact, agent=alice, body="已为您派单，师傅今天下午上门。")
    assert deliver_queued() == 1

    delivered = smarthost.received[-1]
    assert delivered["Subject"] == "Re: 宽带断网"
    assert delivered["In-Reply-To"] == "<c1@example.cn>"
    assert delivered["Message-ID"] == reply.external_id
    assert delivered["To"] == "zhangsan@example.cn"
    assert "已为您派单" in delivered.get_content()

    send(receiver, customer_mail("Re: 宽带断网", "好的，谢谢", "<c2@example.cn>", in_reply_to=reply.external_id))

    assert Contact.objects.count() == 1
    assert list(contact.messages.values_list("sender", "body")) == [
        ("customer", "昨天开始断网了"),
        ("agent", "已为您派单，师傅今天下午上门。"),
        ("customer", "好的，谢谢"),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_same_mail_delivered_twice_makes_one_contact(receiver, email_queue):
    mail = customer_mail("机顶盒", "黑屏", "<dup@example.cn>")

    send(receiver, mail)
    send(receiver, mail)

    assert Contact.objects.count() == 1
    assert InboundItem.objects.filter(provider="email").count() == 1


@pytest.mark.django_db(transaction=True)
def test_auto_reply_is_stored_but_makes_no_contact(receiver, email_queue):
    mail = customer_mail("自动回复：休假中", "我正在休假", "<auto@example.cn>")
    mail["Auto-Submitted"] = "auto-replied"

    send(receiver, mail)

    assert Contact.objects.count() == 0
    assert InboundItem.objects.get().status == "processed"


@pytest.mark.django_db(transaction=True)
def test_malformed_mail_is_dead_lettered_and_nothing_else_changes(receiver, email_queue):
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        client.sendmail("x@example.cn", ["service@kefu.example.cn"], b"Subject: no sender\r\n\r\nbody")

    item = InboundItem.objects.get()
    assert (item.status, Contact.objects.count(), QueueEntry.objects.count()) == ("dead", 0, 0)
    assert "MalformedMail" in item.error
