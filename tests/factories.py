"""factory_boy factories for the whole suite. Persona fixtures live in conftest.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.models import Group

from kefu.accounts.choices import AreaLevel, TeamKind
from kefu.accounts.models import ServiceArea, Team, User
from kefu.bss.models import BillingAccount, Product
from kefu.customers.choices import NumberKind, ServiceKind
from kefu.customers.models import Address, ContactNumber, Customer, Subscription

DEMO_PASSWORD = "Kefu!2026demo"


class ServiceAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceArea

    code = factory.Sequence(lambda n: f"A{n:04d}")
    name = factory.Sequence(lambda n: f"片区{n}")
    level = AreaLevel.AREA


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.Sequence(lambda n: f"班组{n}")
    kind = TeamKind.CALL_CENTER


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    display_name = factory.Sequence(lambda n: f"员工{n}")
    password = factory.PostGenerationMethodCall("set_password", DEMO_PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
        if create:
            self.save()

    @factory.post_generation
    def areas(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.areas.set(extracted)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"KH{n + 1:09d}")
    name = factory.Iterator(["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆"])
    id_number = factory.Sequence(lambda n: f"32010219800101{n % 10000:04d}")

    @factory.post_generation
    def phone(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            number = extracted or f"139{self.pk:08d}"
            ContactNumber.objects.create(customer=self, number=number, kind=NumberKind.MOBILE, is_primary=True)

    @factory.post_generation
    def address(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            text = extracted or f"江苏省南京市鼓楼区中山路{self.pk}号"
            Address.objects.create(customer=self, text=text, service_area=self.service_area, is_primary=True)


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    customer = factory.SubFactory(CustomerFactory)
    service = ServiceKind.MOBILE
    identifier = factory.Sequence(lambda n: f"137{n:08d}")
    started_on = dt.date(2024, 1, 1)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"产品{n}")
    kind = "base"
    service = ServiceKind.MOBILE
    monthly_fee = Decimal("58.00")


class BillingAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingAccount

    number = factory.Sequence(lambda n: f"ZH{n + 1:010d}")
    customer = factory.SubFactory(CustomerFactory)
    available = Decimal("100.00")
