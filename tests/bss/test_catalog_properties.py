"""Whatever agents and customers try, in whatever order, a line never ends up holding two
base packages, two products that exclude each other, or an add-on without a base."""

from __future__ import annotations

from itertools import combinations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.bss import services
from kefu.bss.choices import OfferingStatus, ProductKind
from kefu.bss.models import Offering, Product
from kefu.bss.queries import catalog_for, offerings_for
from kefu.core.errors import BusinessRuleError
from kefu.customers.models import Subscription
from tests.bss.conftest import addon, campaign
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

CODES = ["BASE58", "BASE88", "BASE128", "NIGHT10G", "NIGHT20G", "VIDEO", "MUSIC", "SPRING", "LOYAL"]
Step = tuple[str, str]
steps = st.lists(
    st.tuples(st.sampled_from(["change_base", "subscribe", "cancel"]), st.sampled_from(CODES)),
    max_size=15,
)


@pytest.fixture
def catalog(db: None) -> None:
    ProductFactory(code="BASE58", name="畅享58元套餐")
    ProductFactory(code="BASE88", name="畅享88元套餐")
    base_128 = ProductFactory(code="BASE128", name="畅享128元套餐", exclusion_group="premium")
    addon("NIGHT10G", "夜间10GB流量包", exclusion_group="night")
    addon("NIGHT20G", "夜间20GB流量包", exclusion_group="night")
    video = addon("VIDEO", "视频定向流量包")
    video.excludes.add(addon("MUSIC", "音乐定向流量包"))
    campaign("SPRING", "春节流量翻倍", exclusion_group="night")
    campaign("LOYAL", "老用户回馈").excludes.add(base_128)


def _try(line: Subscription, action: str, code: str) -> None:
    try:
        if action == "change_base":
            services.change_base_package(None, line, code)
        elif action == "subscribe":
            services.subscribe_addon(None, line, code)
        else:
            held = Offering.objects.filter(subscription=line, status=OfferingStatus.ACTIVE, product__code=code).first()
            services.cancel_offering(None, line, held.pk if held else 0)
    except BusinessRuleError:
        pass


def _assert_line_is_consistent(line: Subscription) -> None:
    active = list(Offering.objects.filter(subscription=line, status=OfferingStatus.ACTIVE).select_related("product"))
    bases = [o for o in active if o.kind == ProductKind.BASE]
    assert len(bases) <= 1
    if any(o.kind == ProductKind.ADDON for o in active):
        assert len(bases) == 1
    for first, second in combinations([o.product for o in active], 2):
        assert first.pk != second.pk
        assert not (first.exclusion_group and first.exclusion_group == second.exclusion_group)
        assert not first.excludes.filter(pk=second.pk).exists()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_random_changes_keep_one_base_and_no_exclusive_products(
    line: Subscription, catalog: None, steps: list[Step]
) -> None:
    # Each example starts from the same empty line: its changes are rolled back afterwards.
    with transaction.atomic():
        for action, code in steps:
            _try(line, action, code)
            _assert_line_is_consistent(line)
        transaction.set_rollback(True)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_everything_the_catalog_offers_can_be_taken(line: Subscription, catalog: None, steps: list[Step]) -> None:
    with transaction.atomic():
        for action, code in steps:
            _try(line, action, code)
        for product in catalog_for(line.pk):
            with transaction.atomic():
                if product.kind == ProductKind.BASE:
                    services.change_base_package(None, line, product.code)
                else:
                    services.subscribe_addon(None, line, product.code)
                transaction.set_rollback(True)
        held = offerings_for(line.pk)
        held_codes = {o.product.code for o in [*held.addons, *held.campaigns]}
        if held.base:
            held_codes.add(held.base.product.code)
        assert not held_codes & {p.code for p in catalog_for(line.pk)}
        assert Product.objects.count() == len(CODES)
        transaction.set_rollback(True)
