"""SLA deadlines on orders, pauses, and the periodic scan firing each alarm exactly once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.messaging.models import OutboundMessage
from kefu.tickets import services
from kefu.tickets.models import OrderEvent, SlaPolicy, WorkOrder
from kefu.tickets.services import sla

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_9 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
FIELDS = {"symptom": "无信号"}


@pytest.fixture
def order(alice, zhang, dtv_fault, back_office):
    return services.create_order(
        actor=alice, order_type=dtv_fault, customer=zhang, title="电视没信号", fields=FIELDS, at=MONDAY_9
    )


@pytest.mark.django_db
def test_fault_gets_the_fault_policy_deadlines_on_office_hours(order):
    # 报修·一般: respond in 120, resolve in 960 working minutes (two office days), warn at 80 %.
    assert order.sla_policy.name == "报修·一般"
    assert order.response_due == dt.datetime(2026, 11, 23, 11, 0, tzinfo=SHANGHAI)
    # Mon 09:00–17:30 gives 7 h (lunch excluded), Tue 7.5 h, Wed 08:30 + 1.5 h.
    assert order.resolution_due == dt.datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    assert order.warn_at == dt.datetime(2026, 11, 24, 15, 48, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_diamond_customer_gets_the_tighter_policy(alice, zhang, dtv_fault, back_office):
    zhang.tier = "diamond"
    zhang.save()

    order = services.create_order(
        actor=alice, order_type=dtv_fault, customer=zhang, title="t", fields=FIELDS, at=MONDAY_9
    )

    assert order.sla_policy.name == "报修·钻石客户"
    assert order.resolution_due == dt.datetime(2026, 11, 23, 16, 30, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_urgent_fault_runs_on_the_24x7_clock(alice, zhang, back_office):
    from kefu.tickets.models import OrderType

    saturday_night = dt.datetime(2026, 11, 28, 23, 0, tzinfo=SHANGHAI)
    order = services.create_order(
        actor=alice,
        order_type=OrderType.objects.get(code="FAULT_TRUNK"),
        customer=zhang,
        title="干线中断",
        fields=FIELDS,
        at=saturday_night,
    )

    assert order.resolution_due == saturday_night + dt.timedelta(minutes=240)


def _scan(now: dt.datetime) -> sla.ScanResult:
    return sla.scan(now)


@pytest.mark.django_db
def test_scan_fires_warning_overdue_and_escalation_exactly_once_each(order, charlie, sara, back_office):
    services.accept_order(actor=charlie, order=order)  # responded: no response alarm
    order.refresh_from_db()

    def kinds():
        return list(
            OrderEvent.objects.filter(
                order=order,
                actor_label="system",
                kind__startswith="sla",
            ).values_list("kind", "reason")
        )

    assert vars(_scan(order.warn_at - dt.timedelta(minutes=1))) == vars(sla.ScanResult())
    first = _scan(order.warn_at)
    again = _scan(order.warn_at + dt.timedelta(minutes=5))
    assert (first.warnings, again.warnings, again.checked) == (1, 0, 0)
    assert kinds() == [("sla_warning", "resolution due soon")]

    overdue = _scan(order.resolution_due)
    assert (overdue.overdue, _scan(order.resolution_due + dt.timedelta(minutes=1)).overdue) == (1, 0)

    escalate_at = order.resolution_due + dt.timedelta(minutes=order.sla_policy.escalate_after_minutes)
    assert _scan(escalate_at - dt.timedelta(minutes=1)).escalations == 0
    assert _scan(escalate_at).escalations == 1
    assert _scan(escalate_at + dt.timedelta(days=3)).checked == 0

    order.refresh_from_db()
    assert (order.escalation_level, order.next_sla_check) == (1, None)
    assert list(
        OrderEvent.objects.filter(order=order, kind__in=["sla_warning", "sla_overdue", "escalated"]).values_list(
            "kind", flat=True
        )
    ) == ["sla_warning", "sla_overdue", "escalated"]
    # The escalation reached the supervisor, the overdue alarm the area manager's phone.
    assert OutboundMessage.objects.filter(template_code="sla_escalated", recipient_user=sara).count() == 1
    assert (
        OutboundMessage.objects.filter(
            template_code="sla_overdue", channel="sms", address=back_office.mia.mobile
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_response_overdue_when_nobody_accepts(order):
    result = _scan(order.response_due)

    assert result.response_overdue == 1
    order.refresh_from_db()
    assert order.response_overdue_at is not None


@pytest.mark.django_db
def test_a_late_scan_raises_overdue_without_a_separate_warning(order, charlie):
    services.accept_order(actor=charlie, order=order)
    order.refresh_from_db()

    result = _scan(order.resolution_due + dt.timedelta(minutes=1))

    assert (result.warnings, result.overdue) == (0, 1)


@pytest.mark.django_db
def test_pending_order_is_not_scanned_and_resume_shifts_deadlines(order, charlie, monkeypatch):
    services.accept_order(actor=charlie, order=order)
    pause_at = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
    resume_at = dt.datetime(2026, 11, 23, 15, 30, tzinfo=SHANGHAI)  # 4 working hours paused (lunch excluded)
    monkeypatch.setattr("kefu.tickets.services.orders._now", lambda: pause_at)
    services.hold_order(actor=charlie, order=order, reason="等用户在家")
    order.refresh_from_db()
    due_before = order.resolution_due

    assert _scan(due_before + dt.timedelta(hours=1)).checked == 0

    monkeypatch.setattr("kefu.tickets.services.orders._now", lambda: resume_at)
    services.resume_order(actor=charlie, order=order)
    order.refresh_from_db()
    # 15 working hours were left at the pause; from Mon 15:30 they run to Wed 15:30.
    assert due_before == dt.datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    assert order.resolution_due == dt.datetime(2026, 11, 25, 15, 30, tzinfo=SHANGHAI)


@pytest.mark.django_db(transaction=False)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pause_after=st.integers(min_value=0, max_value=6000),
    pause_length=st.integers(min_value=0, max_value=20000),
)
def test_pausing_never_makes_a_deadline_earlier(order, pause_after, pause_length):
    fresh = WorkOrder.objects.get(pk=order.pk)
    before = (fresh.response_due, fresh.warn_at, fresh.resolution_due)
    paused_at = MONDAY_9 + dt.timedelta(minutes=pause_after)

    sla.pause(fresh, paused_at)
    sla.resume(fresh, paused_at + dt.timedelta(minutes=pause_length))

    after = (fresh.response_due, fresh.warn_at, fresh.resolution_due)
    assert all(new >= old for new, old in zip(after, before, strict=True))
    assert fresh.resolution_due >= fresh.warn_at


@pytest.mark.django_db
def test_no_policy_means_no_deadlines(alice, zhang, dtv_fault):
    SlaPolicy.objects.all().delete()

    order = services.create_order(actor=alice, order_type=dtv_fault, customer=zhang, title="t", fields=FIELDS)

    assert (order.resolution_due, order.next_sla_check) == (None, None)
