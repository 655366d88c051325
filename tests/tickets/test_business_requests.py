"""Business requests: pay first then serve, serve first then charge, and what completion changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kefu.bss.models import BillingAccount, Charge
from kefu.core.errors import BusinessRuleError
from kefu.customers.models import Subscription
from kefu.tickets import services
from kefu.tickets.choices import Status
from kefu.tickets.models import OrderType
from tests.factories import BillingAccountFactory, SubscriptionFactory


@pytest.fixture
def account(zhang):
    return BillingAccountFactory(customer=zhang, available=Decimal("20.00"))


@pytest.fixture
def line(zhang):
    return SubscriptionFactory(customer=zhang, service="digital_tv", identifier="8250012345678901")


def _request(actor, customer, code, line=None, fields=None):
    return services.create_order(
        actor=actor,
        order_type=OrderType.objects.get(code=code),
        customer=customer,
        subscription=line,
        title="业务受理",
        fields=fields or {},
    )


@pytest.mark.django_db
def test_pay_first_order_waits_for_payment_then_is_dispatched(alice, gina, zhang, account, back_office, charlie):
    order = _request(alice, zhang, "BIZ_INSTALL")
    assert (order.status, order.team, order.fee) == (Status.NEW, None, Decimal("100.00"))

    with pytest.raises(BusinessRuleError) as refusal:
        services.dispatch_order(actor=gina, order=order)
    assert refusal.value.code == "awaiting_payment"
    order.refresh_from_db()
    assert order.status == Status.NEW

    services.record_order_payment(
        actor=alice, order=order, amount=Decimal("100.00"), channel="wechat", reference="WX202611220001"
    )

    order.refresh_from_db()
    assert (order.status, order.assignee, order.payment_reference) == (Status.DISPATCHED, charlie, "WX202611220001")
    account.refresh_from_db()
    assert account.available == Decimal("20.00")  # paid 100 in, the fee of 100 charged out
    assert Charge.objects.get(reference=f"{order.number}-fee").amount == Decimal("100.00")


@pytest.mark.django_db
def test_wrong_payment_amount_is_refused_and_nothing_is_recorded(alice, zhang, account, back_office):
    order = _request(alice, zhang, "BIZ_INSTALL")

    with pytest.raises(BusinessRuleError):
        services.record_order_payment(
            actor=alice, order=order, amount=Decimal("50.00"), channel="wechat", reference="WX1"
        )

    order.refresh_from_db()
    account.refresh_from_db()
    assert (order.paid_at, order.status, account.available) == (None, Status.NEW, Decimal("20.00"))


@pytest.mark.django_db
def test_serve_first_charges_on_completion_once(alice, zhang, account, back_office, charlie, line):
    order = _request(alice, zhang, "BIZ_RELOCATE", line=line)
    assert order.status == Status.DISPATCHED

    services.accept_order(actor=charlie, order=order)
    services.resolve_order(actor=charlie, order=order, resolution="已移机")

    account.refresh_from_db()
    assert account.available == Decimal("-30.00")
    assert Charge.objects.filter(account=account).count() == 1
    order.refresh_from_db()
    assert order.charged_at is not None


@pytest.mark.django_db
def test_completing_a_suspension_suspends_the_line(alice, zhang, account, back_office, line):
    order = _request(alice, zhang, "BIZ_SUSPEND", line=line)
    services.accept_order(actor=back_office.olga, order=order)

    services.resolve_order(actor=back_office.olga, order=order, resolution="已报停")

    assert Subscription.objects.get(pk=line.pk).status == "suspended"


@pytest.mark.django_db
def test_suspension_without_a_line_cannot_complete(alice, zhang, back_office):
    order = _request(alice, zhang, "BIZ_SUSPEND")
    services.accept_order(actor=back_office.olga, order=order)

    with pytest.raises(BusinessRuleError) as refusal:
        services.resolve_order(actor=back_office.olga, order=order, resolution="已报停")

    assert refusal.value.code == "line_required"
    order.refresh_from_db()
    assert order.status == Status.ACCEPTED


@pytest.mark.django_db
def test_package_change_request_changes_the_base_package(alice, zhang, account, back_office):
    from kefu.bss.models import Offering
    from tests.factories import ProductFactory

    mobile = SubscriptionFactory(customer=zhang, identifier="13812345678")
    old, new = ProductFactory(code="CX58"), ProductFactory(code="CX88", monthly_fee=Decimal("88.00"))
    from django.utils import timezone

    Offering.objects.create(subscription=mobile, product=old, kind="base", started_at=timezone.now())
    order = _request(alice, zhang, "BIZ_PACKAGE", line=mobile, fields={"target_package": "CX88"})
    services.accept_order(actor=back_office.olga, order=order)

    services.resolve_order(actor=back_office.olga, order=order, resolution="已变更")

    active = Offering.objects.get(subscription=mobile, kind="base", status="active")
    assert active.product == new


@pytest.mark.django_db
def test_balance_accounts_are_untouched_by_orders_without_fees(alice, zhang, account, back_office):
    _request(alice, zhang, "BIZ_SIGNAL")

    assert BillingAccount.objects.get(pk=account.pk).available == Decimal("20.00")
