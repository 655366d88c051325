"""The whole S3 flow and every refused step of the state machine."""

from __future__ import annotations

import pytest

from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.tickets import services
from kefu.tickets.choices import Status
from kefu.tickets.models import OrderEvent, WorkOrder
from kefu.tickets.services.lifecycle import ACTIONS, check_action

FAULT_FIELDS = {"symptom": "机顶盒无信号", "device": "机顶盒"}


def _open(actor, customer, order_type, **kwargs):
    return services.create_order(
        actor=actor, order_type=order_type, customer=customer, title="电视没信号", fields=FAULT_FIELDS, **kwargs
    )


@pytest.mark.django_db
def test_fault_order_walks_the_whole_flow_with_complete_history(alice, zhang, dtv_fault, back_office, charlie):
    order = _open(alice, zhang, dtv_fault)
    assert (order.status, order.team, order.assignee) == (Status.DISPATCHED, back_office.gulou_team, charlie)
    assert order.number.startswith("GD") and len(order.number) == 16

    services.accept_order(actor=charlie, order=order)
    services.report_progress(actor=charlie, order=order, step="on_the_way")
    services.report_progress(actor=charlie, order=order, step="arrived", note="已到楼下")
    services.resolve_order(actor=charlie, order=order, resolution="更换分配器，信号恢复")
    services.record_callback(actor=alice, order=order, satisfaction=5, comment="满意")

    order.refresh_from_db()
    assert order.status == Status.CLOSED
    assert order.satisfaction == 5
    history = [(e.kind, e.from_status, e.to_status, e.actor_label) for e in order.events.order_by("at", "id")]
    assert history == [
        ("created", "", "new", "艾丽"),
        ("transition", "new", "dispatched", "system"),
        ("transition", "dispatched", "accepted", "查理"),
        ("transition", "accepted", "in_progress", "查理"),
        ("progress", "", "", "查理"),
        ("progress", "", "", "查理"),
        ("transition", "in_progress", "resolved", "查理"),
        ("callback", "", "", "艾丽"),
        ("transition", "resolved", "closed", "艾丽"),
    ]
    times = [e.at for e in order.events.order_by("at", "id")]
    assert times == sorted(times)
    assert order.responded_at is not None and order.resolved_at is not None and order.closed_at is not None


REFUSED_FROM = {
    code: [status for status in Status.values if status not in action.sources] for code, action in ACTIONS.items()
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "status"),
    [(code, status) for code, statuses in REFUSED_FROM.items() for status in statuses],
)
def test_illegal_transition_is_refused_and_changes_nothing(sara, zhang, dtv_fault, code, status):
    order = services.create_order(
        actor=sara, order_type=dtv_fault, customer=zhang, title="t", fields=FAULT_FIELDS, auto_dispatch=False
    )
    WorkOrder.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    events_before = OrderEvent.objects.filter(order=order).count()

    with pytest.raises(BusinessRuleError) as refusal:
        check_action(sara, order, code, reason="理由")

    assert refusal.value.code == "illegal_transition"
    order.refresh_from_db()
    assert order.status == status
    assert OrderEvent.objects.filter(order=order).count() == events_before


# Which persona may take each action (on an order in a state that allows it).
ROLE_MATRIX = {
    "dispatch": {"gina": True, "sara": True, "alice": False, "charlie": False, "olga": False},
    "accept": {"charlie": True, "ed": True, "dave": False, "alice": False, "gina": False},
    "resolve": {"charlie": True, "dave": False, "alice": False, "gina": False},
    "close": {"alice": True, "sara": True, "charlie": False, "gina": False},
    "cancel": {"sara": True, "alice": False, "gina": False, "charlie": False},
    "escalate": {"sara": True, "alice": False, "charlie": False},
}
STATE_FOR = {
    "dispatch": Status.NEW,
    "accept": Status.DISPATCHED,
    "resolve": Status.IN_PROGRESS,
    "close": Status.RESOLVED,
    "cancel": Status.NEW,
    "escalate": Status.DISPATCHED,
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "persona", "allowed"),
    [(code, persona, allowed) for code, people in ROLE_MATRIX.items() for persona, allowed in people.items()],
)
def test_who_may_take_each_action(request, back_office, zhang, dtv_fault, charlie, code, persona, allowed):
    actor = (
        back_office.ed
        if persona == "ed"
        else back_office.olga
        if persona == "olga"
        else request.getfixturevalue(persona)
    )
    order = services.create_order(actor=None, order_type=dtv_fault, customer=zhang, title="t", fields=FAULT_FIELDS)
    WorkOrder.objects.filter(pk=order.pk).update(status=STATE_FOR[code])
    order.refresh_from_db()

    if allowed:
        check_action(actor, order, code, reason="理由")
    else:
        with pytest.raises(NotAllowed):
            check_action(actor, order, code, reason="理由")


@pytest.mark.django_db
def test_return_needs_a_reason_and_goes_back_to_the_dispatcher(alice, gina, zhang, dtv_fault, back_office, charlie):
    order = _open(alice, zhang, dtv_fault)

    with pytest.raises(BusinessRuleError):
        services.return_order(actor=charlie, order=order, reason=" ")
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED

    services.return_order(actor=charlie, order=order, reason="非本片区用户")
    order.refresh_from_db()
    assert (order.status, order.assignee, order.return_count) == (Status.RETURNED, None, 1)
    assert order.events.last().reason == "非本片区用户"

    services.dispatch_order(actor=gina, order=order, team=back_office.gulou_team, assignee=back_office.ed)
    order.refresh_from_db()
    assert (order.status, order.assignee, order.dispatch_count) == (Status.DISPATCHED, back_office.ed, 2)


@pytest.mark.django_db
def test_unsatisfied_callback_reopens_the_order(alice, zhang, dtv_fault, back_office, charlie):
    order = _open(alice, zhang, dtv_fault)
    services.accept_order(actor=charlie, order=order)
    services.resolve_order(actor=charlie, order=order, resolution="重启机顶盒")

    services.record_callback(actor=alice, order=order, satisfaction=2, solved=False, comment="还是没信号")

    order.refresh_from_db()
    assert (order.status, order.satisfaction, order.resolved_at) == (Status.RETURNED, 2, None)


@pytest.mark.django_db
def test_satisfaction_outside_1_to_5_is_refused(alice, zhang, dtv_fault, back_office, charlie):
    order = _open(alice, zhang, dtv_fault)
    services.accept_order(actor=charlie, order=order)
    services.resolve_order(actor=charlie, order=order, resolution="ok")

    with pytest.raises(BusinessRuleError):
        services.record_callback(actor=alice, order=order, satisfaction=6)
    order.refresh_from_db()
    assert (order.status, order.satisfaction) == (Status.RESOLVED, None)


@pytest.mark.django_db
def test_required_form_field_and_unknown_field_are_refused(alice, zhang, dtv_fault):
    with pytest.raises(BusinessRuleError) as missing:
        services.create_order(actor=alice, order_type=dtv_fault, customer=zhang, title="t", fields={})
    with pytest.raises(BusinessRuleError) as unknown:
        services.create_order(
            actor=alice, order_type=dtv_fault, customer=zhang, title="t", fields={**FAULT_FIELDS, "colour": "red"}
        )

    assert (missing.value.code, unknown.value.code) == ("field_required", "fields_unknown")
    assert WorkOrder.objects.count() == 0


@pytest.mark.django_db
def test_a_parent_type_cannot_be_chosen_directly(alice, zhang):
    from kefu.tickets.models import OrderType

    with pytest.raises(BusinessRuleError) as refusal:
        services.create_order(actor=alice, order_type=OrderType.objects.get(code="FAULT"), customer=zhang, title="t")

    assert refusal.value.code == "subtype_required"


@pytest.mark.django_db
def test_order_numbers_are_sequential_per_day(alice, zhang, dtv_fault):
    import datetime as dt

    from django.utils import timezone

    day = timezone.make_aware(dt.datetime(2026, 11, 22, 9, 0))
    numbers = [
        services.create_order(
            actor=alice,
            order_type=dtv_fault,
            customer=zhang,
            title="t",
            fields=FAULT_FIELDS,
            auto_dispatch=False,
            at=day,
        ).number
        for _ in range(3)
    ]

    assert numbers == ["GD20261122000001", "GD20261122000002", "GD20261122000003"]


@pytest.mark.django_db
def test_hold_and_resume_record_the_reason(alice, zhang, dtv_fault, back_office, charlie):
    order = _open(alice, zhang, dtv_fault)
    services.accept_order(actor=charlie, order=order)

    services.hold_order(actor=charlie, order=order, reason="用户不在家", pending_reason="customer")
    order.refresh_from_db()
    assert (order.status, order.pending_reason, order.next_sla_check) == (Status.PENDING, "customer", None)

    services.resume_order(actor=charlie, order=order)
    order.refresh_from_db()
    assert (order.status, order.paused_at) == (Status.IN_PROGRESS, None)


@pytest.mark.django_db(transaction=True)  # numbers come in blocks only outside a transaction
def test_processes_take_numbers_in_blocks_and_never_share_one():
    import datetime as dt

    from django.utils import timezone

    from kefu.tickets.services import orders as order_services

    day = timezone.make_aware(dt.datetime(2026, 11, 23, 9, 0))
    first_process = [order_services.next_order_number(day) for _ in range(3)]
    order_services.forget_reserved_numbers()  # as a second process starts with no block
    second_process = [order_services.next_order_number(day) for _ in range(2)]

    block = order_services.NUMBER_BLOCK
    assert first_process == [f"GD20261123{n:06d}" for n in (1, 2, 3)]
    assert second_process == [f"GD20261123{n:06d}" for n in (block + 1, block + 2)]


@pytest.mark.django_db
def test_a_number_taken_inside_a_transaction_keeps_no_block_behind(alice, zhang, dtv_fault):
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from kefu.tickets.services import orders as order_services

    day = timezone.make_aware(dt.datetime(2026, 11, 24, 9, 0))
    assert connection.in_atomic_block  # the test's transaction, which may roll back
    first, second = order_services.next_order_number(day), order_services.next_order_number(day)

    assert (first, second) == ("GD20261124000001", "GD20261124000002")
    assert order_services._numbers == {}  # nothing another process could be given again
