"""Work order verbs: create, dispatch, accept, hold, resolve, call back, merge ...

Every function checks the state machine and the caller's role and scope first, changes
the order in one transaction, and leaves an event in the order's history.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.contacts.models import Contact
from kefu.core.db import Rows, insert_rows, insert_together
from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.customers.models import Customer, Subscription
from kefu.customers.phones import normalise_phone
from kefu.customers.queries import primary_contact
from kefu.messaging import services as outbox
from kefu.tickets import config, notices
from kefu.tickets.choices import (
    OPEN_STATUSES,
    Category,
    Channel,
    EventKind,
    PaymentFlow,
    PendingReason,
    Priority,
    Status,
)
from kefu.tickets.models import OrderEvent, OrderSequence, OrderType, WorkOrder
from kefu.tickets.services import dispatch as routing
from kefu.tickets.services import sla
from kefu.tickets.services.lifecycle import (
    ACTIONS,
    Action,
    check_action,
    ensure_can_work,
    event_for,
    move,
    record_event,
    transition,
)


def _now() -> dt.datetime:
    return timezone.now()


# Each process takes the day's numbers in blocks: one statement on the day's counter row per
# NUMBER_BLOCK orders instead of one per order. Numbers stay unique and readable; orders from
# several processes are not numbered in creation order, and a process that stops leaves the
# rest of its block unused (a gap, as a failed creation leaves one).
NUMBER_BLOCK = 20
_numbers_lock = threading.Lock()
_numbers: dict[dt.date, list[int]] = {}  # day -> [next, last] of this process's block


def next_order_number(at: dt.datetime) -> str:
    """GD + local date + 6-digit sequence of the day: GD20261122000123."""
    day = timezone.localtime(at).date()
    if connection.in_atomic_block:
        # The caller's transaction may roll the counter back: keep no block that another
        # process could then be given too.
        return f"GD{day:%Y%m%d}{_reserve_numbers(day, 1):06d}"
    with _numbers_lock:
        block = _numbers.get(day)
        if block is None or block[0] > block[1]:
            last = _reserve_numbers(day, NUMBER_BLOCK)
            block = _numbers[day] = [last - NUMBER_BLOCK + 1, last]
            for other in [d for d in _numbers if d < day]:
                del _numbers[other]
        number = block[0]
        block[0] += 1
    return f"GD{day:%Y%m%d}{number:06d}"


# Work order ids, on PostgreSQL, also in blocks per process (one `nextval` call per block):
# an order's id is known before it is written, so it is written with its events and notices
# in one statement. A sequence is never rolled back, so a block taken inside a transaction
# that rolls back is still this process's alone.
_ids_lock = threading.Lock()
_ids: list[int] = []  # this process's unused ids, next last


def next_order_id() -> int | None:
    """A work order id reserved for this process (PostgreSQL); None where the database assigns it."""
    if connection.vendor != "postgresql":
        return None
    with _ids_lock:
        if not _ids:
            table = WorkOrder._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, NUMBER_BLOCK],
                )
                _ids.extend(sorted((row[0] for row in cursor.fetchall()), reverse=True))
        return _ids.pop()


def _forget_in_child() -> None:
    # A forked child must not hand out the numbers and ids its parent holds.
    _numbers.clear()
    _ids.clear()


os.register_at_fork(after_in_child=_forget_in_child)


def forget_reserved_numbers() -> None:
    """Drop this process's unused numbers and ids (tests: the counter rows went with a
    rollback, a flush may restart the sequence)."""
    with _numbers_lock:
        _numbers.clear()
    with _ids_lock:
        _ids.clear()


def _reserve_numbers(day: dt.date, count: int) -> int:
    """Bump the day's counter by `count` (creating it) and return its new last value.

    The row stays locked until the surrounding transaction ends, so `create_order` takes its
    number in a transaction of its own (see there), unless the caller holds one open."""
    table = connection.ops.quote_name(OrderSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, %s) "  # noqa: S608 - our own table name
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + %s RETURNING last",
            [connection.ops.adapt_datefield_value(day), count, count],
        )
        return int(cursor.fetchone()[0])


def clean_fields(order_type: OrderType, values: dict[str, Any]) -> dict[str, Any]:
    """Validate the type's form fields: required ones present, no unknown ones, choices respected."""
    declared = {spec["name"]: spec for spec in order_type.form_fields}
    unknown = set(values) - set(declared)
    if unknown:
        raise BusinessRuleError(
            _("Unknown fields for %(type)s: %(fields)s")
            % {"type": order_type.name, "fields": ", ".join(sorted(unknown))},
            code="fields_unknown",
        )
    cleaned: dict[str, Any] = {}
    for name, spec in declared.items():
        value = values.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if spec.get("required"):
                raise BusinessRuleError(
                    _("%(field)s is required.") % {"field": spec.get("label", name)}, code="field_required"
                )
            continue
        if spec.get("choices") and value not in spec["choices"]:
            raise BusinessRuleError(
                _("%(field)s must be one of: %(choices)s")
                % {"field": spec.get("label", name), "choices": "、".join(spec["choices"])},
                code="field_choice",
            )
        cleaned[name] = value
    return cleaned


def _detect_complaint_flags(order: WorkOrder) -> None:
    """S1 §4.2.2: a repeat complaint (same customer, same type, within the window) and a
    secondary complaint (about the handling of an earlier order) are told apart."""
    if order.category != Category.COMPLAINT or order.customer_id is None:
        return
    window_start = order.created_at - dt.timedelta(days=order.order_type.repeat_window_days)
    earlier = WorkOrder.objects.filter(
        customer_id=order.customer_id,
        category=Category.COMPLAINT,
        order_type_id=order.order_type_id,
        created_at__gte=window_start,
        created_at__lt=order.created_at,
    ).exclude(status=Status.CANCELLED)
    order.is_repeat_complaint = earlier.exists()
    if order.related_order_id is not None:
        order.is_secondary_complaint = True


def create_order(
    *,
    actor: Any,
    order_type: OrderType,
    title: str,
    customer: Customer | None = None,
    subscription: Subscription | None = None,
    description: str = "",
    fields: dict[str, Any] | None = None,
    priority: str | None = None,
    channel: str = Channel.DESK,
    contact_phone: str = "",
    address: str = "",
    related_order: WorkOrder | None = None,
    parent: WorkOrder | None = None,
    auto_dispatch: bool = True,
    at: dt.datetime | None = None,
    source_contact: Contact | None = None,
) -> WorkOrder:
    """Open a work order (受理); dispatch it at once unless payment or a person must come first."""
    if actor is not None and not actor.has_perm("tickets.add_workorder"):
        raise NotAllowed(_("Your role may not open work orders."))
    if not order_type.is_active:
        raise BusinessRuleError(_("This order type is no longer in use."), code="type_inactive")
    if config.has_active_subtypes(order_type):
        raise BusinessRuleError(_("Choose a subtype of %(type)s.") % {"type": order_type.name}, code="subtype_required")
    if not title.strip():
        raise BusinessRuleError(_("A work order needs a title."), code="title_required")
    if priority is not None and priority not in Priority.values:
        raise BusinessRuleError(_("Unknown priority."), code="priority_invalid")
    if subscription is not None and customer is not None and subscription.customer_id != customer.pk:
        raise BusinessRuleError(_("That line belongs to another customer."), code="line_mismatch")
    if related_order is not None and customer is not None and related_order.customer_id != customer.pk:
        raise BusinessRuleError(_("The earlier order belongs to another customer."), code="related_mismatch")
    now = at or _now()
    cleaned = clean_fields(order_type, fields or {})
    phone = normalise_phone(contact_phone) if contact_phone.strip() else ""
    # The number first, in a transaction of its own (autocommit) unless the caller holds one
    # open: the day's counter row is locked until its transaction ends, and every order of the
    # day takes it, so holding it through the whole creation would let one order be created
    # at a time. An order that then fails to be written leaves a gap in the day's numbers.
    number = next_order_number(now)
    return _create_order(
        actor=actor,
        order_type=order_type,
        title=title,
        customer=customer,
        subscription=subscription,
        description=description,
        cleaned=cleaned,
        priority=priority,
        channel=channel,
        phone=phone,
        address=address,
        related_order=related_order,
        parent=parent,
        auto_dispatch=auto_dispatch,
        now=now,
        source_contact=source_contact,
        number=number,
    )


def _create_order(
    *,
    actor: Any,
    order_type: OrderType,
    title: str,
    customer: Customer | None,
    subscription: Subscription | None,
    description: str,
    cleaned: dict[str, Any],
    priority: str | None,
    channel: str,
    phone: str,
    address: str,
    related_order: WorkOrder | None,
    parent: WorkOrder | None,
    auto_dispatch: bool,
    now: dt.datetime,
    source_contact: Contact | None,
    number: str,
) -> WorkOrder:
    if customer is not None and (not phone or not address):
        primary_phone, primary_address = primary_contact(customer)
        phone = phone or primary_phone
        if not address:
            address = (subscription.address.text if subscription and subscription.address else "") or primary_address
    area = customer.service_area if customer is not None else None
    if subscription is not None and subscription.address and subscription.address.service_area:
        area = subscription.address.service_area

    order = WorkOrder(
        number=number,
        order_type=order_type,
        category=order_type.category,
        priority=priority or order_type.default_priority,
        channel=channel,
        title=title.strip(),
        description=description.strip(),
        fields=cleaned,
        customer=customer,
        subscription=subscription,
        contact_phone=phone,
        address=address,
        service_area=area,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
        related_order=related_order,
        parent=parent,
        source_contact=source_contact,
        payment_flow=order_type.payment_flow,
        fee=order_type.fee,
    )
    _detect_complaint_flags(order)
    sla.apply_policy(order, now)
    events = [
        event_for(
            order,
            actor=actor,
            kind=EventKind.CREATED,
            to_status=Status.NEW,
            channel=channel,
            at=now,
            data={
                "type": order_type.code,
                "priority": order.priority,
                "repeat_complaint": order.is_repeat_complaint,
                "secondary_complaint": order.is_secondary_complaint,
            },
        )
    ]
    team = worker = None
    if auto_dispatch and not awaits_payment(order):
        team, worker = routing.auto_route(order)
    if team is not None:
        # Dispatched before it is first written: one INSERT of the order, one of its events.
        dispatched = _assign(order, team=team, assignee=worker, actor=None, reason="", at=now, channel=Channel.SYSTEM)
        events += [dispatched] if dispatched is not None else []
        sla.apply_policy(order, now, reuse_policy=True)  # the team's calendar is known now
    # Everything above only read. The order, its events and its notices are written together:
    # on PostgreSQL, with an id reserved beforehand, in one statement (a transaction of its own
    # unless the caller holds one); elsewhere the order first, for its id, in one transaction.
    reserved = next_order_id()
    if reserved is None:
        with transaction.atomic():
            insert_rows([order])
            _write_with_history_and_notices(order, events)
    else:
        order.pk = reserved
        _write_with_history_and_notices(order, events)
    return order


def _write_with_history_and_notices(order: WorkOrder, events: list[OrderEvent]) -> None:
    """The new order (unless written already), its events and its notices, in one go."""
    for event in events:
        event.order = order
    with outbox.collect() as messages:
        notices.sms_customer(order, "order_created_customer", "created")
        if order.team_id is not None:  # dispatched at once
            _notify_dispatched(order)
        if order.priority == Priority.URGENT and order.category == Category.FAULT:
            people = notices.senior_staff(order)
            notices.notify_staff(order, "order_urgent", people, "urgent")
            notices.sms_staff(order, "order_urgent", people, "urgent")
    insert_together(Rows([order] if order._state.adding else []), Rows(events), Rows(messages, conflict=outbox.DEDUPE))
    outbox.written(messages)


def awaits_payment(order: WorkOrder) -> bool:
    return order.payment_flow == PaymentFlow.PAY_FIRST and order.fee > 0 and order.paid_at is None


def _dispatch(
    order: WorkOrder,
    *,
    actor: Any,
    team: Any,
    assignee: Any,
    reason: str,
    at: dt.datetime,
    channel: str,
) -> None:
    """Dispatch or re-dispatch an order already written (a new order is dispatched before it is)."""
    action = ACTIONS["redispatch" if order.status in ACTIONS["redispatch"].sources else "dispatch"]
    if awaits_payment(order):
        raise BusinessRuleError(
            _("Order %(number)s waits for payment of ¥%(fee)s before work can start.")
            % {"number": order.number, "fee": order.fee},
            code="awaiting_payment",
        )
    event = _assign(
        order, team=team, assignee=assignee, actor=actor, reason=reason, at=at, channel=channel, action=action
    )
    if order.sla_policy_id is None or order.dispatch_count == 1:
        # The team's calendar is known only now: deadlines follow it from the creation time.
        sla.apply_policy(order, order.created_at)
    order.save()
    if event is not None:
        event.save(force_insert=True)
    _notify_dispatched(order)


def _assign(
    order: WorkOrder,
    *,
    team: Any,
    assignee: Any,
    actor: Any,
    reason: str,
    at: dt.datetime,
    channel: str,
    action: Action | None = None,
) -> OrderEvent | None:
    """Put the order in the team's (and person's) hands; returns its transition event, unsaved."""
    order.team, order.assignee = team, assignee
    order.dispatched_at = at
    order.dispatch_count += 1
    return transition(
        order,
        action or ACTIONS["dispatch"],
        actor=actor,
        reason=reason,
        channel=channel,
        at=at,
        data={"team": team.name if team else "", "assignee": str(assignee) if assignee else ""},
    )


def _notify_dispatched(order: WorkOrder) -> None:
    key = f"dispatch{order.dispatch_count}"
    notices.notify_staff(order, "order_assigned", [order.assignee], key)
    notices.sms_staff(order, "order_dispatched_manager", [notices.area_manager_of(order.service_area)], key)


def _locked(order: WorkOrder) -> WorkOrder:
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("order_type", "service_area", "team", "assignee", "sla_policy", "customer")
        .get(pk=order.pk)
    )


@transaction.atomic
def dispatch_order(
    *, actor: Any, order: WorkOrder, team: Any = None, assignee: Any = None, reason: str = ""
) -> WorkOrder:
    """Dispatch (派单) or re-dispatch (重派): to the given team/person, or automatically."""
    order = _locked(order)
    code = "redispatch" if order.status in ACTIONS["redispatch"].sources else "dispatch"
    check_action(actor, order, code, reason)
    if team is None and assignee is None:
        team, assignee = routing.auto_route(order)
        if team is None:
            raise BusinessRuleError(_("No team serves this area for this order type."), code="no_team")
    elif team is None:
        team = assignee.team
    if assignee is not None and assignee.team_id != team.pk:
        raise BusinessRuleError(
            _("%(person)s is not in team %(team)s.") % {"person": assignee, "team": team}, code="assignee_team"
        )
    _dispatch(order, actor=actor, team=team, assignee=assignee, reason=reason, at=_now(), channel=Channel.DESK)
    return order


@transaction.atomic
def accept_order(*, actor: Any, order: WorkOrder, channel: str = Channel.DESK) -> WorkOrder:
    """The engineer or handler takes the order (接单): the response clock stops."""
    order = _locked(order)
    action = check_action(actor, order, "accept")
    now = _now()
    if order.assignee_id is None:
        order.assignee = actor
    order.responded_at = now
    order.next_sla_check = sla._next_check(order)
    move(order, action, actor=actor, channel=channel, at=now)
    order.save()
    return order


@transaction.atomic
def start_work(*, actor: Any, order: WorkOrder, note: str = "", channel: str = Channel.DESK) -> WorkOrder:
    order = _locked(order)
    action = check_action(actor, order, "start")
    move(order, action, actor=actor, reason=note, channel=channel, at=_now())
    order.save()
    return order


PROGRESS_STEPS = {"on_the_way": "出发", "arrived": "到达现场", "diagnosed": "已查明原因", "note": "备注"}


@transaction.atomic
def report_progress(
    *, actor: Any, order: WorkOrder, step: str, note: str = "", channel: str = Channel.FIELD
) -> WorkOrder:
    """Field progress (在途/到场 …): an event, and starting work when the engineer sets off."""
    order = _locked(order)
    if step not in PROGRESS_STEPS:
        raise BusinessRuleError(_("Unknown progress step."), code="step_invalid")
    if order.status == Status.ACCEPTED and step in ("on_the_way", "arrived"):
        action = check_action(actor, order, "start")
        move(order, action, actor=actor, reason=note, channel=channel, at=_now(), data={"step": step})
    else:
        if order.status not in (Status.ACCEPTED, Status.IN_PROGRESS, Status.PENDING):
            raise BusinessRuleError(
                _("Order %(number)s is %(status)s: no progress can be reported.")
                % {"number": order.number, "status": order.get_status_display()},
                code="illegal_transition",
            )
        ensure_can_work(actor, order)
    record_event(
        order,
        actor=actor,
        kind=EventKind.PROGRESS,
        reason=note,
        channel=channel,
        data={"step": step, "label": PROGRESS_STEPS[step]},
    )
    order.save()
    return order


@transaction.atomic
def hold_order(
    *,
    actor: Any,
    order: WorkOrder,
    reason: str,
    pending_reason: str = PendingReason.CUSTOMER,
    channel: str = Channel.DESK,
) -> WorkOrder:
    """Pending (挂起) for the customer or parts: the SLA clock stops until resumed."""
    order = _locked(order)
    action = check_action(actor, order, "hold", reason)
    if pending_reason not in PendingReason.values:
        raise BusinessRuleError(_("Unknown pending reason."), code="pending_reason_invalid")
    now = _now()
    sla.pause(order, now)
    order.pending_reason = pending_reason
    move(order, action, actor=actor, reason=reason, channel=channel, at=now, data={"pending_reason": pending_reason})
    order.save()
    return order


@transaction.atomic
def resume_order(*, actor: Any, order: WorkOrder, channel: str = Channel.DESK) -> WorkOrder:
    order = _locked(order)
    action = check_action(actor, order, "resume")
    now = _now()
    before = (order.resolution_due, order.response_due)
    sla.resume(order, now)
    order.pending_reason = ""
    move(
        order,
        action,
        actor=actor,
        channel=channel,
        at=now,
        data={
            "resolution_due": [str(before[0]), str(order.resolution_due)],
        },
    )
    order.save()
    return order


@transaction.atomic
def return_order(*, actor: Any, order: WorkOrder, reason: str, channel: str = Channel.DESK) -> WorkOrder:
    """Return (退单) to the dispatcher with a reason, e.g. wrong area or not a fault."""
    order = _locked(order)
    action = check_action(actor, order, "return", reason)
    now = _now()
    previous = order.assignee
    if order.paused_at is not None:
        sla.resume(order, now)
    order.assignee = None
    order.return_count += 1
    move(order, action, actor=actor, reason=reason, channel=channel, at=now)
    order.save()
    from kefu.accounts.choices import Role
    from kefu.accounts.models import User

    dispatchers = User.objects.filter(groups__name=Role.DISPATCHER, is_active=True)
    notices.notify_staff(
        order, "order_returned", dispatchers, f"return{order.return_count}", actor=str(previous or actor), reason=reason
    )
    return order


@transaction.atomic
def resolve_order(*, actor: Any, order: WorkOrder, resolution: str, channel: str = Channel.DESK) -> WorkOrder:
    """Completion report (回单): what was done. Business requests take effect here."""
    from kefu.tickets.services import business

    order = _locked(order)
    action = check_action(actor, order, "resolve", resolution)
    now = _now()
    if order.paused_at is not None:
        sla.resume(order, now)
    business.fulfil(actor=actor, order=order, at=now)
    order.resolution = resolution.strip()
    order.resolved_at = now
    order.next_sla_check = None
    move(order, action, actor=actor, reason=resolution, channel=channel, at=now)
    order.save()
    notices.sms_customer(order, "order_resolved_customer", "resolved")
    return order


@transaction.atomic
def record_callback(
    *,
    actor: Any,
    order: WorkOrder,
    satisfaction: int,
    comment: str = "",
    solved: bool = True,
    channel: str = Channel.PHONE,
) -> WorkOrder:
    """The callback (回访): the customer's satisfaction 1–5; closes the order, or reopens it
    when the customer says the problem is not solved."""
    order = _locked(order)
    if not 1 <= satisfaction <= 5:
        raise BusinessRuleError(_("Satisfaction is a score from 1 to 5."), code="satisfaction_range")
    code = "close" if solved else "reopen"
    reason = comment or ("" if solved else _("Customer says it is not solved"))
    action = check_action(actor, order, code, reason)
    now = _now()
    order.satisfaction = satisfaction
    record_event(
        order,
        actor=actor,
        kind=EventKind.CALLBACK,
        channel=channel,
        at=now,
        reason=comment,
        data={"satisfaction": satisfaction, "solved": solved},
    )
    if solved:
        order.closed_at = now
    else:
        _reopen(order, now)
    move(order, action, actor=actor, reason=reason, channel=channel, at=now)
    order.save()
    return order


def _reopen(order: WorkOrder, now: dt.datetime) -> None:
    order.resolved_at = order.closed_at = None
    order.assignee = None
    order.sla_overdue_at = order.sla_warned_at = order.escalated_at = None
    sla.apply_policy(order, now)


@transaction.atomic
def reopen_order(*, actor: Any, order: WorkOrder, reason: str) -> WorkOrder:
    """Reopen a resolved or closed order; it goes back to the dispatcher with fresh deadlines."""
    order = _locked(order)
    action = check_action(actor, order, "reopen", reason)
    if order.status == Status.CLOSED and not actor.has_perm("tickets.supervise_workorder"):
        raise NotAllowed(_("Only a supervisor may reopen a closed order."))
    now = _now()
    _reopen(order, now)
    move(order, action, actor=actor, reason=reason, at=now)
    order.save()
    return order


@transaction.atomic
def cancel_order(*, actor: Any, order: WorkOrder, reason: str) -> WorkOrder:
    order = _locked(order)
    action = check_action(actor, order, "cancel", reason)
    order.next_sla_check = None
    move(order, action, actor=actor, reason=reason, at=_now())
    order.save()
    return order


@transaction.atomic
def escalate_order(*, actor: Any, order: WorkOrder, reason: str) -> WorkOrder:
    """Escalate by hand (e.g. a customer chasing 催单): one level up, managers are told."""
    order = _locked(order)
    check_action(actor, order, "escalate", reason)
    order.escalation_level += 1
    record_event(order, actor=actor, kind=EventKind.ESCALATED, reason=reason, data={"level": order.escalation_level})
    order.save(update_fields=["escalation_level", "updated_at"])
    notices.notify_staff(order, "sla_escalated", sla._supervisors(), f"manual{order.escalation_level}")
    return order


@transaction.atomic
def add_note(*, actor: Any, order: WorkOrder, text: str, channel: str = Channel.DESK) -> OrderEvent:
    from kefu.tickets.queries import order_visible_to

    if not text.strip():
        raise BusinessRuleError(_("A note cannot be empty."), code="note_empty")
    if not order_visible_to(actor, order):
        raise NotAllowed(_("You cannot see this order."))
    return record_event(order, actor=actor, kind=EventKind.NOTE, reason=text.strip(), channel=channel)


@transaction.atomic
def merge_orders(*, actor: Any, duplicate: WorkOrder, into: WorkOrder, reason: str = "") -> WorkOrder:
    """Merge a duplicate into the order that carries on; the duplicate is cancelled."""
    if actor is not None and not actor.has_perm("tickets.supervise_workorder"):
        raise NotAllowed(_("Your role may not merge work orders."))
    if duplicate.pk == into.pk:
        raise BusinessRuleError(_("An order cannot be merged into itself."), code="merge_self")
    duplicate, into = _locked(duplicate), _locked(into)
    if not into.is_open or not duplicate.is_open:
        raise BusinessRuleError(_("Only open orders can be merged."), code="merge_closed")
    if duplicate.customer_id != into.customer_id:
        raise BusinessRuleError(_("Only orders of the same customer can be merged."), code="merge_customer")
    now = _now()
    duplicate.merged_into = into
    duplicate.next_sla_check = None
    before = duplicate.status
    duplicate.status = Status.CANCELLED
    record_event(
        duplicate,
        actor=actor,
        kind=EventKind.MERGED,
        from_status=before,
        to_status=Status.CANCELLED,
        reason=reason,
        at=now,
        data={"into": into.number},
    )
    record_event(into, actor=actor, kind=EventKind.MERGED, reason=reason, at=now, data={"from": duplicate.number})
    duplicate.save()
    return into


@transaction.atomic
def link_child(*, actor: Any, parent: WorkOrder, child: WorkOrder) -> WorkOrder:
    """Attach a customer's fault order to a parent (e.g. an area outage)."""
    if actor is not None and not (
        actor.has_perm("tickets.dispatch_workorder") or actor.has_perm("tickets.supervise_workorder")
    ):
        raise NotAllowed(_("Your role may not link work orders."))
    if parent.pk == child.pk or parent.parent_id == child.pk:
        raise BusinessRuleError(_("An order cannot be its own parent."), code="link_cycle")
    child = _locked(child)
    child.parent = parent
    child.save(update_fields=["parent", "updated_at"])
    record_event(child, actor=actor, kind=EventKind.LINKED, data={"parent": parent.number})
    record_event(parent, actor=actor, kind=EventKind.LINKED, data={"child": child.number})
    return child


def open_orders_of(customer: Customer) -> Any:
    return WorkOrder.objects.filter(customer=customer, status__in=OPEN_STATUSES)
