"""The business zhang holds, for the desk's pages: three lines, an account, bills and usage.

Built from the built-in BSS tables, so the 360 view reads it through the real adapter.
Dates are relative to today, so "this period" and "the last 6 months" always hold data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from kefu.bss.choices import BillStatus, ProductKind, UsageKind
from kefu.bss.models import (
    Bill,
    BillingAccount,
    BillItem,
    Offering,
    Product,
    UsageRecord,
    ValueAddedService,
    VasSubscription,
)
from kefu.customers.choices import DeviceKind, ServiceKind
from kefu.customers.models import Customer, Device, Subscription

MOBILE_NUMBER = "13812345678"
BROADBAND_ACCOUNT = "AC025001234"
ACCOUNT_NUMBER = "ZH0025000001"


@dataclass
class Business:
    account: BillingAccount
    mobile: Subscription
    broadband: Subscription
    tv: Subscription
    latest_bill: Bill


def _first_of_month(months_back: int) -> dt.date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def _this_month_at(day: int, hour: int) -> dt.datetime:
    start = _first_of_month(0)
    return timezone.make_aware(dt.datetime(start.year, start.month, day, hour, 15))


def give_business(customer: Customer) -> Business:
    """Mobile line on the customer's own number, broadband, digital TV; account with bills."""
    now = timezone.now()
    since = now - dt.timedelta(days=400)
    mobile = Subscription.objects.create(
        customer=customer, service=ServiceKind.MOBILE, identifier=MOBILE_NUMBER, started_on=dt.date(2021, 3, 8)
    )
    broadband = Subscription.objects.create(
        customer=customer,
        service=ServiceKind.BROADBAND,
        identifier=BROADBAND_ACCOUNT,
        started_on=dt.date(2022, 5, 20),
        address=customer.addresses.first(),
    )
    tv = Subscription.objects.create(
        customer=customer,
        service=ServiceKind.DIGITAL_TV,
        identifier="8002123456789012",
        started_on=dt.date(2019, 11, 1),
        address=customer.addresses.first(),
    )
    Device.objects.create(
        subscription=broadband, kind=DeviceKind.MODEM, serial_number="ZTE-F663N-0042", model_name="ZTE F663N"
    )
    Device.objects.create(
        subscription=tv, kind=DeviceKind.SET_TOP_BOX, serial_number="STB-HW-77812", model_name="华为 EC6108"
    )
    Device.objects.create(subscription=tv, kind=DeviceKind.SMART_CARD, serial_number="8002123456789012")

    base = Product.objects.create(
        code="M-128",
        name="畅享套餐128元",
        kind=ProductKind.BASE,
        service=ServiceKind.MOBILE,
        monthly_fee=Decimal("128.00"),
        voice_minutes=500,
        data_mb=30 * 1024,
        sms_count=100,
    )
    data_pack = Product.objects.create(
        code="M-DATA10",
        name="10GB流量加油包",
        kind=ProductKind.ADDON,
        service=ServiceKind.MOBILE,
        monthly_fee=Decimal("20.00"),
        data_mb=10 * 1024,
    )
    campaign = Product.objects.create(
        code="M-CUNFEI",
        name="存100送120话费",
        kind=ProductKind.CAMPAIGN,
        service=ServiceKind.MOBILE,
    )
    broadband_base = Product.objects.create(
        code="B-500",
        name="500M光宽带",
        kind=ProductKind.BASE,
        service=ServiceKind.BROADBAND,
        monthly_fee=Decimal("99.00"),
        bandwidth_mbps=500,
    )
    tv_base = Product.objects.create(
        code="TV-BASIC",
        name="数字电视基本包",
        kind=ProductKind.BASE,
        service=ServiceKind.DIGITAL_TV,
        monthly_fee=Decimal("26.00"),
        channel_count=120,
    )
    for line, product in [(mobile, base), (mobile, data_pack), (broadband, broadband_base), (tv, tv_base)]:
        Offering.objects.create(subscription=line, product=product, kind=product.kind, started_at=since)
    Offering.objects.create(
        subscription=mobile,
        product=campaign,
        kind=campaign.kind,
        started_at=since,
        ends_at=now + dt.timedelta(days=200),
    )
    caller_id = ValueAddedService.objects.create(
        code="V-CLIP", name="来电显示", service=ServiceKind.MOBILE, monthly_fee=Decimal("5.00")
    )
    forwarding = ValueAddedService.objects.create(
        code="V-CFU",
        name="呼叫转移",
        service=ServiceKind.MOBILE,
        parameters=[{"name": "forward_to", "label": "转移号码", "kind": "phone"}],
    )
    VasSubscription.objects.create(subscription=mobile, service=caller_id, started_at=since)
    VasSubscription.objects.create(
        subscription=mobile, service=forwarding, parameters={"forward_to": "13900001111"}, started_at=since
    )

    # This month: 3 calls (about 125 minutes rated), 12 GB of data, 4 messages.
    for day, hour, seconds, other in [
        (1, 9, 3600, "13900001111"),
        (1, 14, 3000, "02584001234"),
        (1, 19, 600, "13700002222"),
    ]:
        UsageRecord.objects.create(
            subscription=mobile,
            kind=UsageKind.VOICE,
            started_at=_this_month_at(day, hour),
            quantity=seconds,
            counterpart=other,
            description="国内主叫",
        )
    UsageRecord.objects.create(
        subscription=mobile,
        kind=UsageKind.DATA,
        started_at=_this_month_at(1, 8),
        quantity=12 * 1024 * 1024,
        description="4G/5G 上网",
    )
    UsageRecord.objects.create(
        subscription=mobile,
        kind=UsageKind.SMS,
        started_at=_this_month_at(1, 10),
        quantity=4,
        counterpart="13900001111",
        description="国内短信",
    )

    account = BillingAccount.objects.create(
        number=ACCOUNT_NUMBER,
        customer=customer,
        available=Decimal("386.50"),
        frozen=Decimal("200.00"),
        campaign=Decimal("40.00"),
        credit_limit=Decimal("100.00"),
    )
    account.subscriptions.set([mobile, broadband, tv])
    bills = []
    for months_back, status in [(1, BillStatus.UNPAID), (2, BillStatus.PAID), (3, BillStatus.PAID)]:
        period = _first_of_month(months_back)
        bill = Bill.objects.create(
            account=account,
            period=period,
            total=Decimal("268.00"),
            status=status,
            issued_on=_first_of_month(months_back - 1),
            due_on=_first_of_month(months_back - 1) + dt.timedelta(days=19),
        )
        package = BillItem.objects.create(bill=bill, name="套餐及固定费", amount=Decimal("253.00"), position=1)
        BillItem.objects.create(bill=bill, parent=package, name="畅享套餐128元", amount=Decimal("128.00"), position=1)
        BillItem.objects.create(bill=bill, parent=package, name="500M光宽带", amount=Decimal("99.00"), position=2)
        BillItem.objects.create(bill=bill, parent=package, name="数字电视基本包", amount=Decimal("26.00"), position=3)
        extras = BillItem.objects.create(bill=bill, name="增值业务费", amount=Decimal("15.00"), position=2)
        BillItem.objects.create(bill=bill, parent=extras, name="来电显示", amount=Decimal("5.00"), position=1)
        BillItem.objects.create(bill=bill, parent=extras, name="彩铃", amount=Decimal("10.00"), position=2)
        bills.append(bill)
    return Business(account=account, mobile=mobile, broadband=broadband, tv=tv, latest_bill=bills[0])
