"""The busy paths' inserts: several models' rows at once, all or nothing, duplicates skipped."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kefu.core.db import Rows, insert_together
from kefu.messaging.models import Channel, OutboundMessage
from kefu.tickets.models import OrderEvent, OrderType, WorkOrder
from kefu.tickets.services.orders import next_order_id


def _order(number: str) -> WorkOrder:
    order_type = OrderType.objects.get(code="FAULT_DTV")
    return WorkOrder(
        number=number,
        order_type=order_type,
        category=order_type.category,
        title="电视没信号",
        created_at=timezone.now(),
    )


def _notice(key: str) -> OutboundMessage:
    return OutboundMessage(channel=Channel.SMS, template_code="t", address="13800000000", body="您好", dedupe_key=key)


@pytest.mark.django_db
def test_an_order_its_events_and_notices_go_in_together_with_their_ids() -> None:
    order = _order("GD20261207000001")
    reserved = next_order_id()  # PostgreSQL: known before the write; elsewhere the database's
    if reserved is not None:
        order.pk = reserved
    else:
        order.save()
    now = timezone.now()
    events = [
        OrderEvent(order=order, at=now, kind="created", to_status="new"),
        OrderEvent(order=order, at=now, kind="dispatched"),
    ]
    notices = [_notice("k-1"), _notice("k-2"), _notice("k-1")]  # a key twice: written once

    ids = insert_together(
        Rows([order] if reserved is not None else []), Rows(events), Rows(notices, conflict=("dedupe_key",))
    )

    assert WorkOrder.objects.get(pk=order.pk).number == "GD20261207000001"
    assert [event.pk for event in events] == ids[1] and all(not event._state.adding for event in events)
    assert sorted(OrderEvent.objects.filter(order=order).values_list("kind", flat=True)) == ["created", "dispatched"]
    assert len(ids[2]) == 2 and OutboundMessage.objects.filter(dedupe_key__in=["k-1", "k-2"]).count() == 2
    if reserved is not None:
        assert ids[0] == [reserved] and not order._state.adding


@pytest.mark.django_db
def test_a_failing_group_writes_nothing_of_the_others() -> None:
    first = _order("GD20261207000002")
    first.save()
    duplicate = _order("GD20261207000002")  # the number is unique
    reserved = next_order_id()
    if reserved is not None:
        duplicate.pk = reserved

    with pytest.raises(IntegrityError), transaction.atomic():  # the test's own transaction survives
        insert_together(Rows([_notice("k-3")], conflict=("dedupe_key",)), Rows([duplicate]))

    assert not OutboundMessage.objects.filter(dedupe_key="k-3").exists()
    assert WorkOrder.objects.filter(number="GD20261207000002").count() == 1


@pytest.mark.django_db
def test_reserved_order_ids_are_unique_and_only_on_postgresql() -> None:
    ids = [next_order_id() for _ in range(45)]  # more than two blocks

    if connection.vendor != "postgresql":
        assert ids == [None] * 45
    else:
        assert len(set(ids)) == 45 and ids == sorted(ids)  # type: ignore[type-var]


@pytest.mark.django_db
def test_a_model_read_by_a_plain_cursor_is_what_the_orm_reads(alice, zhang) -> None:
    from kefu.customers.models import Customer
    from kefu.customers.queries import customer_to_work_for_or_404, primary_contact

    found = customer_to_work_for_or_404(alice, zhang.pk)
    expected = Customer.objects.get(pk=zhang.pk)

    names = [field.attname for field in Customer._meta.concrete_fields]
    assert [getattr(found, name) for name in names] == [getattr(expected, name) for name in names]
    assert timezone.is_aware(found.created_at)  # SQLite's converters applied, as the ORM does
    assert primary_contact(found) == primary_contact(expected)  # read with it, no query of its own
