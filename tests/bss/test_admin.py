"""The data-maintenance pages for the built-in BSS open for an administrator."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kefu.accounts.models import User
from kefu.customers.models import Subscription
from tests.bss.factories import BillFactory, BillItemFactory, OfferingFactory, ValueAddedServiceFactory
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

MODELS = [
    "product",
    "valueaddedservice",
    "offering",
    "vassubscription",
    "billingaccount",
    "payment",
    "bill",
    "usagerecord",
]


@pytest.fixture
def root(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.com", "Kefu!2026demo")


@pytest.mark.parametrize("model", MODELS)
def test_list_and_add_pages_open(client: Client, root: User, line: Subscription, model: str) -> None:
    OfferingFactory(subscription=line)
    client.force_login(root)

    listing = client.get(reverse(f"admin:bss_{model}_changelist"))
    adding = client.get(reverse(f"admin:bss_{model}_add"))

    assert (listing.status_code, adding.status_code) == (200, 200)


def test_a_bill_opens_with_its_items(client: Client, root: User) -> None:
    bill = BillFactory(total=Decimal("12.30"))
    voice = BillItemFactory(bill=bill, name="语音通信费", amount=Decimal("12.30"))
    BillItemFactory(bill=bill, parent=voice, name="国内通话", amount=Decimal("12.30"))
    product = ProductFactory(name="畅享58元套餐")
    product.excludes.add(ProductFactory(name="畅享88元套餐"))
    ValueAddedServiceFactory(name="呼叫转移")
    client.force_login(root)

    bill_page = client.get(reverse("admin:bss_bill_change", args=[bill.pk]))
    product_page = client.get(reverse("admin:bss_product_change", args=[product.pk]))

    assert bill_page.status_code == product_page.status_code == 200
    assert "国内通话" in bill_page.content.decode()
    assert "畅享88元套餐" in product_page.content.decode()
