"""SLA: choose the policy, compute deadlines on the business calendar, pause, and scan.

Deadlines live on the order; `next_sla_check` holds the next moment anything can happen
to it, so the periodic scan reads only the orders due now through one partial index and
no timer lives in memory (ARCHITECTURE §4).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from kefu.core.calendar import WorkingTime, load_working_time
from kefu.messaging import services as outbox
from kefu.tickets import config, notices
from kefu.tickets.choices import OPEN_STATUSES, Channel, EventKind
from kefu.tickets.models import OrderEvent, SlaPolicy, WorkOrder


def policy_for(order: WorkOrder) -> SlaPolicy | None:
    """The most specific policy matching the order's type, priority and customer tier."""
    order_type = order.order_type
    type_ids = [order_type.pk] + ([order_type.parent_id] if order_type.parent_id else [])
    tier = order.customer.tier if order.customer else ""
    priority, category = order.priority, order.category
    candidates = [
        policy
        for policy in config.policies.get()
        if (policy.order_type_id is None or policy.order_type_id in type_ids)
        and policy.category in (category, "")
        and policy.priority in (priority, "")
        and policy.tier in (tier, "")
    ]

    def specificity(policy: SlaPolicy) -> tuple[int, int]:
        score = 0
        if policy.order_type_id == order_type.pk:
            score += 16
        elif policy.order_type_id is not None:
            score += 8
        score += 4 if policy.category else 0
        score += 2 if policy.priority else 0
        score += 1 if policy.tier else 0
        return score, -policy.pk

    return max(candidates, key=specificity, default=None)


def working_time_for(order: WorkOrder, policy: SlaPolicy | None) -> WorkingTime:
    calendar = policy.calendar if policy and policy.calendar_id else (order.team.calendar if order.team else None)
    return load_working_time(calendar)


def _next_check(order: WorkOrder) -> dt.datetime | None:
    """The earliest threshold not yet acted on (None when nothing more can happen)."""
    if order.status not in OPEN_STATUSES or order.paused_at is not None or order.resolution_due is None:
        return None
    moments = []
    if order.responded_at is None and order.response_overdue_at is None and order.response_due:
        moments.append(order.response_due)
    if order.sla_warned_at is None and order.warn_at:
        moments.append(order.warn_at)
    if order.sla_overdue_at is None:
        moments.append(order.resolution_due)
    elif order.escalated_at is None and order.sla_policy:
        moments.append(order.resolution_due + dt.timedelta(minutes=order.sla_policy.escalate_after_minutes))
    return min(moments, default=None)


def apply_policy(order: WorkOrder, start: dt.datetime, *, reuse_policy: bool = False) -> None:
    """Set the deadlines on an order (not saved) from its policy and calendar.

    `reuse_policy`: keep the policy already on the order (chosen moments ago for the same
    type, priority and tier) and only compute the deadlines again."""
    policy = order.sla_policy if reuse_policy else policy_for(order)
    order.sla_policy = policy
    if policy is None:
        order.response_due = order.resolution_due = order.warn_at = order.next_sla_check = None
        return
    clock = working_time_for(order, policy)
    order.response_due = clock.add_working_minutes(start, policy.response_minutes)
    order.resolution_due = clock.add_working_minutes(start, policy.resolution_minutes)
    order.warn_at = clock.add_working_minutes(start, policy.resolution_minutes * policy.warn_at_percent // 100)
    order.next_sla_check = _next_check(order)


def pause(order: WorkOrder, at: dt.datetime) -> None:
    order.paused_at = at
    order.next_sla_check = None


def resume(order: WorkOrder, at: dt.datetime) -> None:
    """Shift every deadline still ahead at the pause by the working time spent paused."""
    paused_at = order.paused_at
    order.paused_at = None
    if paused_at is None or order.resolution_due is None:
        order.next_sla_check = _next_check(order)
        return
    clock = working_time_for(order, order.sla_policy)

    def shifted(deadline: dt.datetime | None) -> dt.datetime | None:
        if deadline is None or deadline <= paused_at:
            return deadline  # already passed when paused: a pause does not undo a breach
        remaining = clock.working_minutes_between(paused_at, deadline)
        return max(deadline, clock.add_working_minutes(at, remaining))

    order.response_due = shifted(order.response_due)
    order.warn_at = shifted(order.warn_at)
    order.resolution_due = shifted(order.resolution_due)
    order.next_sla_check = _next_check(order)


@dataclass
class ScanResult:
    checked: int = 0
    response_overdue: int = 0
    warnings: int = 0
    overdue: int = 0
    escalations: int = 0


def _event(order: WorkOrder, kind: str, at: dt.datetime, reason: str) -> OrderEvent:
    return OrderEvent(
        order=order,
        at=at,
        kind=kind,
        actor_label="system",
        channel=Channel.SYSTEM,
        reason=reason,
        from_status=order.status,
        to_status=order.status,
    )


def _supervisors() -> list[Any]:
    from django.contrib.auth import get_user_model

    from kefu.accounts.choices import Role

    return list(get_user_model().objects.filter(groups__name=Role.SUPERVISOR, is_active=True))


def scan(now: dt.datetime, batch_size: int = 500) -> ScanResult:
    """Raise each due warning, overdue alarm and escalation exactly once."""
    result = ScanResult()
    supervisors: list[Any] | None = None
    while True:
        with transaction.atomic():
            orders = list(
                WorkOrder.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(next_sla_check__lte=now, status__in=OPEN_STATUSES)
                .select_related(
                    "order_type",
                    "sla_policy",
                    "team__lead",
                    "assignee",
                    # the area manager up the tree gets the overdue SMS: no query per order
                    "service_area__manager",
                    "service_area__parent__manager",
                    "service_area__parent__parent__manager",
                )
                .order_by("next_sla_check")[:batch_size]
            )
            if not orders:
                return result
            events: list[OrderEvent] = []
            with outbox.batch():  # the batch's alarms in a few INSERTs
                for order in orders:
                    result.checked += 1
                    due = order.resolution_due
                    if due is None:
                        order.next_sla_check = None
                        continue
                    if (
                        order.responded_at is None
                        and order.response_overdue_at is None
                        and order.response_due
                        and order.response_due <= now
                    ):
                        order.response_overdue_at = now
                        result.response_overdue += 1
                        events.append(_event(order, EventKind.SLA_OVERDUE, now, "response overdue"))
                        lead = order.team.lead if order.team else None
                        notices.notify_staff(order, "sla_overdue", [lead], "response")
                    if order.sla_warned_at is None and order.warn_at and order.warn_at <= now and due > now:
                        order.sla_warned_at = now
                        result.warnings += 1
                        events.append(_event(order, EventKind.SLA_WARNING, now, "resolution due soon"))
                        notices.notify_staff(
                            order, "sla_warning", [order.assignee, order.team.lead if order.team else None], "warning"
                        )
                    if order.sla_overdue_at is None and due <= now:
                        order.sla_overdue_at = now
                        order.sla_warned_at = order.sla_warned_at or now
                        result.overdue += 1
                        events.append(_event(order, EventKind.SLA_OVERDUE, now, "resolution overdue"))
                        lead = order.team.lead if order.team else None
                        notices.notify_staff(order, "sla_overdue", [lead, order.assignee], "overdue")
                        manager = notices.area_manager_of(order.service_area)
                        notices.sms_staff(order, "sla_overdue", [manager], "overdue")
                    policy = order.sla_policy
                    if (
                        order.sla_overdue_at is not None
                        and order.escalated_at is None
                        and policy is not None
                        and due + dt.timedelta(minutes=policy.escalate_after_minutes) <= now
                    ):
                        order.escalated_at = now
                        order.escalation_level += 1
                        result.escalations += 1
                        events.append(_event(order, EventKind.ESCALATED, now, "overdue, escalated to managers"))
                        supervisors = _supervisors() if supervisors is None else supervisors
                        notices.notify_staff(order, "sla_escalated", supervisors, "escalated")
                    order.next_sla_check = _next_check(order)
            WorkOrder.objects.bulk_update(
                orders,
                [
                    "response_overdue_at",
                    "sla_warned_at",
                    "sla_overdue_at",
                    "escalated_at",
                    "escalation_level",
                    "next_sla_check",
                ],
            )
            OrderEvent.objects.bulk_create(events)
