"""Tariff rules (PRODUCT §2): one base package, add-ons on a base, campaigns with validity,
mutual exclusion, the right service kind, and changes only on an active line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from kefu.accounts.models import User
from kefu.bss import services
from kefu.bss.choices import OfferingStatus
from kefu.bss.models import Offering, Product
from kefu.bss.queries import catalog_for, offerings_for
from kefu.core.errors import BusinessRuleError
from kefu.customers.choices import ServiceKind, SubscriptionStatus
from kefu.customers.models import Subscription
from tests.bss.conftest import addon, campaign, line_state
from tests.bss.factories import OfferingFactory, ValueAddedServiceFactory, VasSubscriptionFactory
from tests.factories import ProductFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def _active_codes(line: Subscription) -> list[str]:
    return sorted(
        Offering.objects.filter(subscription=line, status=OfferingStatus.ACTIVE).values_list("product__code", flat=True)
    )


# --- one base package ------------------------------------------------------------------


def test_changing_base_package_ends_the_old_one_and_starts_the_new_one(
    alice: User, line_on_58: Subscription, base_88: Product
) -> None:
    old = Offering.objects.get(subscription=line_on_58)

    new = services.change_base_package(alice, line_on_58, "BASE88")

    old.refresh_from_db()
    assert old.status == OfferingStatus.ENDED
    assert old.ended_at == new.started_at
    assert new.product.code == "BASE88"
    held = offerings_for(line_on_58.pk)
    assert held.base is not None
    assert (held.base.id, held.base.product.code) == (new.id, "BASE88")
    assert _active_codes(line_on_58) == ["BASE88"]


def test_a_line_without_a_package_gets_its_first_base_package(
    alice: User, line: Subscription, base_58: Product
) -> None:
    services.change_base_package(alice, line, "BASE58")

    assert _active_codes(line) == ["BASE58"]


def test_changing_to_the_base_package_already_held_is_refused(alice: User, line_on_58: Subscription) -> None:
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as refused:
        services.change_base_package(alice, line_on_58, "BASE58")

    assert refused.value.code == "same_base_package"
    assert line_state(line_on_58) == before


def test_database_refuses_a_second_active_base_package(line_on_58: Subscription, base_88: Product) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferingFactory(subscription=line_on_58, product=base_88)

    assert _active_codes(line_on_58) == ["BASE58"]


def test_a_base_package_cannot_be_subscribed_as_an_extra(
    alice: User, line_on_58: Subscription, base_88: Product
) -> None:
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_addon(alice, line_on_58, "BASE88")

    assert refused.value.code == "base_package_needs_change"
    assert line_state(line_on_58) == before


def test_an_addon_cannot_become_the_base_package(alice: User, line_on_58: Subscription) -> None:
    addon("DATA5G", "5GB流量包")
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as refused:
        services.change_base_package(alice, line_on_58, "DATA5G")

    assert refused.value.code == "not_a_base_package"
    assert line_state(line_on_58) == before


# --- add-ons -----------------------------------------------------------------------------


def test_addon_is_added_beside_the_base_package(alice: User, line_on_58: Subscription) -> None:
    addon("DATA5G", "5GB流量包", data_mb=5120)

    offering = services.subscribe_addon(alice, line_on_58, "DATA5G")

    held = offerings_for(line_on_58.pk)
    assert [o.id for o in held.addons] == [offering.id]
    assert held.addons[0].product.data_mb == 5120
    assert held.campaigns == []
    assert _active_codes(line_on_58) == ["BASE58", "DATA5G"]


def test_addon_without_a_base_package_is_refused(alice: User, line: Subscription) -> None:
    addon("DATA5G", "5GB流量包")
    before = line_state(line)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_addon(alice, line, "DATA5G")

    assert refused.value.code == "base_package_required"
    assert line_state(line) == before


def test_addon_already_held_is_refused(alice: User, line_on_58: Subscription) -> None:
    addon("DATA5G", "5GB流量包")
    services.subscribe_addon(alice, line_on_58, "DATA5G")
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_addon(alice, line_on_58, "DATA5G")

    assert refused.value.code == "product_already_held"
    assert line_state(line_on_58) == before


# --- mutual exclusion ------------------------------------------------------------------------


def test_addon_in_the_exclusion_group_of_a_held_one_is_refused_naming_it(alice: User, line_on_58: Subscription) -> None:
    addon("NIGHT10G", "夜间10GB流量包", exclusion_group="night")
    addon("NIGHT20G", "夜间20GB流量包", exclusion_group="night")
    services.subscribe_addon(alice, line_on_58, "NIGHT10G")
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_addon(alice, line_on_58, "NIGHT20G")

    assert refused.value.code == "products_exclusive"
    assert "夜间10GB流量包" in refused.value.message
    assert "夜间20GB流量包" in refused.value.message
    assert line_state(line_on_58) == before


@pytest.mark.parametrize(("held_code", "wanted_code"), [("VIDEO", "MUSIC"), ("MUSIC", "VIDEO")])
def test_products_that_exclude_each_other_are_refused_either_way_round(
    alice: User, line_on_58: Subscription, held_code: str, wanted_code: str
) -> None:
    video = addon("VIDEO", "视频定向流量包")
    music = addon("MUSIC", "音乐定向流量包")
    video.excludes.add(music)  # declared once; holds both ways
    services.subscribe_addon(alice, line_on_58, held_code)
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_addon(alice, line_on_58, wanted_code)

    held_name = Product.objects.get(code=held_code).name
    assert refused.value.code == "products_exclusive"
    assert f"“{held_name}”" in refused.value.message
    assert line_state(line_on_58) == before


def test_products_in_different_exclusion_groups_are_held_together(alice: User, line_on_58: Subscription) -> None:
    addon("NIGHT10G", "夜间10GB流量包", exclusion_group="night")
    addon("VOICE100", "100分钟语音包", exclusion_group="voice")

    services.subscribe_addon(alice, line_on_58, "NIGHT10G")
    services.subscribe_addon(alice, line_on_58, "VOICE100")

    assert _active_codes(line_on_58) == ["BASE58", "NIGHT10G", "VOICE100"]


def test_base_package_excluded_by_a_held_campaign_is_refused(
    alice: User, line_on_58: Subscription, base_88: Product
) -> None:
    loyalty = campaign("LOYAL58", "58元老用户回馈")
    loyalty.excludes.add(base_88)
    services.subscribe_addon(alice, line_on_58, "LOYAL58")
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as refused:
        services.change_base_package(alice, line_on_58, "BASE88")

    assert refused.value.code == "products_exclusive"
    assert "58元老用户回馈" in refused.value.message
    assert line_state(line_on_58) == before


# --- campaigns and sale dates --------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_offset", "until_offset", "code"),
    [
        (1, 30, "product_not_yet_on_sale"),
        (-30, -1, "product_no_longer_on_sale"),
    ],
)
def test_campaign_outside_its_validity_is_refused(
    alice: User, line_on_58: Subscription, from_offset: int, until_offset: int, code: str
) -> None:
    today = timezone.localdate()
    campaign(
        "SPRING",
        "春节流量翻倍",
        valid_from=today + dt.timedelta(days=from_offset),
        valid_until=today + dt.timedelta(days=until_offset),
    )
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_addon(alice, line_on_58, "SPRING")

    assert refused.value.code == code
    assert line_state(line_on_58) == before


@pytest.mark.parametrize(("from_offset", "until_offset"), [(0, 0), (-10, 10), (None, None)])
def test_campaign_within_its_validity_is_accepted(
    alice: User, line_on_58: Subscription, from_offset: int | None, until_offset: int | None
) -> None:
    today = timezone.localdate()
    campaign(
        "SPRING",
        "春节流量翻倍",
        valid_from=None if from_offset is None else today + dt.timedelta(days=from_offset),
        valid_until=None if until_offset is None else today + dt.timedelta(days=until_offset),
    )

    offering = services.subscribe_addon(alice, line_on_58, "SPRING")

    held = offerings_for(line_on_58.pk)
    assert [o.id for o in held.campaigns] == [offering.id]
    assert held.addons == []


def test_campaign_in_the_exclusion_group_of_a_held_campaign_is_refused(alice: User, line_on_58: Subscription) -> None:
    campaign("SPRING", "春节流量翻倍", exclusion_group="festival")
    campaign("NATIONAL", "国庆话费返还", exclusion_group="festival")
    services.subscribe_addon(alice, line_on_58, "SPRING")
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_addon(alice, line_on_58, "NATIONAL")

    assert refused.value.code == "products_exclusive"
    assert "春节流量翻倍" in refused.value.message
    assert line_state(line_on_58) == before


def test_product_taken_off_sale_is_refused(alice: User, line_on_58: Subscription) -> None:
    addon("OLD1G", "1GB老流量包", is_active=False)
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_addon(alice, line_on_58, "OLD1G")

    assert refused.value.code == "product_not_on_sale"
    assert line_state(line_on_58) == before


def test_unknown_product_is_refused(alice: User, line_on_58: Subscription) -> None:
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_addon(alice, line_on_58, "NOSUCH")

    assert refused.value.code == "product_not_found"
    assert line_state(line_on_58) == before


# --- service kind and line status -----------------------------------------------------------------


def test_broadband_package_on_a_mobile_line_is_refused(alice: User, line_on_58: Subscription) -> None:
    ProductFactory(code="FIBER300", name="300M光纤宽带", service=ServiceKind.BROADBAND)
    addon("SPEEDUP", "提速包", service=ServiceKind.BROADBAND)
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as base_refused:
        services.change_base_package(alice, line_on_58, "FIBER300")
    with pytest.raises(BusinessRuleError) as addon_refused:
        services.subscribe_addon(alice, line_on_58, "SPEEDUP")

    assert base_refused.value.code == addon_refused.value.code == "product_wrong_service"
    assert line_state(line_on_58) == before


@pytest.mark.parametrize("status", [SubscriptionStatus.SUSPENDED, SubscriptionStatus.TERMINATED])
def test_a_line_that_is_not_active_refuses_every_change(
    alice: User, line_on_58: Subscription, base_88: Product, status: str
) -> None:
    data = OfferingFactory(subscription=line_on_58, product=addon("DATA5G", "5GB流量包"))
    addon("VOICE100", "100分钟语音包")
    ValueAddedServiceFactory(code="CLIP", name="来电显示")
    missed_calls = VasSubscriptionFactory(
        subscription=line_on_58, service=ValueAddedServiceFactory(code="MCA", name="来电提醒")
    )
    Subscription.objects.filter(pk=line_on_58.pk).update(status=status)
    before = line_state(line_on_58)
    changes = [
        lambda: services.change_base_package(alice, line_on_58, "BASE88"),
        lambda: services.subscribe_addon(alice, line_on_58, "VOICE100"),
        lambda: services.cancel_offering(alice, line_on_58, data.pk),
        lambda: services.subscribe_value_added_service(alice, line_on_58, "CLIP", {}),
        lambda: services.cancel_value_added_service(alice, line_on_58, missed_calls.pk),
    ]

    codes = []
    for change in changes:
        with pytest.raises(BusinessRuleError) as refused:
            change()
        codes.append(refused.value.code)

    assert codes == ["line_not_active"] * 5
    assert line_state(line_on_58) == before


# --- cancelling ------------------------------------------------------------------------


def test_cancelling_an_addon_ends_it_and_keeps_the_base(alice: User, line_on_58: Subscription) -> None:
    addon("DATA5G", "5GB流量包")
    offering = services.subscribe_addon(alice, line_on_58, "DATA5G")

    services.cancel_offering(alice, line_on_58, offering.id)

    ended = Offering.objects.get(pk=offering.id)
    assert ended.status == OfferingStatus.ENDED
    assert ended.ended_at is not None
    assert _active_codes(line_on_58) == ["BASE58"]


def test_a_base_package_cannot_be_cancelled(alice: User, line_on_58: Subscription) -> None:
    base = Offering.objects.get(subscription=line_on_58)
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as refused:
        services.cancel_offering(alice, line_on_58, base.pk)

    assert refused.value.code == "base_package_not_cancellable"
    assert line_state(line_on_58) == before


def test_cancelling_an_offering_of_another_line_is_refused(
    alice: User, line_on_58: Subscription, base_58: Product
) -> None:
    other_line = SubscriptionFactory(identifier="13987654321")
    OfferingFactory(subscription=other_line, product=base_58)
    theirs = OfferingFactory(subscription=other_line, product=addon("DATA5G", "5GB流量包"))
    before = (line_state(line_on_58), line_state(other_line))

    with pytest.raises(BusinessRuleError) as refused:
        services.cancel_offering(alice, line_on_58, theirs.pk)

    assert refused.value.code == "offering_not_found"
    assert (line_state(line_on_58), line_state(other_line)) == before


def test_cancelling_an_offering_already_ended_is_refused(alice: User, line_on_58: Subscription) -> None:
    addon("DATA5G", "5GB流量包")
    offering = services.subscribe_addon(alice, line_on_58, "DATA5G")
    services.cancel_offering(alice, line_on_58, offering.id)
    before = line_state(line_on_58)

    with pytest.raises(BusinessRuleError) as refused:
        services.cancel_offering(alice, line_on_58, offering.id)

    assert refused.value.code == "offering_not_found"
    assert line_state(line_on_58) == before


# --- what can be offered ------------------------------------------------------------------------


def test_catalog_offers_what_the_line_could_take_today(alice: User, line_on_58: Subscription, base_88: Product) -> None:
    today = timezone.localdate()
    addon("NIGHT10G", "夜间10GB流量包", exclusion_group="night")
    addon("NIGHT20G", "夜间20GB流量包", exclusion_group="night")
    addon("VOICE100", "100分钟语音包", monthly_fee=Decimal("15.00"))
    addon("OLD1G", "1GB老流量包", is_active=False)
    campaign("SPRING", "春节流量翻倍", valid_from=today + dt.timedelta(days=1))
    campaign("SUMMER", "暑期流量包", valid_until=today)
    ProductFactory(code="FIBER300", name="300M光纤宽带", service=ServiceKind.BROADBAND)
    services.subscribe_addon(alice, line_on_58, "NIGHT10G")

    offered = catalog_for(line_on_58.pk)

    assert [p.code for p in offered] == ["BASE88", "VOICE100", "SUMMER"]


def test_catalog_offers_no_addons_to_a_line_without_a_base_package(line: Subscription, base_58: Product) -> None:
    addon("VOICE100", "100分钟语音包")

    assert [p.code for p in catalog_for(line.pk)] == ["BASE58"]


def test_catalog_offers_nothing_on_a_suspended_line(line_on_58: Subscription, base_88: Product) -> None:
    Subscription.objects.filter(pk=line_on_58.pk).update(status=SubscriptionStatus.SUSPENDED)

    assert catalog_for(line_on_58.pk) == []


def test_reading_a_line_and_its_catalog_takes_a_fixed_number_of_queries(
    alice: User, line_on_58: Subscription, base_88: Product, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for number in range(5):
        addon(f"PACK{number}", f"流量包{number}", exclusion_group=f"group{number}")
        services.subscribe_addon(alice, line_on_58, f"PACK{number}")
        addon(f"MORE{number}", f"语音包{number}").excludes.add(base_88)
    VasSubscriptionFactory(subscription=line_on_58)
    VasSubscriptionFactory(subscription=line_on_58)

    with django_assert_num_queries(2):  # offerings with products, services with definitions
        held = offerings_for(line_on_58.pk)
    with django_assert_num_queries(4):  # line, held offerings, candidates, their exclusions
        offered = catalog_for(line_on_58.pk)

    assert (len(held.addons), len(held.value_added)) == (5, 2)
    assert [p.code for p in offered] == ["BASE88", "MORE0", "MORE1", "MORE2", "MORE3", "MORE4"]
