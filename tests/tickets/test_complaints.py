"""Repeat and secondary complaints (S1 §4.2.2), merge and parent/child orders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.tickets import services
from kefu.tickets.choices import Status
from kefu.tickets.models import OrderType

DETAILS = {"details": "信号差"}


def _complaint(actor, customer, code="CMP_NETWORK", at=None, related=None):
    return services.create_order(
        actor=actor,
        order_type=OrderType.objects.get(code=code),
        customer=customer,
        title="投诉",
        fields=DETAILS,
        at=at,
        related_order=related,
    )


@pytest.mark.django_db
def test_same_customer_same_type_within_30_days_is_a_repeat_complaint(alice, zhang):
    now = timezone.now()
    first = _complaint(alice, zhang, at=now - dt.timedelta(days=29))

    second = _complaint(alice, zhang, at=now)

    assert (first.is_repeat_complaint, second.is_repeat_complaint) == (False, True)
    assert second.events.first().data["repeat_complaint"] is True


@pytest.mark.django_db
def test_outside_the_window_or_another_type_is_not_a_repeat(alice, zhang, wang):
    now = timezone.now()
    _complaint(alice, zhang, at=now - dt.timedelta(days=31))
    _complaint(alice, wang, at=now - dt.timedelta(days=1))

    assert _complaint(alice, zhang, at=now).is_repeat_complaint is False
    assert _complaint(alice, zhang, code="CMP_BILLING", at=now).is_repeat_complaint is False


@pytest.mark.django_db
def test_window_is_configurable_per_type(alice, zhang):
    OrderType.objects.filter(code="CMP_NETWORK").update(repeat_window_days=60)
    now = timezone.now()
    _complaint(alice, zhang, at=now - dt.timedelta(days=45))

    assert _complaint(alice, zhang, at=now).is_repeat_complaint is True


@pytest.mark.django_db
def test_complaint_about_an_earlier_order_is_a_secondary_complaint(alice, zhang):
    fault = services.create_order(
        actor=alice,
        order_type=OrderType.objects.get(code="FAULT_BB"),
        customer=zhang,
        title="断网",
        fields={"symptom": "断网"},
    )

    complaint = _complaint(alice, zhang, code="CMP_SERVICE", related=fault)

    assert (complaint.is_secondary_complaint, complaint.is_repeat_complaint) == (True, False)
    assert complaint.related_order == fault


@pytest.mark.django_db
def test_secondary_complaint_about_another_customers_order_is_refused(alice, zhang, wang):
    other = _complaint(alice, wang)

    with pytest.raises(BusinessRuleError):
        _complaint(alice, zhang, related=other)


@pytest.mark.django_db
def test_supervisor_merges_a_duplicate(alice, sara, zhang):
    kept, duplicate = _complaint(alice, zhang), _complaint(alice, zhang)

    services.merge_orders(actor=sara, duplicate=duplicate, into=kept, reason="重复受理")

    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (Status.CANCELLED, kept)
    assert kept.events.last().data == {"from": duplicate.number}


@pytest.mark.django_db
def test_agent_may_not_merge_and_nothing_changes(alice, zhang):
    kept, duplicate = _complaint(alice, zhang), _complaint(alice, zhang)

    with pytest.raises(NotAllowed):
        services.merge_orders(actor=alice, duplicate=duplicate, into=kept)

    duplicate.refresh_from_db()
    assert (duplicate.merged_into, duplicate.status != Status.CANCELLED) == (None, True)


@pytest.mark.django_db
def test_outage_parent_collects_customers_fault_orders(alice, gina, zhang, areas):
    from tests.factories import CustomerFactory

    outage = services.create_order(
        actor=alice,
        order_type=OrderType.objects.get(code="FAULT_TRUNK"),
        title="鼓楼干线中断",
        fields={"symptom": "片区大面积无信号"},
    )
    neighbour = CustomerFactory(service_area=areas.gulou_01)
    faults = [
        services.create_order(
            actor=alice,
            order_type=OrderType.objects.get(code="FAULT_DTV"),
            customer=customer,
            title="无信号",
            fields={"symptom": "无信号"},
        )
        for customer in (zhang, neighbour)
    ]

    for fault in faults:
        services.link_child(actor=gina, parent=outage, child=fault)

    assert set(outage.children.all()) == set(faults)
