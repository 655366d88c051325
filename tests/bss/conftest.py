"""Shared fixtures for the business service layer: 张三丰's mobile line and a small catalog.

`line_state` / `account_state` capture everything a refused change must leave untouched.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from kefu.bss.models import BillingAccount, Offering, Product, VasSubscription
from kefu.core.models import AuditEntry
from kefu.customers.choices import ServiceKind
from kefu.customers.models import Customer, Subscription
from tests.bss.factories import OfferingFactory
from tests.factories import BillingAccountFactory, ProductFactory, SubscriptionFactory


@pytest.fixture
def line(zhang: Customer) -> Subscription:
    """张三丰's active mobile line 13812345678, without any package yet."""
    return SubscriptionFactory(customer=zhang, service=ServiceKind.MOBILE, identifier="13812345678")


@pytest.fixture
def base_58(db: None) -> Product:
    return ProductFactory(
        code="BASE58",
        name="畅享58元套餐",
        monthly_fee=Decimal("58.00"),
        voice_minutes=300,
        data_mb=10240,
        sms_count=100,
    )


@pytest.fixture
def base_88(db: None) -> Product:
    return ProductFactory(
        code="BASE88",
        name="畅享88元套餐",
        monthly_fee=Decimal("88.00"),
        voice_minutes=600,
        data_mb=30720,
        sms_count=200,
    )


@pytest.fixture
def line_on_58(line: Subscription, base_58: Product) -> Subscription:
    """The line holding 畅享58元套餐 as its base package."""
    OfferingFactory(subscription=line, product=base_58)
    return line


@pytest.fixture
def account(zhang: Customer) -> BillingAccount:
    """张三丰's only account, with ¥100.00 available."""
    return BillingAccountFactory(number="ZH0000000001", customer=zhang, available=Decimal("100.00"))


def addon(code: str, name: str, **fields: Any) -> Product:
    return ProductFactory(**{"code": code, "name": name, "kind": "addon", "monthly_fee": Decimal("10.00"), **fields})


def campaign(code: str, name: str, **fields: Any) -> Product:
    return ProductFactory(**{"code": code, "name": name, "kind": "campaign", "monthly_fee": Decimal("0.00"), **fields})


def line_state(line: Subscription) -> dict[str, Any]:
    """Every offering and value-added row of the line, and the audit trail's length."""
    offerings = Offering.objects.filter(subscription=line).select_related("product")
    services = VasSubscription.objects.filter(subscription=line).select_related("service")
    return {
        "offerings": sorted((o.pk, o.product.code, o.kind, o.status, o.started_at, o.ended_at) for o in offerings),
        "value_added": sorted(
            (v.pk, v.service.code, v.status, json.dumps(v.parameters, sort_keys=True), v.ended_at) for v in services
        ),
        "audit_rows": AuditEntry.objects.count(),
    }


def account_state(customer: Customer) -> dict[str, Any]:
    """Funds, bill statuses and payments of every account of the customer, and the audit length."""
    accounts = BillingAccount.objects.filter(customer=customer).order_by("number")
    return {
        "funds": [(a.number, a.available, a.frozen, a.campaign, a.credit_limit) for a in accounts],
        "bills": sorted((b.pk, b.status) for a in accounts for b in a.bills.all()),
        "payments": sorted((p.reference, p.amount) for a in accounts for p in a.payments.all()),
        "audit_rows": AuditEntry.objects.count(),
    }
