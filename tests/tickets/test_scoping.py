"""Field scoping (PRODUCT §1): an engineer cannot see or change another area's order."""

from __future__ import annotations

import pytest

from kefu.core.errors import NotAllowed
from kefu.tickets import services
from kefu.tickets.models import OrderType
from kefu.tickets.queries import order_progress, orders_visible_to, saved_view, view_counts


def _fault(actor, customer):
    return services.create_order(
        actor=actor,
        order_type=OrderType.objects.get(code="FAULT_DTV"),
        customer=customer,
        title="故障",
        fields={"symptom": "无信号"},
    )


@pytest.mark.django_db
def test_engineer_sees_only_orders_of_own_area(alice, zhang, wang, back_office, charlie, dave):
    mine, theirs = _fault(alice, zhang), _fault(alice, wang)

    assert list(orders_visible_to(charlie)) == [mine]
    assert list(orders_visible_to(dave)) == [theirs]
    assert set(orders_visible_to(alice)) == {mine, theirs}


@pytest.mark.django_db
def test_engineer_cannot_accept_or_resolve_another_areas_order(alice, wang, back_office, charlie):
    theirs = _fault(alice, wang)

    with pytest.raises(NotAllowed):
        services.accept_order(actor=charlie, order=theirs)
    with pytest.raises(NotAllowed):
        services.add_note(actor=charlie, order=theirs, text="看看")

    theirs.refresh_from_db()
    assert theirs.status == "dispatched"
    assert theirs.events.count() == 2


@pytest.mark.django_db
def test_knowledge_editor_sees_no_orders(alice, kate, zhang, back_office):
    _fault(alice, zhang)

    assert list(orders_visible_to(kate)) == []


@pytest.mark.django_db
def test_saved_views_and_counts(alice, gina, zhang, wang, back_office, charlie):
    mine = _fault(alice, zhang)
    _fault(alice, wang)
    returned = _fault(alice, zhang)
    services.return_order(actor=charlie, order=returned, reason="不是故障")

    assert list(saved_view(charlie, "mine")) == [mine]
    assert list(saved_view(gina, "returned")) == [returned]
    counts = view_counts(charlie)
    assert counts["returned"] == 1
    assert counts["area"] == 2


@pytest.mark.django_db
def test_customer_follows_order_with_number_and_phone(alice, zhang, back_office):
    order = _fault(alice, zhang)

    progress = order_progress(order.number.lower(), "+86 138 1234 5678")
    wrong_phone = order_progress(order.number, "13900000000")

    assert progress is not None and progress.status == "dispatched"
    assert [moment for moment, _ in progress.steps] == list(
        order.events.filter(kind__in=["created", "transition"]).values_list("at", flat=True)
    )
    assert progress.engineer == "查师傅"
    assert wrong_phone is None
