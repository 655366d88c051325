"""What one customer's SMS costs: the sender's open conversation read by a statement written once,
the SMS queue kept per process, and the statements of a first and a next SMS."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.accounts.models import Skill
from kefu.connectors.sms import inbound
from kefu.contacts import services as contacts
from kefu.contacts.choices import ContactStatus
from kefu.contacts.models import Contact
from kefu.core.errors import BusinessRuleError
from kefu.routing.models import Queue


def _sms_contact(identity: str, status: str, minutes_ago: int) -> Contact:
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    contact = contacts.open_contact(channel="sms", identity=identity, at=at)
    Contact.objects.filter(pk=contact.pk).update(status=status)
    return contact


@pytest.mark.django_db
def test_the_open_conversation_is_what_the_orm_finds_and_loads_alike() -> None:
    _sms_contact("13800000001", ContactStatus.ENDED, 1)  # newest, but finished
    wanted = _sms_contact("13800000001", ContactStatus.ACTIVE, 5)
    _sms_contact("13800000001", ContactStatus.QUEUED, 9)
    _sms_contact("13800000002", ContactStatus.QUEUED, 0)  # another number
    contacts.open_contact(channel="chat", identity="13800000001")  # another channel

    found = inbound.ongoing_contact("13800000001")
    expected = (
        Contact.objects.filter(channel="sms", identity="13800000001")
        .exclude(status__in=inbound.FINISHED)
        .order_by("-created_at", "-id")
        .first()
    )

    assert found is not None and expected is not None and found.pk == wanted.pk == expected.pk
    names = [field.attname for field in Contact._meta.concrete_fields]
    assert [getattr(found, name) for name in names] == [getattr(expected, name) for name in names]
    assert not found._state.adding and found._state.db == "default"
    assert inbound.ongoing_contact("13800000003") is None


@pytest.fixture
def sms_skill(db) -> Skill:  # type: ignore[no-untyped-def]
    return Skill.objects.create(code="SMSQ", name="短信客服")


@pytest.mark.django_db
def test_the_sms_queue_is_kept_and_forgotten_when_a_queue_changes(settings, sms_skill: Skill) -> None:
    settings.KEFU_SMS_QUEUE = "SMS"
    with pytest.raises(BusinessRuleError) as refused:
        inbound.sms_queue()
    assert refused.value.code == "no_sms_queue"
    other = Queue.objects.create(code="SMS-2", name="短信二", channels=["sms"], skill=sms_skill)
    assert inbound.sms_queue().pk == other.pk  # the first taking SMS, until the named one exists
    named = Queue.objects.create(code="SMS", name="短信", channels=["sms"], skill=sms_skill)
    assert inbound.sms_queue().pk == named.pk
    named.channels = ["chat"]
    named.save()
    assert inbound.sms_queue().pk == other.pk


@pytest.mark.django_db(transaction=True)
def test_a_first_sms_and_a_next_one_cost_few_statements(sms_skill: Skill) -> None:
    Queue.objects.create(code="SMS", name="短信", channels=["sms"], skill=sms_skill)
    inbound.receive_sms("kannel", provider_id="warm", sender="13900000000", recipient="10086", text="你好")
    inbound.sms_queue()  # read outside a transaction: kept from now on (see core.snapshots)

    def statements(provider_id: str, text: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            delivery = inbound.receive_sms(
                "kannel", provider_id=provider_id, sender="+8613800000001", recipient="10086", text=text
            )
        assert delivery.delivered
        words = [query["sql"].split()[0] for query in captured.captured_queries]
        return words[: words.index("COMMIT") + 1]  # the SMS's transaction; routing tries an agent after it

    first = statements("k-1", "宽带断网了")
    following = statements("k-2", "麻烦尽快派人来修")
    repeated = statements("k-2", "麻烦尽快派人来修")

    # item, open conversation?, customer, contact, queue entry, decision, message, item's contact
    # (the SMS queue is already known); then item, open conversation, message, item's contact.
    assert [s for s in first if s not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")] == [
        "INSERT", "SELECT", "SELECT", "INSERT", "INSERT", "INSERT", "INSERT", "UPDATE",
    ]  # fmt: skip
    assert following == ["BEGIN", "INSERT", "SELECT", "INSERT", "UPDATE", "COMMIT"]
    assert repeated == ["BEGIN", "INSERT", "SELECT", "COMMIT"]
    contact = Contact.objects.get(identity="13800000001")
    assert contact.status == ContactStatus.QUEUED
    assert [m.body for m in contact.messages.order_by("id")] == ["宽带断网了", "麻烦尽快派人来修"]
