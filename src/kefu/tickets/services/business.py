"""Business requests (业务受理, S1 §4.2.3): pay first then serve, or serve first then charge;
completing a request changes the customer's services through the bss and customers layers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.bss import services as bss
from kefu.core.errors import BusinessRuleError
from kefu.customers import services as customer_services
from kefu.customers.choices import SubscriptionStatus
from kefu.tickets.choices import Channel, EventKind, Fulfilment, PaymentFlow, Status
from kefu.tickets.models import WorkOrder
from kefu.tickets.services import dispatch as routing
from kefu.tickets.services.lifecycle import record_event

LINE_STATUS_AFTER = {
    Fulfilment.ACTIVATE: SubscriptionStatus.ACTIVE,
    Fulfilment.RESUME: SubscriptionStatus.ACTIVE,
    Fulfilment.SUSPEND: SubscriptionStatus.SUSPENDED,
    Fulfilment.DISCONNECT: SubscriptionStatus.TERMINATED,
}


@transaction.atomic
def record_order_payment(*, actor: Any, order: WorkOrder, amount: Decimal, channel: str, reference: str) -> WorkOrder:
    """The customer paid for a pay-first request: record it in bss, then work can be dispatched."""
    from kefu.tickets.services.orders import _dispatch, _locked

    order = _locked(order)
    if order.payment_flow != PaymentFlow.PAY_FIRST or order.paid_at is not None:
        raise BusinessRuleError(
            _("Order %(number)s is not waiting for a payment.") % {"number": order.number}, code="not_awaiting_payment"
        )
    if amount != order.fee:
        raise BusinessRuleError(
            _("The fee is ¥%(fee)s; ¥%(amount)s was given.") % {"fee": order.fee, "amount": amount},
            code="payment_amount",
        )
    if order.customer is None:
        raise BusinessRuleError(_("The order has no customer to take payment from."), code="no_customer")
    bss.record_payment(actor, order.customer, amount, channel, reference)
    bss.raise_charge(
        actor, order.customer, amount, _("Fee for %(type)s") % {"type": order.order_type.name}, f"{order.number}-fee"
    )
    now = timezone.now()
    order.paid_at, order.payment_reference = now, reference
    record_event(
        order, actor=actor, kind=EventKind.PAYMENT, at=now, data={"amount": str(amount), "reference": reference}
    )
    order.save()
    if order.status == Status.NEW:
        team, worker = routing.auto_route(order)
        if team is not None:
            _dispatch(order, actor=None, team=team, assignee=worker, reason="", at=now, channel=Channel.SYSTEM)
    return order


def fulfil(*, actor: Any, order: WorkOrder, at: dt.datetime) -> None:
    """What completing the order does to the customer's services, and the serve-first charge."""
    fulfilment = order.order_type.fulfilment
    if fulfilment != Fulfilment.NONE and order.subscription is None:
        raise BusinessRuleError(_("This request needs the customer's line to complete."), code="line_required")
    subscription = order.subscription
    if subscription is not None and fulfilment in LINE_STATUS_AFTER:
        customer_services.change_subscription_status(
            actor=actor,
            subscription=subscription,
            status=LINE_STATUS_AFTER[Fulfilment(fulfilment)],
            reason=order.number,
        )
    elif subscription is not None and fulfilment == Fulfilment.CHANGE_PACKAGE:
        target = order.fields.get("target_package", "")
        if not target:
            raise BusinessRuleError(_("The order does not say which package to change to."), code="target_required")
        bss.change_base_package(None, subscription, target)
    if order.payment_flow == PaymentFlow.SERVE_FIRST and order.fee > 0 and order.charged_at is None:
        if order.customer is None:
            raise BusinessRuleError(_("The order has no customer to charge."), code="no_customer")
        bss.raise_charge(
            None,  # the system charges for completed work; the engineer needs no billing rights
            order.customer,
            order.fee,
            _("Fee for %(type)s") % {"type": order.order_type.name},
            f"{order.number}-fee",
        )
        order.charged_at = at
        record_event(order, actor=actor, kind=EventKind.PAYMENT, at=at, data={"charged": str(order.fee)})
