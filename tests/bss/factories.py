"""Factories for the business service layer, on top of the suite's shared ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from kefu.bss.choices import BillStatus, PaymentChannel, UsageKind
from kefu.bss.models import (
    Bill,
    BillItem,
    Offering,
    Payment,
    UsageRecord,
    ValueAddedService,
    VasSubscription,
)
from kefu.customers.choices import ServiceKind
from tests.factories import BillingAccountFactory, ProductFactory, SubscriptionFactory


class OfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offering

    subscription = factory.SubFactory(SubscriptionFactory)
    product = factory.SubFactory(ProductFactory)
    kind = factory.LazyAttribute(lambda offering: offering.product.kind)
    started_at = factory.LazyFunction(timezone.now)


class ValueAddedServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ValueAddedService

    code = factory.Sequence(lambda n: f"V{n:04d}")
    name = factory.Sequence(lambda n: f"增值业务{n}")
    service = ServiceKind.MOBILE
    monthly_fee = Decimal("5.00")


class VasSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VasSubscription

    subscription = factory.SubFactory(SubscriptionFactory)
    service = factory.SubFactory(ValueAddedServiceFactory)
    started_at = factory.LazyFunction(timezone.now)


class BillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bill

    account = factory.SubFactory(BillingAccountFactory)
    period = dt.date(2026, 1, 1)
    total = Decimal("58.00")
    status = BillStatus.UNPAID
    issued_on = factory.LazyAttribute(lambda bill: bill.period + dt.timedelta(days=32))
    due_on = factory.LazyAttribute(lambda bill: bill.period + dt.timedelta(days=50))


class BillItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillItem

    bill = factory.SubFactory(BillFactory)
    name = factory.Sequence(lambda n: f"费用{n}")
    amount = Decimal("10.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    account = factory.SubFactory(BillingAccountFactory)
    amount = Decimal("50.00")
    channel = PaymentChannel.WECHAT
    reference = factory.Sequence(lambda n: f"WX{n:012d}")
    paid_at = factory.LazyFunction(timezone.now)


class UsageRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageRecord

    subscription = factory.SubFactory(SubscriptionFactory)
    kind = UsageKind.VOICE
    started_at = factory.LazyFunction(timezone.now)
    quantity = 60
