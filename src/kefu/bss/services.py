"""Every change to a customer's business goes through here, from every channel (PRODUCT §2).

Each function checks that the actor may make the change, asks the configured BSS adapter
to make it (the adapter enforces the business rules and refuses with BusinessRuleError),
and records it in the audit trail. `actor` is a member of staff, or None when the system
itself or a customer acting through self-service makes the change.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.bss.adapters import get_adapter
from kefu.bss.adapters.base import Balance, OfferingView, VasView
from kefu.core import audit
from kefu.core.errors import NotAllowed
from kefu.customers.models import Customer, Subscription

CHANGE_PERMISSION = "bss.change_offerings"


def ensure_can_change_offerings(actor: Any) -> None:
    if actor is not None and not actor.has_perm(CHANGE_PERMISSION):
        raise NotAllowed(_("You may not change a customer's packages, services or payments."))


@transaction.atomic
def change_base_package(actor: Any, subscription: Subscription, product_code: str) -> OfferingView:
    """Replace the line's base package (套餐变更): the old one ends, the new one starts now."""
    ensure_can_change_offerings(actor)
    adapter = get_adapter()
    before = adapter.line_offerings(subscription.pk).base
    offering = adapter.change_base_package(subscription.pk, product_code, timezone.now())
    audit.record(
        actor=actor,
        action="bss.base_package_changed",
        target=subscription,
        changes={"base_package": [before.product.code if before else None, offering.product.code]},
    )
    return offering


@transaction.atomic
def subscribe_addon(actor: Any, subscription: Subscription, product_code: str) -> OfferingView:
    """Add an add-on pack (叠加包) or a marketing campaign (营销活动) to the line."""
    ensure_can_change_offerings(actor)
    offering = get_adapter().subscribe_product(subscription.pk, product_code, timezone.now())
    audit.record(
        actor=actor,
        action="bss.product_subscribed",
        target=subscription,
        changes={"product": [None, offering.product.code], "offering": [None, offering.id]},
    )
    return offering


@transaction.atomic
def cancel_offering(actor: Any, subscription: Subscription, offering_id: int) -> None:
    """End an add-on pack or campaign on the line (退订); a base package is changed instead."""
    ensure_can_change_offerings(actor)
    adapter = get_adapter()
    held = adapter.line_offerings(subscription.pk)
    cancelled = next((o for o in [*held.addons, *held.campaigns] if o.id == offering_id), None)
    adapter.cancel_offering(subscription.pk, offering_id, timezone.now())
    audit.record(
        actor=actor,
        action="bss.offering_cancelled",
        target=subscription,
        changes={
            "product": [cancelled.product.code if cancelled else None, None],
            "offering": [offering_id, None],
        },
    )


@transaction.atomic
def subscribe_value_added_service(
    actor: Any, subscription: Subscription, vas_code: str, parameters: dict[str, Any]
) -> VasView:
    """Subscribe the line to a value-added service (增值业务) with its parameters."""
    ensure_can_change_offerings(actor)
    held = get_adapter().subscribe_vas(subscription.pk, vas_code, parameters, timezone.now())
    audit.record(
        actor=actor,
        action="bss.vas_subscribed",
        target=subscription,
        changes={"value_added_service": [None, held.code], "parameters": [None, held.parameters]},
    )
    return held


@transaction.atomic
def cancel_value_added_service(actor: Any, subscription: Subscription, vas_subscription_id: int) -> None:
    ensure_can_change_offerings(actor)
    adapter = get_adapter()
    held = adapter.line_offerings(subscription.pk).value_added
    cancelled = next((vas for vas in held if vas.id == vas_subscription_id), None)
    adapter.cancel_vas(subscription.pk, vas_subscription_id, timezone.now())
    audit.record(
        actor=actor,
        action="bss.vas_cancelled",
        target=subscription,
        changes={
            "value_added_service": [cancelled.code if cancelled else None, None],
            "vas_subscription": [vas_subscription_id, None],
        },
    )


@transaction.atomic
def record_payment(actor: Any, customer: Customer, amount: Decimal, channel: str, reference: str) -> Balance:
    """Take a payment or top-up (缴费/充值) into the customer's account.

    A repeat delivery of the same reference and amount is answered with the balance and
    recorded nowhere a second time.
    """
    ensure_can_change_offerings(actor)
    adapter = get_adapter()
    is_repeat = adapter.payment_by_reference(reference.strip()) is not None
    balance = adapter.record_payment(customer.pk, amount, channel, reference, timezone.now())
    if not is_repeat:
        audit.record(
            actor=actor,
            action="bss.payment_recorded",
            target=customer,
            changes={
                "amount": [None, f"{amount:.2f}"],
                "channel": [None, channel],
                "reference": [None, reference.strip()],
                "account": [None, balance.account_number],
            },
        )
    return balance


@transaction.atomic
def raise_charge(actor: Any, customer: Customer, amount: Decimal, description: str, reference: str) -> Balance:
    """Charge a one-off fee (一次性费用) to the customer's account; a repeated reference is a no-op.

    `actor` None means the system charges as the consequence of completed work (serve first,
    then charge); a person needs the right to change the customer's business.
    """
    ensure_can_change_offerings(actor)
    adapter = get_adapter()
    balance = adapter.raise_charge(customer.pk, amount, description, reference, timezone.now())
    audit.record(
        actor=actor,
        action="bss.charge_raised",
        target=customer,
        changes={"amount": [None, f"{amount:.2f}"], "reference": [None, reference], "description": [None, description]},
    )
    return balance
