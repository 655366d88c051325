"""SMS keywords: "CX" / "查询" from a customer's number is answered with the balance, once, without a
contact; anything else still reaches an agent; a configured keyword runs its own handler."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kefu.accounts.models import Skill
from kefu.bss.models import BillingAccount
from kefu.connectors.base import Inbound
from kefu.connectors.sms.inbound import receive_sms
from kefu.contacts.models import Contact, InboundItem
from kefu.customers.models import Customer
from kefu.messaging.models import OutboundMessage
from kefu.routing.models import Queue


def shout(sms: Inbound, customer: Customer | None) -> str:
    return f"收到：{sms.body}"


def sms(text: str, provider_id: str = "k-1", sender: str = "13812345678"):
    return receive_sms("kannel", provider_id=provider_id, sender=sender, recipient="10086", text=text)


@pytest.fixture
def sms_queue(db: None) -> Queue:
    return Queue.objects.create(
        code="SMS", name="短信", channels=["sms"], skill=Skill.objects.create(code="S", name="短信")
    )


@pytest.mark.django_db
def test_cx_from_a_customers_number_is_answered_with_the_balance_once(zhang: Customer, sms_queue: Queue) -> None:
    BillingAccount.objects.filter(customer=zhang).delete()
    BillingAccount.objects.create(
        number="ZH-001", customer=zhang, available=Decimal("58.30"), credit_limit=Decimal("50")
    )

    first = sms(" cx ")
    again = sms(" cx ")  # the gateway repeats it

    assert (first.is_new, again.is_new, first.contact) == (True, False, None)
    assert Contact.objects.count() == 0
    item = InboundItem.objects.get()
    assert (item.status, item.payload["keyword"]) == ("processed", "CX")
    reply = OutboundMessage.objects.get()
    assert (reply.channel, reply.address) == ("sms", "13812345678")
    assert reply.body == "张三丰您好，您的账户余额58.30元，可用额度108.30元。"


@pytest.mark.django_db
def test_cx_from_an_unknown_number_says_so(sms_queue: Queue) -> None:
    sms("查询", sender="13900001111")

    assert OutboundMessage.objects.get().body == "未查到本号码登记的客户。如需人工服务，请直接回复您的问题。"
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_a_sentence_with_the_keyword_in_it_still_reaches_an_agent(zhang: Customer, sms_queue: Queue) -> None:
    sms("CX 是什么意思")

    assert Contact.objects.get().identity == "13812345678"
    assert OutboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_a_configured_keyword_runs_its_handler(settings, sms_queue: Queue) -> None:
    settings.KEFU_SMS_KEYWORD_HANDLERS = ["HI=tests.channels_admin.test_sms_keywords.shout"]

    sms("hi")

    assert OutboundMessage.objects.get().body == "收到：hi"
    assert Contact.objects.count() == 0
