"""Billing (PRODUCT §2): balance over the customer's accounts, payments that settle bills
oldest first, monthly bills as item trees, and this month's usage against the allowances."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django import DjangoAssertNumQueries

from kefu.accounts.models import User
from kefu.bss import services
from kefu.bss.adapters.base import Allowance, Balance, BillItemView
from kefu.bss.adapters.builtin import add_months, month_start
from kefu.bss.choices import BillStatus, OfferingStatus, UsageKind
from kefu.bss.models import Bill, BillingAccount, BillItem, Payment
from kefu.bss.queries import balance_for, bills_for, usage_records_for, usage_summary_for
from kefu.core.errors import BusinessRuleError
from kefu.core.models import AuditEntry
from kefu.customers.models import Customer, Subscription
from tests.bss.conftest import account_state, addon, campaign
from tests.bss.factories import BillFactory, BillItemFactory, OfferingFactory, UsageRecordFactory
from tests.factories import BillingAccountFactory, CustomerFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# --- balance ---------------------------------------------------------------------------------


def test_balance_adds_up_every_account_of_the_customer(zhang: Customer, wang: Customer) -> None:
    first = BillingAccountFactory(
        number="ZH0000000001",
        customer=zhang,
        available=Decimal("100.00"),
        frozen=Decimal("20.00"),
        campaign=Decimal("10.00"),
        credit_limit=Decimal("50.00"),
    )
    second = BillingAccountFactory(
        number="ZH0000000002",
        customer=zhang,
        available=Decimal("30.50"),
        campaign=Decimal("5.00"),
    )
    BillingAccountFactory(number="ZH0000000003", customer=wang, available=Decimal("999.00"))
    BillFactory(account=first, period=dt.date(2025, 12, 1), status=BillStatus.PAID)
    BillFactory(account=first, period=dt.date(2026, 1, 1), total=Decimal("58.00"))
    BillFactory(account=first, period=dt.date(2026, 2, 1), total=Decimal("60.25"), status=BillStatus.OVERDUE)
    BillFactory(account=second, period=dt.date(2026, 2, 1), total=Decimal("20.00"))

    balance = balance_for(zhang.pk)

    assert balance == Balance(
        account_number="ZH0000000001",
        available=Decimal("130.50"),
        frozen=Decimal("20.00"),
        campaign=Decimal("15.00"),
        credit_limit=Decimal("50.00"),
        unpaid_bills=Decimal("138.25"),
    )
    assert balance.spendable == Decimal("57.25")


def test_a_customer_without_an_account_has_no_balance(zhang: Customer) -> None:
    assert balance_for(zhang.pk) is None


# --- payments --------------------------------------------------------------------------------


def test_payment_settles_unpaid_bills_oldest_first_while_funds_cover_them(alice: User, zhang: Customer) -> None:
    account = BillingAccountFactory(customer=zhang, available=Decimal("0.00"))
    january = BillFactory(account=account, period=dt.date(2026, 1, 1), total=Decimal("80.00"))
    february = BillFactory(account=account, period=dt.date(2026, 2, 1), total=Decimal("30.00"))

    first = services.record_payment(alice, zhang, Decimal("50.00"), "wechat", "WX0001")

    # ¥50 does not cover January's ¥80, and February must wait for January.
    assert (first.available, first.unpaid_bills) == (Decimal("50.00"), Decimal("110.00"))
    assert list(Bill.objects.order_by("period").values_list("status", flat=True)) == [
        BillStatus.UNPAID,
        BillStatus.UNPAID,
    ]

    second = services.record_payment(alice, zhang, Decimal("65.00"), "alipay", "ZFB0001")

    january.refresh_from_db()
    february.refresh_from_db()
    assert (january.status, february.status) == (BillStatus.PAID, BillStatus.PAID)
    assert (second.available, second.unpaid_bills) == (Decimal("5.00"), Decimal("0.00"))
    assert BillingAccount.objects.get(pk=account.pk).available == Decimal("5.00")


def test_payment_without_bills_adds_to_available_funds(alice: User, zhang: Customer, account: BillingAccount) -> None:
    balance = services.record_payment(alice, zhang, Decimal("20.50"), "counter", "GT-20260301-1")

    assert balance.available == Decimal("120.50")
    payment = Payment.objects.get()
    assert (payment.account_id, payment.amount, payment.channel, payment.reference) == (
        account.pk,
        Decimal("20.50"),
        "counter",
        "GT-20260301-1",
    )


def test_a_repeated_payment_reference_is_recorded_once(alice: User, zhang: Customer, account: BillingAccount) -> None:
    first = services.record_payment(alice, zhang, Decimal("50.00"), "wechat", "WX0001")
    after_first = account_state(zhang)

    repeat = services.record_payment(alice, zhang, Decimal("50.00"), "wechat", "WX0001")

    assert repeat == first
    assert repeat.available == Decimal("150.00")
    assert account_state(zhang) == after_first
    assert AuditEntry.objects.filter(action="bss.payment_recorded").count() == 1


def test_a_payment_reference_reused_for_another_amount_is_refused(
    alice: User, zhang: Customer, account: BillingAccount
) -> None:
    services.record_payment(alice, zhang, Decimal("50.00"), "wechat", "WX0001")
    before = account_state(zhang)

    with pytest.raises(BusinessRuleError) as refused:
        services.record_payment(alice, zhang, Decimal("60.00"), "wechat", "WX0001")

    assert refused.value.code == "payment_reference_reused"
    assert account_state(zhang) == before


def test_a_payment_reference_of_another_customer_is_refused(
    alice: User, zhang: Customer, wang: Customer, account: BillingAccount
) -> None:
    BillingAccountFactory(customer=wang)
    services.record_payment(alice, wang, Decimal("50.00"), "wechat", "WX0001")
    before = account_state(zhang)

    with pytest.raises(BusinessRuleError) as refused:
        services.record_payment(alice, zhang, Decimal("50.00"), "wechat", "WX0001")

    assert refused.value.code == "payment_reference_reused"
    assert account_state(zhang) == before


@pytest.mark.parametrize(
    ("amount", "channel", "reference", "code"),
    [
        (Decimal("0.00"), "wechat", "WX0001", "amount_not_positive"),
        (Decimal("-5.00"), "wechat", "WX0001", "amount_not_positive"),
        (Decimal("10.005"), "wechat", "WX0001", "amount_invalid"),
        (Decimal("NaN"), "wechat", "WX0001", "amount_invalid"),
        (Decimal("10.00"), "bitcoin", "WX0001", "payment_channel_unknown"),
        (Decimal("10.00"), "wechat", "  ", "reference_required"),
    ],
)
def test_an_invalid_payment_is_refused_and_changes_nothing(
    alice: User,
    zhang: Customer,
    account: BillingAccount,
    amount: Decimal,
    channel: str,
    reference: str,
    code: str,
) -> None:
    BillFactory(account=account, total=Decimal("10.00"))
    before = account_state(zhang)

    with pytest.raises(BusinessRuleError) as refused:
        services.record_payment(alice, zhang, amount, channel, reference)

    assert refused.value.code == code
    assert account_state(zhang) == before


def test_a_payment_for_a_customer_without_an_account_is_refused(alice: User, zhang: Customer) -> None:
    with pytest.raises(BusinessRuleError) as refused:
        services.record_payment(alice, zhang, Decimal("10.00"), "wechat", "WX0001")

    assert refused.value.code == "no_billing_account"
    assert Payment.objects.count() == 0


# --- bills ------------------------------------------------------------------------------------


ItemTree = list[tuple[str, Any, list[Any]]]  # (name, amount, children)


def _add_items(bill: Bill, tree: ItemTree, parent: BillItem | None = None) -> None:
    for position, (name, amount, children) in enumerate(tree):
        item = BillItemFactory(bill=bill, parent=parent, name=name, amount=Decimal(amount), position=position)
        _add_items(bill, children, item)


MONTHLY_ITEMS = [
    ("套餐及固定费", "58.00", [("基本月租", "58.00", [])]),
    (
        "语音通信费",
        "12.30",
        [("国内通话", "10.00", [("本地通话", "6.00", []), ("长途通话", "4.00", [])]), ("漫游通话", "2.30", [])],
    ),
    ("增值业务费", "5.00", []),
]


def _assert_sums_hold(items: list[BillItemView]) -> None:
    for item in items:
        if item.children:
            assert item.amount == sum(child.amount for child in item.children)
            _assert_sums_hold(item.children)


def test_bills_of_the_last_six_months_come_newest_first_as_item_trees(
    zhang: Customer, account: BillingAccount, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    this_month = month_start(timezone.localdate())
    for months_back in range(1, 9):
        bill = BillFactory(account=account, period=add_months(this_month, -months_back), total=Decimal("75.30"))
        _add_items(bill, MONTHLY_ITEMS)

    with django_assert_num_queries(2):
        bills = bills_for(zhang.pk)

    assert [b.period for b in bills] == [add_months(this_month, -n) for n in range(1, 7)]
    for bill in bills:
        assert bill.total == sum(item.amount for item in bill.items)
        _assert_sums_hold(bill.items)
    assert bills[0].items == [
        BillItemView("套餐及固定费", Decimal("58.00"), [BillItemView("基本月租", Decimal("58.00"))]),
        BillItemView(
            "语音通信费",
            Decimal("12.30"),
            [
                BillItemView(
                    "国内通话",
                    Decimal("10.00"),
                    [
                        BillItemView("本地通话", Decimal("6.00")),
                        BillItemView("长途通话", Decimal("4.00")),
                    ],
                ),
                BillItemView("漫游通话", Decimal("2.30")),
            ],
        ),
        BillItemView("增值业务费", Decimal("5.00")),
    ]


cents = st.integers(min_value=0, max_value=99_999).map(lambda n: Decimal(n).scaleb(-2))
leaf = st.tuples(st.text("费用话费流量短信", min_size=1, max_size=6), cents, st.just([]))
item_trees = st.recursive(
    st.lists(leaf, min_size=1, max_size=4),
    lambda children: st.lists(
        st.one_of(
            leaf,
            children.map(lambda kids: ("小计", sum((k[1] for k in kids), Decimal("0.00")), kids)),
        ),
        min_size=1,
        max_size=4,
    ),
    max_leaves=12,
)


def _as_views(tree: ItemTree) -> list[BillItemView]:
    return [BillItemView(name, amount, _as_views(children)) for name, amount, children in tree]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=item_trees)
def test_any_bill_tree_comes_back_exactly_as_it_was_billed(
    zhang: Customer, account: BillingAccount, tree: ItemTree
) -> None:
    Bill.objects.all().delete()
    total = sum((amount for _, amount, _ in tree), Decimal("0.00"))
    bill = BillFactory(account=account, period=add_months(month_start(timezone.localdate()), -1), total=total)
    _add_items(bill, [(name, str(amount), children) for name, amount, children in tree])

    [view] = bills_for(zhang.pk)

    assert view.items == _as_views(tree)
    assert view.total == sum(item.amount for item in view.items)
    _assert_sums_hold(view.items)


# --- usage -----------------------------------------------------------------------------------


@pytest.fixture
def march_usage(line_on_58: Subscription) -> Subscription:
    """畅享58元套餐 + a 5GB pack + a 1GB campaign (and an ended 100-minute pack) with calls, data and SMS
    around March 2026 in Beijing time."""
    OfferingFactory(subscription=line_on_58, product=addon("DATA5G", "5GB流量包", data_mb=5120))
    OfferingFactory(subscription=line_on_58, product=campaign("SPRING", "春节流量翻倍", data_mb=1024))
    OfferingFactory(
        subscription=line_on_58,
        product=addon("VOICE100", "100分钟语音包", voice_minutes=100),
        status=OfferingStatus.ENDED,
        ended_at=shanghai(2026, 3, 2, 9, 0),
    )
    records = [
        (UsageKind.VOICE, shanghai(2026, 3, 1, 0, 0), 60, "0.00"),  # first moment of March
        (UsageKind.VOICE, shanghai(2026, 3, 3, 9, 0), 61, "0.30"),  # two started minutes
        (UsageKind.VOICE, shanghai(2026, 3, 4, 9, 0), 30, "0.00"),
        (UsageKind.VOICE, shanghai(2026, 3, 5, 9, 0), 120, "0.00"),
        (UsageKind.DATA, shanghai(2026, 3, 6, 9, 0), 512_000, "0.00"),
        (UsageKind.DATA, shanghai(2026, 3, 7, 9, 0), 1_536, "0.00"),
        (UsageKind.SMS, shanghai(2026, 3, 8, 9, 0), 3, "0.10"),
        (UsageKind.SMS, shanghai(2026, 3, 31, 23, 59), 2, "0.00"),
        (UsageKind.VALUE_ADDED, shanghai(2026, 3, 9, 9, 0), 1, "5.00"),
        (UsageKind.VOICE, shanghai(2026, 2, 28, 23, 59), 600, "1.00"),  # February
        (UsageKind.DATA, shanghai(2026, 4, 1, 0, 0), 99_999, "1.00"),  # April
    ]
    for kind, started_at, quantity, charge in records:
        UsageRecordFactory(
            subscription=line_on_58,
            kind=kind,
            started_at=started_at,
            quantity=quantity,
            charge=Decimal(charge),
        )
    UsageRecordFactory(started_at=shanghai(2026, 3, 10, 9, 0), quantity=3600)  # another line
    return line_on_58


def test_usage_summary_counts_this_month_against_everything_the_line_holds(
    march_usage: Subscription,
) -> None:
    summary = usage_summary_for(march_usage.pk, today=dt.date(2026, 3, 15))

    assert summary.period_start == dt.date(2026, 3, 1)
    assert summary.allowances == [
        Allowance(kind="voice", included=300, used=6),
        Allowance(kind="data", included=16_384, used=502),
        Allowance(kind="sms", included=100, used=5),
    ]
    assert [a.remaining for a in summary.allowances] == [294, 15_882, 95]
    assert summary.charges == Decimal("5.40")


def test_usage_summary_of_a_line_without_usage_has_full_allowances(
    line_on_58: Subscription,
) -> None:
    summary = usage_summary_for(line_on_58.pk, today=dt.date(2026, 3, 15))

    assert [(a.included, a.used, a.remaining) for a in summary.allowances] == [
        (300, 0, 300),
        (10_240, 0, 10_240),
        (100, 0, 100),
    ]
    assert summary.charges == Decimal("0.00")


def test_usage_records_are_newest_first_within_the_window_and_kind() -> None:
    line = SubscriptionFactory(customer=CustomerFactory())
    now = timezone.now()
    for days_ago, kind in [(1, UsageKind.VOICE), (2, UsageKind.DATA), (3, UsageKind.VOICE), (100, UsageKind.VOICE)]:
        UsageRecordFactory(
            subscription=line,
            kind=kind,
            started_at=now - dt.timedelta(days=days_ago),
            counterpart=f"1390000000{days_ago % 10}",
        )

    every_kind = usage_records_for(line.pk)
    calls = usage_records_for(line.pk, kind=UsageKind.VOICE)
    latest = usage_records_for(line.pk, limit=1)

    assert [(r.kind, r.counterpart) for r in every_kind] == [
        ("voice", "13900000001"),
        ("data", "13900000002"),
        ("voice", "13900000003"),
    ]
    assert [r.counterpart for r in calls] == ["13900000001", "13900000003"]
    assert [r.counterpart for r in latest] == ["13900000001"]
