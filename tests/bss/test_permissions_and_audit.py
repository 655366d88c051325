"""Who may change a customer's business, and the audit trail every change leaves (PRODUCT §10)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from kefu.accounts.models import User
from kefu.bss import services
from kefu.bss.models import BillingAccount, Product, ValueAddedService
from kefu.core.audit import history_of
from kefu.core.errors import NotAllowed
from kefu.customers.models import Customer, Subscription
from tests.bss.conftest import account_state, addon, line_state
from tests.bss.factories import (
    OfferingFactory,
    ValueAddedServiceFactory,
    VasSubscriptionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(db: None) -> ValueAddedService:
    return ValueAddedServiceFactory(code="CLIP", name="来电显示")


@pytest.mark.parametrize(
    "change",
    [
        "change_base_package",
        "subscribe_addon",
        "cancel_offering",
        "subscribe_value_added_service",
        "cancel_value_added_service",
        "record_payment",
    ],
)
def test_a_dispatcher_may_not_change_a_customers_business(
    gina: User,
    zhang: Customer,
    line_on_58: Subscription,
    base_88: Product,
    account: BillingAccount,
    clip: ValueAddedService,
    change: str,
) -> None:
    addon("VOICE100", "100分钟语音包")
    data = OfferingFactory(subscription=line_on_58, product=addon("DATA5G", "5GB流量包"))
    held = VasSubscriptionFactory(
        subscription=line_on_58, service=ValueAddedServiceFactory(code="MCA", name="来电提醒")
    )
    calls: dict[str, Callable[[], Any]] = {
        "change_base_package": lambda: services.change_base_package(gina, line_on_58, "BASE88"),
        "subscribe_addon": lambda: services.subscribe_addon(gina, line_on_58, "VOICE100"),
        "cancel_offering": lambda: services.cancel_offering(gina, line_on_58, data.pk),
        "subscribe_value_added_service": lambda: services.subscribe_value_added_service(gina, line_on_58, "CLIP", {}),
        "cancel_value_added_service": lambda: services.cancel_value_added_service(gina, line_on_58, held.pk),
        "record_payment": lambda: services.record_payment(gina, zhang, Decimal("50.00"), "wechat", "WX0001"),
    }
    before = (line_state(line_on_58), account_state(zhang))

    with pytest.raises(NotAllowed):
        calls[change]()

    assert (line_state(line_on_58), account_state(zhang)) == before


def test_every_change_on_a_line_is_audited_with_who_and_what(
    alice: User, line_on_58: Subscription, base_88: Product, clip: ValueAddedService
) -> None:
    addon("DATA5G", "5GB流量包")

    services.change_base_package(alice, line_on_58, "BASE88")
    data = services.subscribe_addon(alice, line_on_58, "DATA5G")
    services.cancel_offering(alice, line_on_58, data.id)
    display = services.subscribe_value_added_service(alice, line_on_58, "CLIP", {})
    services.cancel_value_added_service(alice, line_on_58, display.id)

    entries = list(history_of(line_on_58).order_by("id"))
    assert [(e.actor_id, e.actor_label, e.action, e.changes) for e in entries] == [
        (alice.pk, "alice", "bss.base_package_changed", {"base_package": ["BASE58", "BASE88"]}),
        (
            alice.pk,
            "alice",
            "bss.product_subscribed",
            {"product": [None, "DATA5G"], "offering": [None, data.id]},
        ),
        (
            alice.pk,
            "alice",
            "bss.offering_cancelled",
            {"product": ["DATA5G", None], "offering": [data.id, None]},
        ),
        (
            alice.pk,
            "alice",
            "bss.vas_subscribed",
            {"value_added_service": [None, "CLIP"], "parameters": [None, {}]},
        ),
        (
            alice.pk,
            "alice",
            "bss.vas_cancelled",
            {"value_added_service": ["CLIP", None], "vas_subscription": [display.id, None]},
        ),
    ]


def test_a_payment_is_audited_on_the_customer(alice: User, zhang: Customer, account: BillingAccount) -> None:
    services.record_payment(alice, zhang, Decimal("50"), "wechat", " WX0001 ")

    [entry] = history_of(zhang)
    assert (entry.actor_label, entry.action, entry.changes) == (
        "alice",
        "bss.payment_recorded",
        {
            "amount": [None, "50.00"],
            "channel": [None, "wechat"],
            "reference": [None, "WX0001"],
            "account": [None, "ZH0000000001"],
        },
    )


def test_a_change_by_the_system_is_audited_as_system(line_on_58: Subscription, base_88: Product) -> None:
    services.change_base_package(None, line_on_58, "BASE88")

    [entry] = history_of(line_on_58)
    assert (entry.actor_id, entry.actor_label, entry.action) == (
        None,
        "system",
        "bss.base_package_changed",
    )
