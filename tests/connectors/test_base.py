"""The channel boundary: any adapter stores a delivery first and processes it once."""

from __future__ import annotations

import pytest

from kefu.connectors.base import ChannelAdapter, Inbound
from kefu.contacts import queries as contact_queries
from kefu.contacts.models import Contact, InboundItem, Message
from kefu.core.errors import BusinessRuleError
from kefu.routing.models import Queue


class SmsAdapter(ChannelAdapter):
    """A two-way SMS gateway in miniature: one conversation per phone number."""

    provider = "test-sms"
    channel = "sms"
    sent: list[str]

    def __init__(self, queue: Queue, *, fail_first: int = 0) -> None:
        self.queue = queue
        self.failures_left = fail_first
        self.sent = []

    def open_contact_for(self, inbound: Inbound) -> Contact:
        if self.failures_left:
            self.failures_left -= 1
            raise BusinessRuleError("gateway hiccup", code="test")
        contact = Contact.objects.filter(channel="sms", identity=inbound.identity, ended_at__isnull=True).first()
        return contact or self.start_contact(inbound, self.queue)

    def send(self, contact: Contact, message: Message) -> str:
        self.sent.append(message.body)
        return f"sms-{message.pk}"


@pytest.fixture
def sms_queue(broadband) -> Queue:
    return Queue.objects.create(code="SMS", name="短信", channels=["sms"], skill=broadband)


def sms(provider_id: str, body: str) -> Inbound:
    return Inbound(provider_id=provider_id, body=body, identity="13812345678")


@pytest.mark.django_db
def test_a_repeated_delivery_is_a_no_op(sms_queue: Queue) -> None:
    adapter = SmsAdapter(sms_queue)

    first = adapter.deliver(sms("gw-1", "查话费"))
    again = adapter.deliver(sms("gw-1", "查话费"))

    assert (first.is_new, again.is_new) == (True, False)
    assert first.delivered and again.delivered
    assert first.contact == again.contact
    assert Contact.objects.count() == 1
    assert [m.body for m in contact_queries.transcript(first.contact)] == ["查话费"]  # type: ignore[arg-type]


@pytest.mark.django_db
def test_messages_of_one_conversation_join_its_contact(sms_queue: Queue) -> None:
    adapter = SmsAdapter(sms_queue)

    first = adapter.deliver(sms("gw-1", "查话费"))
    second = adapter.deliver(sms("gw-2", "还有流量吗"))

    assert first.contact == second.contact
    assert Message.objects.filter(contact=first.contact).count() == 2
    assert first.contact is not None and first.contact.queue_code == "SMS"


@pytest.mark.django_db
def test_a_failed_delivery_is_kept_and_processed_when_repeated(sms_queue: Queue) -> None:
    adapter = SmsAdapter(sms_queue, fail_first=1)

    failed = adapter.deliver(sms("gw-9", "宽带报修"))
    retried = adapter.deliver(sms("gw-9", "宽带报修"))

    assert (failed.delivered, failed.refusal, failed.contact) == (False, "gateway hiccup", None)
    assert retried.delivered and retried.contact is not None
    item = InboundItem.objects.get(provider="test-sms", provider_id="gw-9")
    assert (item.status, item.attempts, item.contact) == ("processed", 2, retried.contact)


@pytest.mark.django_db
def test_an_agent_reply_goes_out_through_the_adapter(sms_queue: Queue, alice) -> None:
    from kefu.contacts import services as contacts

    adapter = SmsAdapter(sms_queue)
    contact = adapter.deliver(sms("gw-1", "查话费")).contact
    assert contact is not None
    message, _created = contacts.add_message(contact, sender="agent", body="您的余额为 58.20 元", author=alice)

    provider_id = adapter.send(contact, message)

    assert (provider_id, adapter.sent) == (f"sms-{message.pk}", ["您的余额为 58.20 元"])
