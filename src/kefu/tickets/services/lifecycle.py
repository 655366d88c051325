"""The work order state machine (PRODUCT §5): which action is allowed from which state, for
whom, with what reason — and the history event every change leaves behind."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.tickets.choices import Channel, EventKind, Status
from kefu.tickets.models import OrderEvent, WorkOrder


@dataclass(frozen=True)
class Action:
    code: str
    label: Any
    sources: tuple[str, ...]
    target: str | None  # None: the status does not change (e.g. escalate)
    permission: str
    needs_reason: bool = False
    assignee_only: bool = False  # field/back-office work: the assignee or their team


S = Status
ACTIONS: dict[str, Action] = {
    a.code: a
    for a in (
        Action("dispatch", gettext_lazy("Dispatch"), (S.NEW, S.RETURNED), S.DISPATCHED, "tickets.dispatch_workorder"),
        Action(
            "redispatch",
            gettext_lazy("Re-dispatch"),
            (S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.PENDING),
            S.DISPATCHED,
            "tickets.dispatch_workorder",
            needs_reason=True,
        ),
        Action(
            "accept", gettext_lazy("Accept"), (S.DISPATCHED,), S.ACCEPTED, "tickets.work_workorder", assignee_only=True
        ),
        Action(
            "start",
            gettext_lazy("Start work"),
            (S.ACCEPTED,),
            S.IN_PROGRESS,
            "tickets.work_workorder",
            assignee_only=True,
        ),
        Action(
            "hold",
            gettext_lazy("Put on hold"),
            (S.ACCEPTED, S.IN_PROGRESS),
            S.PENDING,
            "tickets.work_workorder",
            needs_reason=True,
            assignee_only=True,
        ),
        Action(
            "resume", gettext_lazy("Resume"), (S.PENDING,), S.IN_PROGRESS, "tickets.work_workorder", assignee_only=True
        ),
        Action(
            "return",
            gettext_lazy("Return to dispatcher"),
            (S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.PENDING),
            S.RETURNED,
            "tickets.work_workorder",
            needs_reason=True,
            assignee_only=True,
        ),
        Action(
            "resolve",
            gettext_lazy("Report completion"),
            (S.ACCEPTED, S.IN_PROGRESS),
            S.RESOLVED,
            "tickets.work_workorder",
            needs_reason=True,
            assignee_only=True,
        ),
        Action("close", gettext_lazy("Close after callback"), (S.RESOLVED,), S.CLOSED, "tickets.callback_workorder"),
        Action(
            "reopen",
            gettext_lazy("Reopen"),
            (S.RESOLVED, S.CLOSED),
            S.RETURNED,
            "tickets.callback_workorder",
            needs_reason=True,
        ),
        Action(
            "cancel",
            gettext_lazy("Cancel"),
            (S.NEW, S.DISPATCHED, S.RETURNED),
            S.CANCELLED,
            "tickets.supervise_workorder",
            needs_reason=True,
        ),
        Action(
            "escalate",
            gettext_lazy("Escalate"),
            (S.NEW, S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.PENDING, S.RETURNED),
            None,
            "tickets.supervise_workorder",
            needs_reason=True,
        ),
    )
}


def is_in_scope(actor: Any, order: WorkOrder) -> bool:
    """Field and back-office work: on orders assigned to the actor, to their team, or in their areas."""
    if actor is None or actor.is_superuser:
        return True
    if order.assignee_id == actor.pk:
        return True
    if order.team_id is not None and order.team_id == actor.team_id:
        return True
    if order.service_area_id is not None:
        paths = list(actor.areas.values_list("path", flat=True))
        area_path = order.service_area.path if order.service_area else ""
        return any(area_path.startswith(path) for path in paths)
    return False


def check_action(actor: Any, order: WorkOrder, code: str, reason: str = "") -> Action:
    """Refuse (with a message for a person) anything the state machine or the role does not allow."""
    action = ACTIONS[code]
    if actor is not None and not actor.has_perm(action.permission):
        raise NotAllowed(_("Your role may not %(action)s work orders.") % {"action": str(action.label).lower()})
    if order.status not in action.sources:
        raise BusinessRuleError(
            _("Order %(number)s is %(status)s: it cannot be %(action)s now.")
            % {"number": order.number, "status": order.get_status_display(), "action": str(action.label).lower()},
            code="illegal_transition",
        )
    supervises = actor is None or actor.has_perm("tickets.supervise_workorder")
    if action.assignee_only and not supervises and not is_in_scope(actor, order):
        raise NotAllowed(_("Order %(number)s is not assigned to you or your team.") % {"number": order.number})
    if action.needs_reason and not reason.strip():
        raise BusinessRuleError(_("Please give a reason."), code="reason_required")
    return action


def ensure_can_work(actor: Any, order: WorkOrder) -> None:
    """Field and back-office work outside a status change (progress reports, photos)."""
    if actor is None:
        return
    if not actor.has_perm("tickets.work_workorder"):
        raise NotAllowed(_("Your role may not work on orders."))
    if not actor.has_perm("tickets.supervise_workorder") and not is_in_scope(actor, order):
        raise NotAllowed(_("Order %(number)s is not assigned to you or your team.") % {"number": order.number})


def available_actions(actor: Any, order: WorkOrder) -> list[Action]:
    """What this person may do to this order now (for buttons)."""
    allowed = []
    for action in ACTIONS.values():
        try:
            check_action(actor, order, action.code, reason="x")
        except (BusinessRuleError, NotAllowed):
            continue
        allowed.append(action)
    return allowed


def event_for(
    order: WorkOrder,
    *,
    actor: Any,
    kind: str,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    channel: str = Channel.DESK,
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> OrderEvent:
    """An event of the order's history, not yet saved (`record_event` saves one)."""
    is_person = actor is not None and getattr(actor, "is_authenticated", False)
    return OrderEvent(
        order=order,
        at=at or timezone.now(),
        actor=actor if is_person else None,
        actor_label=str(actor) if is_person else "system",
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        channel=channel,
        data=data or {},
    )


def record_event(order: WorkOrder, **fields: Any) -> OrderEvent:
    """Save one event of the order's history (the fields of `event_for`)."""
    event = event_for(order, **fields)
    event.save(force_insert=True)
    return event


def transition(
    order: WorkOrder,
    action: Action,
    *,
    actor: Any,
    reason: str = "",
    channel: str = Channel.DESK,
    data: dict[str, Any] | None = None,
    at: dt.datetime,
) -> OrderEvent | None:
    """Apply the status change of an already-checked action; its event, not yet saved."""
    if action.target is None:
        return None
    before = order.status
    order.status = action.target
    return event_for(
        order,
        actor=actor,
        kind=EventKind.TRANSITION,
        from_status=before,
        to_status=action.target,
        reason=reason,
        channel=channel,
        data={"action": action.code, **(data or {})},
        at=at,
    )


def move(order: WorkOrder, action: Action, **fields: Any) -> OrderEvent | None:
    """Apply the status change of an already-checked action and record it."""
    event = transition(order, action, **fields)
    if event is not None:
        event.save(force_insert=True)
    return event
