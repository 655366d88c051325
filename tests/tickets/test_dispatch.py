"""Dispatch by area and load; who is told."""

from __future__ import annotations

import pytest

from kefu.accounts.choices import Role, TeamKind
from kefu.messaging.models import OutboundMessage
from kefu.tickets import services
from kefu.tickets.choices import Status
from kefu.tickets.models import OrderType
from tests.factories import CustomerFactory, TeamFactory, UserFactory

FIELDS = {"symptom": "无信号"}


def _fault(actor, customer, code="FAULT_DTV"):
    return services.create_order(
        actor=actor, order_type=OrderType.objects.get(code=code), customer=customer, title="故障", fields=FIELDS
    )


@pytest.mark.django_db
def test_order_goes_to_the_team_serving_the_customers_area(alice, zhang, wang, back_office, charlie, dave):
    gulou_order, xuanwu_order = _fault(alice, zhang), _fault(alice, wang)

    assert (gulou_order.team, xuanwu_order.team) == (back_office.gulou_team, back_office.xuanwu_team)
    assert (gulou_order.assignee, xuanwu_order.assignee) == (charlie, dave)


@pytest.mark.django_db
def test_least_loaded_engineer_on_duty_gets_the_next_order(alice, areas, back_office, charlie):
    customers = [CustomerFactory(service_area=areas.gulou_01) for _ in range(4)]

    assignees = [_fault(alice, customer).assignee for customer in customers]

    assert assignees == [charlie, back_office.ed, charlie, back_office.ed]


@pytest.mark.django_db
def test_off_duty_engineer_gets_nothing(alice, areas, back_office, charlie):
    charlie.is_on_duty = False
    charlie.save()

    assignees = {_fault(alice, CustomerFactory(service_area=areas.gulou_01)).assignee for _ in range(3)}

    assert assignees == {back_office.ed}


@pytest.mark.django_db
def test_area_manager_gets_an_sms_and_the_engineer_an_in_app_notice(alice, zhang, back_office, charlie):
    order = _fault(alice, zhang)

    sms = OutboundMessage.objects.get(template_code="order_dispatched_manager")
    assert (sms.channel, sms.address) == ("sms", back_office.mia.mobile)
    assert order.number in sms.body and "鼓楼01片区" in sms.body
    notice = OutboundMessage.objects.get(template_code="order_assigned")
    assert (notice.channel, notice.recipient_user) == ("in_app", charlie)


@pytest.mark.django_db
def test_customer_gets_the_order_number_by_sms(alice, zhang, back_office):
    order = _fault(alice, zhang)

    sms = OutboundMessage.objects.get(template_code="order_created_customer")
    assert sms.address == "13812345678"
    assert order.number in sms.body


@pytest.mark.django_db
def test_urgent_fault_notifies_senior_staff_at_once(alice, zhang, back_office, sara):
    sara.mobile = "13900000009"
    sara.save()

    _fault(alice, zhang, code="FAULT_TRUNK")

    urgent = OutboundMessage.objects.filter(template_code="order_urgent")
    assert set(urgent.filter(channel="in_app").values_list("recipient_user__username", flat=True)) == {"sara", "mia"}
    assert set(urgent.filter(channel="sms").values_list("address", flat=True)) == {"13900000009", "13900000003"}


@pytest.mark.django_db
def test_without_a_serving_team_the_order_waits_for_the_dispatcher(alice, areas, gina):
    customer = CustomerFactory(service_area=areas.xuanwu_01)

    order = _fault(alice, customer)

    assert (order.status, order.team, order.assignee) == (Status.NEW, None, None)


@pytest.mark.django_db
def test_dispatcher_redispatches_to_a_named_engineer(alice, gina, zhang, back_office, charlie):
    order = _fault(alice, zhang)

    services.dispatch_order(
        actor=gina, order=order, team=back_office.gulou_team, assignee=back_office.ed, reason="查理请假"
    )

    order.refresh_from_db()
    assert (order.status, order.assignee, order.dispatch_count) == (Status.DISPATCHED, back_office.ed, 2)
    last = order.events.last()
    assert (last.from_status, last.to_status, last.reason) == ("dispatched", "dispatched", "查理请假")


@pytest.mark.django_db
def test_assignee_must_belong_to_the_team(alice, gina, zhang, back_office, dave):
    from kefu.core.errors import BusinessRuleError

    order = _fault(alice, zhang)

    with pytest.raises(BusinessRuleError):
        services.dispatch_order(actor=gina, order=order, team=back_office.gulou_team, assignee=dave, reason="x")
    order.refresh_from_db()
    assert order.dispatch_count == 1


@pytest.mark.django_db
def test_complaints_go_to_the_back_office(alice, zhang, back_office):
    order = services.create_order(
        actor=alice,
        order_type=OrderType.objects.get(code="CMP_SERVICE"),
        customer=zhang,
        title="装维人员态度差",
        fields={"details": "迟到两小时"},
    )

    assert (order.team, order.assignee) == (back_office.office_team, back_office.olga)


@pytest.mark.django_db
def test_returned_order_notifies_dispatchers(alice, gina, zhang, back_office, charlie):
    order = _fault(alice, zhang)

    services.return_order(actor=charlie, order=order, reason="地址错误")

    notice = OutboundMessage.objects.get(template_code="order_returned")
    assert notice.recipient_user == gina and "地址错误" in notice.body


@pytest.mark.django_db
def test_second_dispatcher_persona_can_be_area_manager(alice, zhang, back_office):
    manager = UserFactory(username="lin", roles=[Role.AREA_MANAGER], areas=[zhang.service_area])
    order = _fault(alice, zhang)

    services.dispatch_order(
        actor=manager, order=order, assignee=back_office.ed, team=back_office.gulou_team, reason="调整"
    )

    order.refresh_from_db()
    assert order.assignee == back_office.ed


@pytest.mark.django_db
def test_a_new_team_for_an_area_takes_its_orders_from_the_next_one(alice, zhang, back_office, charlie, areas):
    assert _fault(alice, zhang).team == back_office.gulou_team
    closer = TeamFactory(code="F-GL-01", name="鼓楼01装维班", kind=TeamKind.FIELD)
    closer.areas.add(areas.gulou_01)
    fiona = UserFactory(username="fiona", roles=[Role.FIELD_ENGINEER], team=closer, areas=[areas.gulou_01])

    order = _fault(alice, zhang)

    assert (order.team, order.assignee) == (closer, fiona)


@pytest.mark.django_db
def test_the_area_manager_named_in_the_admin_gets_the_next_sms(alice, zhang, back_office, areas):
    mobile = "13905550123"
    areas.gulou_01.manager = UserFactory(username="new_manager", mobile=mobile)
    areas.gulou_01.save()

    order = _fault(alice, zhang)

    sms = OutboundMessage.objects.filter(subject_id=str(order.pk), template_code="order_dispatched_manager")
    assert list(sms.values_list("address", flat=True)) == [mobile]


@pytest.mark.django_db
def test_those_covering_the_area_come_first_else_the_least_loaded_of_the_team(alice, areas, back_office, charlie):
    from tests.factories import ServiceAreaFactory

    gulou_02 = ServiceAreaFactory(code="NJ-GL-02", name="鼓楼02片区", parent=areas.gulou)
    fred = UserFactory(username="fred", roles=[Role.FIELD_ENGINEER], team=back_office.gulou_team, areas=[gulou_02])
    for _ in range(3):  # fred is the busiest of the team ...
        _fault(alice, CustomerFactory(service_area=gulou_02))
    assert fred.assigned_orders.count() == 3

    # ... but the only one covering 鼓楼02片区; nobody covers the district itself (鼓楼区)
    # directly, so an order there goes to the least loaded of the whole team.
    district_order = _fault(alice, CustomerFactory(service_area=areas.gulou))

    assert district_order.assignee in (charlie, back_office.ed)


def _loads_match_the_orders() -> dict[int, int]:
    from django.db.models import Count

    from kefu.tickets.choices import OPEN_STATUSES
    from kefu.tickets.models import WorkerLoad, WorkOrder

    counted = dict(
        WorkOrder.objects.filter(status__in=OPEN_STATUSES, assignee__isnull=False)
        .values_list("assignee")
        .annotate(n=Count("*"))
    )
    kept = {load.user_id: load.open_orders for load in WorkerLoad.objects.all() if load.open_orders}
    assert kept == counted
    return kept


@pytest.mark.django_db
def test_the_open_orders_each_person_holds_follow_every_change(alice, zhang, gina, back_office, charlie, sara):
    from kefu.tickets.choices import OPEN_STATUSES
    from kefu.tickets.models import WorkOrder

    first, second, third = (_fault(alice, zhang) for _ in range(3))
    assert _loads_match_the_orders() == {charlie.pk: 2, back_office.ed.pk: 1}

    services.dispatch_order(actor=gina, order=first, assignee=back_office.ed, reason="改派")  # reassigned
    services.accept_order(actor=back_office.ed, order=first)  # open to open: no change
    assert _loads_match_the_orders() == {charlie.pk: 1, back_office.ed.pk: 2}

    services.resolve_order(actor=back_office.ed, order=first, resolution="已修复")  # no longer open
    services.cancel_order(actor=sara, order=second, reason="客户撤销")
    assert _loads_match_the_orders() == {charlie.pk: 1}

    reopened = services.reopen_order(actor=sara, order=WorkOrder.objects.get(pk=first.pk), reason="又坏了")
    assert reopened.status in OPEN_STATUSES  # open again, back with whoever holds it now
    expected = {charlie.pk: 1}
    if reopened.assignee_id is not None:
        expected[reopened.assignee_id] = expected.get(reopened.assignee_id, 0) + 1
    assert _loads_match_the_orders() == expected
    WorkOrder.objects.filter(pk=third.pk).update(assignee=None)  # written around the services
    WorkOrder.objects.filter(pk=first.pk).delete()
    assert _loads_match_the_orders() == {}


@pytest.mark.django_db
def test_a_person_holding_open_orders_can_still_be_deleted(alice, zhang, back_office, charlie):
    from kefu.tickets.models import WorkerLoad, WorkOrder

    order = _fault(alice, zhang)
    assert order.assignee == charlie and WorkerLoad.objects.get(user=charlie).open_orders == 1
    charlie.delete()

    assert WorkOrder.objects.get(pk=order.pk).assignee_id is None
    assert not WorkerLoad.objects.filter(user_id=charlie.pk).exists()
    _loads_match_the_orders()


@pytest.mark.django_db
def test_after_a_migration_the_triggers_are_back_and_the_counts_fresh(alice, zhang, back_office, charlie):
    from django.db import connection

    from kefu.tickets import workload
    from kefu.tickets.models import WorkerLoad

    _fault(alice, zhang)
    workload.uninstall(connection)  # as SQLite does when a migration rebuilds the table
    _fault(alice, zhang)  # not counted meanwhile
    workload.reinstall_after_migrate(using=connection.alias)

    assert _loads_match_the_orders() == {charlie.pk: 1, back_office.ed.pk: 1}
    _fault(alice, zhang)  # counted again
    assert sum(WorkerLoad.objects.values_list("open_orders", flat=True)) == 3
    _loads_match_the_orders()
