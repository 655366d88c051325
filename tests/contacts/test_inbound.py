"""Store-first inbound items (ARCHITECTURE §4): one transaction when processing succeeds, a dead
letter of its own when it fails, a repeat that finds the stored item; and caller identification."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.contacts import services as contacts
from kefu.contacts.choices import InboundStatus
from kefu.contacts.models import Contact, InboundItem
from kefu.customers.models import ContactNumber, Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _contact(identity: str = "13800000001") -> Contact:
    return contacts.open_contact(channel="sms", identity=identity)


def test_a_processed_item_is_stored_with_its_contact_in_one_transaction() -> None:
    calls: list[int] = []

    def process(item: InboundItem) -> Contact:
        calls.append(item.pk)
        return _contact()

    with CaptureQueriesContext(connection) as captured:
        item, created = contacts.receive_inbound(
            provider="test", provider_id=" p-1 ", payload={"a": 1}, process=process
        )

    assert created and calls == [item.pk]
    stored = InboundItem.objects.get()
    assert (stored.provider_id, stored.status, stored.attempts, stored.error) == ("p-1", InboundStatus.PROCESSED, 1, "")
    assert stored.contact == item.contact and stored.processed_at is not None
    # its own transaction (a savepoint only because the test runs in one) and none inside it
    assert len([q for q in captured.captured_queries if q["sql"].startswith("SAVEPOINT")]) == 1


def test_a_repeat_finds_the_stored_item_with_its_contact_and_processes_nothing() -> None:
    first, _ = contacts.receive_inbound(provider="test", provider_id="p-1", payload={}, process=lambda item: _contact())
    calls: list[InboundItem] = []

    with CaptureQueriesContext(connection) as captured:
        again, created = contacts.receive_inbound(provider="test", provider_id="p-1", payload={}, process=calls.append)
        assert again.contact == first.contact  # read with the item: no query of its own

    assert not created and calls == [] and again.pk == first.pk
    assert len([q for q in captured.captured_queries if q["sql"].startswith(("SELECT", "INSERT"))]) == 2


def test_a_failed_item_is_a_dead_letter_and_what_processing_wrote_is_rolled_back() -> None:
    def process(item: InboundItem) -> Contact:
        _contact("13800000002")
        raise ValueError("no queue")

    item, created = contacts.receive_inbound(provider="test", provider_id="p-2", payload={"b": 2}, process=process)

    assert created
    stored = InboundItem.objects.get()
    assert stored.pk == item.pk
    assert (stored.status, stored.attempts, stored.error) == (InboundStatus.DEAD, 1, "ValueError: no queue")
    assert (stored.payload, stored.contact, stored.processed_at) == ({"b": 2}, None, None)
    assert not Contact.objects.exists()


def test_a_dead_letter_processed_again_is_processed_once() -> None:
    def failing(item: InboundItem) -> Contact:
        raise ValueError("not yet")

    item, _ = contacts.receive_inbound(provider="test", provider_id="p-3", payload={}, process=failing)
    contacts.process_item(item, lambda stored: _contact())

    stored = InboundItem.objects.get()
    assert (stored.status, stored.attempts, stored.error) == (InboundStatus.PROCESSED, 2, "")
    assert stored.contact is not None


def test_an_item_processed_into_no_contact_is_processed() -> None:
    item, _ = contacts.receive_inbound(provider="test", provider_id="p-4", payload={}, process=lambda item: None)

    assert InboundItem.objects.get().status == InboundStatus.PROCESSED and item.contact is None


def test_inside_the_callers_transaction_a_failure_keeps_the_callers_work() -> None:
    from django.db import transaction

    with transaction.atomic():
        kept = _contact("13800000009")

        def process(item: InboundItem) -> Contact:
            raise ValueError("bad")

        contacts.receive_inbound(provider="test", provider_id="p-5", payload={}, process=process)

    assert Contact.objects.get() == kept
    assert InboundItem.objects.get().status == InboundStatus.DEAD


def test_the_caller_is_identified_by_a_number_only_one_customer_holds(zhang: Customer, wang: Customer) -> None:
    assert contacts.identify_customer("13812345678") == zhang
    assert contacts.identify_customer("+86 138 1234 5678") == zhang
    assert contacts.identify_customer("13987654321") == wang
    assert contacts.identify_customer("13700000000") is None
    found = contacts.identify_customer("13812345678")
    assert found is not None and (found.name, found.service_area_id, found.created_at) == (
        zhang.name,
        zhang.service_area_id,
        Customer.objects.get(pk=zhang.pk).created_at,
    )


def test_a_number_two_customers_share_identifies_nobody(zhang: Customer, areas) -> None:  # type: ignore[no-untyped-def]
    other = CustomerFactory(service_area=areas.gulou_01)
    ContactNumber.objects.create(customer=other, number="13812345678")

    assert contacts.identify_customer("13812345678") is None
