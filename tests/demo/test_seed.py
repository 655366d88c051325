"""`kefu seed`: the demo operator is complete, valid and safe to load again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory, override_settings

from kefu.accounts.choices import AreaLevel, Role
from kefu.accounts.models import ServiceArea, User
from kefu.bss.choices import UsageKind
from kefu.bss.models import Bill, BillingAccount, BillItem, UsageRecord, VasSubscription
from kefu.customers.choices import IdType, ServiceKind
from kefu.customers.models import Address, ContactNumber, Customer, Subscription
from kefu.customers.phones import normalise_phone
from kefu.demo import seed
from tests.factories import DEMO_PASSWORD

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"  # argon2 is slow by design; the seed uses the setting
NAMED_LOGINS = (
    "agent",
    "lead",
    "backoffice",
    "dispatcher",
    "manager",
    "engineer",
    "qa",
    "editor",
    "supervisor",
    "admin",
)


def _seed(customers: int, *, lean: bool = False) -> str:
    out = StringIO()
    call_command("seed", customers=customers, lean=lean, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in seed._COUNTED}


@pytest.fixture(scope="class")
def operator(django_db_setup, django_db_blocker) -> Iterator[None]:
    """One small operator (40 customers) shared by the read-only tests of a class, rolled back after."""
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
        _seed(40)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(operator: None, db: None) -> None:
    """The shared operator, inside the test's own transaction."""


class TestTheDemoOperator:
    """Read-only checks on one seeded operator."""

    def test_every_role_has_staff(self, seeded: None) -> None:
        for role in Role.values:
            assert User.objects.filter(groups__name=role).exists(), role
        assert User.objects.filter(username__in=[p.username for p in seed.staff_plan()]).count() == 60
        admin = User.objects.get(username="admin")
        assert (admin.is_staff, admin.is_superuser, admin.role_codes) == (True, False, {Role.ADMINISTRATOR})

    def test_named_logins_sign_in_with_the_demo_password(self, seeded: None, settings) -> None:
        settings.PASSWORD_HASHERS = [FAST_HASHER]
        assert seed.DEMO_PASSWORD == DEMO_PASSWORD
        for username in NAMED_LOGINS:
            user = authenticate(RequestFactory().post("/login/"), username=username, password=DEMO_PASSWORD)
            assert user is not None and user.username == username

    def test_field_staff_have_their_areas(self, seeded: None) -> None:
        engineer = User.objects.get(username="engineer")
        manager = User.objects.get(username="manager")

        assert list(engineer.areas.values_list("code", "level")) == [("NJ-GL-01", AreaLevel.AREA)]
        assert list(manager.areas.values_list("code", flat=True)) == ["NJ-GL"]
        assert set(ServiceArea.objects.filter(code__startswith="NJ-GL-").values_list("manager", flat=True)) == {
            manager.pk
        }
        assert (
            ServiceArea.objects.filter(level=AreaLevel.AREA, staff__groups__name=Role.FIELD_ENGINEER).distinct().count()
            == 30
        )

    def test_every_customer_is_served_by_a_service_area(self, seeded: None) -> None:
        assert Customer.objects.count() == 40
        assert not Customer.objects.exclude(service_area__level=AreaLevel.AREA).exists()
        assert not Address.objects.exclude(service_area__level=AreaLevel.AREA).exists()
        for customer in Customer.objects.select_related("service_area__parent__parent"):
            address = customer.addresses.get(is_primary=True)
            assert customer.service_area is not None
            district = customer.service_area.parent
            assert district is not None and district.parent is not None
            assert f"{district.parent.name}市{district.name}" in address.text

    def test_every_customer_holds_one_to_three_lines_and_one_account(self, seeded: None) -> None:
        for customer in Customer.objects.prefetch_related("subscriptions", "billing_accounts__subscriptions"):
            lines = {s.pk for s in customer.subscriptions.all()}
            (account,) = customer.billing_accounts.all()
            assert 1 <= len(lines) <= 3
            assert {s.pk for s in account.subscriptions.all()} == lines
            assert account.number.startswith("ZH") and len(account.number) == 12 and account.number[2:].isdigit()
            assert account.bills.count() == seed.BILL_MONTHS

    def test_bill_trees_add_up(self, seeded: None) -> None:
        children: dict[int, Decimal] = defaultdict(Decimal)
        top: dict[int, Decimal] = defaultdict(Decimal)
        parents: dict[int, Decimal] = {}
        for item in BillItem.objects.all():
            if item.parent_id is None:
                top[item.bill_id] += item.amount
                parents[item.pk] = item.amount
            else:
                children[item.parent_id] += item.amount
        assert parents and children
        assert {pk: amount for pk, amount in parents.items()} == {pk: children[pk] for pk in parents}
        bills = dict(Bill.objects.values_list("pk", "total"))
        assert len(bills) == 40 * seed.BILL_MONTHS
        assert bills == {pk: top[pk] for pk in bills}

    def test_every_seeded_phone_number_is_valid(self, seeded: None) -> None:
        numbers = list(ContactNumber.objects.values_list("number", flat=True))
        numbers += Subscription.objects.filter(service=ServiceKind.MOBILE).values_list("identifier", flat=True)
        numbers += User.objects.exclude(mobile="").values_list("mobile", flat=True)
        for stored in numbers:
            assert normalise_phone(stored) == stored
        others = list(
            UsageRecord.objects.filter(kind__in=[UsageKind.VOICE, UsageKind.SMS]).values_list("counterpart", flat=True)
        )
        for vas in VasSubscription.objects.exclude(parameters={}):
            others += [v for k, v in vas.parameters.items() if k != "ring_tone"]
        assert others
        for number in others:
            normalise_phone(number)  # raises when invalid

    def test_resident_ids_carry_a_correct_check_character(self, seeded: None) -> None:
        ids = Customer.objects.filter(id_type=IdType.RESIDENT_ID).values_list("id_number", flat=True)
        assert ids
        for number in ids:
            assert len(number) == 18 and seed.id_check_character(number[:17]) == number[17]


@pytest.mark.django_db
def test_seeding_again_creates_nothing() -> None:
    _seed(25)
    first = _counts()

    output = _seed(25)

    assert _counts() == first
    assert "nothing new" in output


@pytest.mark.django_db
def test_a_larger_run_adds_only_the_missing_customers_the_same_as_one_run() -> None:
    with transaction.atomic():
        _seed(30)
        in_one_run = list(Customer.objects.values_list("number", "name", "id_number", "numbers__number"))
        transaction.set_rollback(True)
    _seed(20)
    before = _counts()

    _seed(30)

    after = _counts()
    assert after["Customer"] - before["Customer"] == 10
    assert after["BillingAccount"] - before["BillingAccount"] == 10
    assert after["Bill"] - before["Bill"] == 10 * seed.BILL_MONTHS
    assert after["User"] == before["User"] == 60
    assert list(Customer.objects.values_list("number", "name", "id_number", "numbers__number")) == in_one_run
    assert list(Customer.objects.values_list("number", flat=True)) == [seed.customer_number(n) for n in range(1, 31)]


@pytest.mark.django_db
def test_lean_seed_writes_customers_numbers_and_addresses_only() -> None:
    _seed(15, lean=True)

    assert Customer.objects.count() == 15
    assert not Customer.objects.filter(numbers__isnull=True).exists()
    assert not Customer.objects.filter(addresses__isnull=True).exists()
    assert (Subscription.objects.count(), BillingAccount.objects.count()) == (0, 0)
