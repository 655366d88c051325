"""Value-added services (PRODUCT §2): a tree of groups and leaves; subscribing checks the
leaf, the service kind and every declared parameter; cancelling ends the subscription."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kefu.accounts.models import User
from kefu.bss import services
from kefu.bss.adapters.base import VasNodeView, VasParameterView
from kefu.bss.choices import OfferingStatus
from kefu.bss.models import ValueAddedService, VasSubscription
from kefu.bss.queries import offerings_for, vas_tree
from kefu.core.errors import BusinessRuleError
from kefu.customers.choices import ServiceKind
from kefu.customers.models import Subscription
from tests.bss.conftest import line_state
from tests.bss.factories import ValueAddedServiceFactory, VasSubscriptionFactory
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

FORWARD_TO = {"name": "forward_to", "label": "转移号码", "kind": "phone"}


@pytest.fixture
def call_services(db: None) -> ValueAddedService:
    """通话服务 → 呼叫转移 (needs a number), 来电显示 (no parameters)."""
    group = ValueAddedServiceFactory(code="CALL", name="通话服务", is_subscribable=False, monthly_fee=Decimal("0.00"))
    ValueAddedServiceFactory(code="CFU", name="呼叫转移", parent=group, parameters=[FORWARD_TO])
    ValueAddedServiceFactory(code="CLIP", name="来电显示", parent=group)
    return group


def test_subscribing_stores_the_forwarding_number_normalised(
    alice: User, line: Subscription, call_services: ValueAddedService
) -> None:
    held = services.subscribe_value_added_service(alice, line, "CFU", {"forward_to": "+86 139-8765-4321"})

    assert (held.code, held.name, held.parameters) == ("CFU", "呼叫转移", {"forward_to": "13987654321"})
    stored = VasSubscription.objects.get(pk=held.id)
    assert (stored.status, stored.parameters) == (OfferingStatus.ACTIVE, {"forward_to": "13987654321"})
    assert [v.code for v in offerings_for(line.pk).value_added] == ["CFU"]


def test_family_numbers_are_normalised_and_listed_once(alice: User, line: Subscription) -> None:
    ValueAddedServiceFactory(
        code="FAMILY",
        name="亲情号码",
        parameters=[{"name": "members", "label": "亲情号码", "kind": "phone_list"}],
    )

    held = services.subscribe_value_added_service(
        alice, line, "FAMILY", {"members": "13987654321, +86 13987654321；025-8400-1234"}
    )

    assert held.parameters == {"members": ["13987654321", "2584001234"]}


@pytest.mark.parametrize(
    ("parameters", "code", "names"),
    [
        ({}, "vas_parameter_missing", "转移号码"),
        ({"forward_to": "  "}, "vas_parameter_missing", "转移号码"),
        ({"forward_to": "12345"}, "vas_parameter_invalid", "转移号码"),
        ({"forward_to": 13987654321}, "vas_parameter_invalid", "转移号码"),
        ({"forward_to": "13987654321", "ring_seconds": "20"}, "vas_parameter_unknown", "ring_seconds"),
    ],
)
def test_bad_parameters_are_refused_and_nothing_is_subscribed(
    alice: User,
    line: Subscription,
    call_services: ValueAddedService,
    parameters: dict[str, Any],
    code: str,
    names: str,
) -> None:
    before = line_state(line)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_value_added_service(alice, line, "CFU", parameters)

    assert refused.value.code == code
    assert names in refused.value.message
    assert line_state(line) == before


def test_a_group_of_services_cannot_be_subscribed(
    alice: User, line: Subscription, call_services: ValueAddedService
) -> None:
    before = line_state(line)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_value_added_service(alice, line, "CALL", {})

    assert refused.value.code == "vas_not_subscribable"
    assert line_state(line) == before


def test_a_leaf_marked_not_subscribable_is_refused(alice: User, line: Subscription) -> None:
    ValueAddedServiceFactory(code="EMERG", name="紧急呼叫", is_subscribable=False)
    before = line_state(line)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_value_added_service(alice, line, "EMERG", {})

    assert refused.value.code == "vas_not_subscribable"
    assert line_state(line) == before


def test_a_tv_service_on_a_mobile_line_is_refused(alice: User, line: Subscription) -> None:
    ValueAddedServiceFactory(code="REPLAY", name="回看", service=ServiceKind.INTERACTIVE_TV)
    before = line_state(line)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_value_added_service(alice, line, "REPLAY", {})

    assert refused.value.code == "vas_wrong_service"
    assert line_state(line) == before


def test_a_service_already_held_is_refused(alice: User, line: Subscription, call_services: ValueAddedService) -> None:
    services.subscribe_value_added_service(alice, line, "CLIP", {})
    before = line_state(line)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_value_added_service(alice, line, "CLIP", {})

    assert refused.value.code == "vas_already_held"
    assert line_state(line) == before


def test_an_unknown_service_is_refused(alice: User, line: Subscription) -> None:
    before = line_state(line)

    with pytest.raises(BusinessRuleError) as refused:
        services.subscribe_value_added_service(alice, line, "NOSUCH", {})

    assert refused.value.code == "vas_not_found"
    assert line_state(line) == before


def test_cancelling_ends_the_service_and_it_can_be_taken_again(
    alice: User, line: Subscription, call_services: ValueAddedService
) -> None:
    held = services.subscribe_value_added_service(alice, line, "CLIP", {})

    services.cancel_value_added_service(alice, line, held.id)
    again = services.subscribe_value_added_service(alice, line, "CLIP", {})

    ended = VasSubscription.objects.get(pk=held.id)
    assert ended.status == OfferingStatus.ENDED
    assert ended.ended_at is not None
    assert [v.id for v in offerings_for(line.pk).value_added] == [again.id]


def test_cancelling_a_service_of_another_line_is_refused(
    alice: User, line: Subscription, call_services: ValueAddedService
) -> None:
    other_line = SubscriptionFactory(identifier="13987654321")
    theirs = VasSubscriptionFactory(subscription=other_line, service=ValueAddedService.objects.get(code="CLIP"))
    before = (line_state(line), line_state(other_line))

    with pytest.raises(BusinessRuleError) as refused:
        services.cancel_value_added_service(alice, line, theirs.pk)

    assert refused.value.code == "vas_subscription_not_found"
    assert (line_state(line), line_state(other_line)) == before


def test_cancelling_a_service_already_ended_is_refused(
    alice: User, line: Subscription, call_services: ValueAddedService
) -> None:
    held = services.subscribe_value_added_service(alice, line, "CLIP", {})
    services.cancel_value_added_service(alice, line, held.id)
    before = line_state(line)

    with pytest.raises(BusinessRuleError) as refused:
        services.cancel_value_added_service(alice, line, held.id)

    assert refused.value.code == "vas_subscription_not_found"
    assert line_state(line) == before


def test_the_tree_nests_leaves_under_their_group_for_one_service_kind(
    call_services: ValueAddedService,
) -> None:
    ValueAddedServiceFactory(code="REPLAY", name="回看", service=ServiceKind.INTERACTIVE_TV)

    tree = vas_tree(ServiceKind.MOBILE)

    assert tree == [
        VasNodeView(
            code="CALL",
            name="通话服务",
            monthly_fee=Decimal("0.00"),
            is_subscribable=False,
            parameters=[],
            children=[
                VasNodeView(
                    code="CFU",
                    name="呼叫转移",
                    monthly_fee=Decimal("5.00"),
                    is_subscribable=True,
                    parameters=[VasParameterView(name="forward_to", label="转移号码", kind="phone")],
                ),
                VasNodeView(
                    code="CLIP",
                    name="来电显示",
                    monthly_fee=Decimal("5.00"),
                    is_subscribable=True,
                    parameters=[],
                ),
            ],
        )
    ]
    assert [node.code for node in vas_tree(ServiceKind.INTERACTIVE_TV)] == ["REPLAY"]
