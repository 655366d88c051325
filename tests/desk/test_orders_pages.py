"""The work order pages: who may open them, opening an order from the 360, every action button,
refusals that change nothing, and the lists with their counts (PRODUCT §5, issue 3 item 7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kefu.accounts.models import User
from kefu.customers.models import Customer
from kefu.tickets import services
from kefu.tickets.choices import Status
from kefu.tickets.models import OrderEvent, OrderType, WorkOrder
from tests.desk.conftest import signed_in
from tests.desk.scenario import Business
from tests.tickets import conftest as tickets_fixtures

pytestmark = pytest.mark.django_db

# The back office of the tickets tests: 鼓楼 field team (charlie, ed), mia, olga, dave in 玄武.
back_office = tickets_fixtures.back_office
dtv_fault = tickets_fixtures.dtv_fault

FAULT_FIELDS = {"symptom": "机顶盒无信号", "device": "机顶盒"}
# The smallest valid PNG: 1×1 pixel.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def fault(alice: User, zhang: Customer, dtv_fault: OrderType, back_office) -> WorkOrder:  # type: ignore[no-untyped-def]
    """Zhang's TV fault, opened by alice and dispatched automatically to charlie (鼓楼)."""
    return services.create_order(
        actor=alice, order_type=dtv_fault, customer=zhang, title="电视没信号", fields=FAULT_FIELDS
    )


@pytest.fixture
def wang_fault(alice: User, wang: Customer, dtv_fault: OrderType, back_office) -> WorkOrder:  # type: ignore[no-untyped-def]
    """Wang's fault in 玄武: dave's area, not charlie's."""
    return services.create_order(actor=alice, order_type=dtv_fault, customer=wang, title="花屏", fields=FAULT_FIELDS)


def detail_url(order: WorkOrder) -> str:
    return reverse("desk:order_detail", args=[order.number])


def action_url(order: WorkOrder, code: str) -> str:
    return reverse("desk:order_action", args=[order.number, code])


def history(order: WorkOrder) -> list[tuple[str, str, str]]:
    return list(
        OrderEvent.objects.filter(order=order).order_by("at", "id").values_list("kind", "from_status", "to_status")
    )


def reloaded(order: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.get(pk=order.pk)


# ---------- Access per role ----------


def test_order_page_is_where_notifications_link_it(fault: WorkOrder) -> None:
    assert detail_url(fault) == f"/orders/{fault.number}/"


PAGES = ["/orders/", "/orders/board/", "/field/"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitor_is_sent_to_login(url: str) -> None:
    response = signed_out_get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def signed_out_get(url: str):  # type: ignore[no-untyped-def]
    from django.test import Client

    return Client().get(url)


def test_anonymous_visitor_cannot_open_an_order(fault: WorkOrder) -> None:
    response = signed_out_get(detail_url(fault))

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={detail_url(fault)}"


@pytest.mark.parametrize("url", PAGES)
def test_knowledge_editor_is_refused_order_pages(url: str, kate: User) -> None:
    assert signed_in(kate).get(url).status_code == 403


def test_knowledge_editor_is_refused_an_order_and_its_creation(kate: User, fault: WorkOrder, zhang: Customer) -> None:
    client = signed_in(kate)

    assert client.get(detail_url(fault)).status_code == 403
    assert client.get(reverse("desk:order_create", args=[zhang.pk])).status_code == 403


def test_engineer_cannot_open_another_areas_order(dave: User, fault: WorkOrder) -> None:
    client = signed_in(dave)

    assert client.get(detail_url(fault)).status_code == 404
    assert client.get(reverse("desk:field_order", args=[fault.number])).status_code == 404


def test_engineer_cannot_act_on_another_areas_order_and_nothing_changes(dave: User, fault: WorkOrder) -> None:
    before = history(fault)

    response = signed_in(dave).post(action_url(fault, "accept"), {"from": "field"})

    assert response.status_code == 404
    assert reloaded(fault).status == Status.DISPATCHED
    assert reloaded(fault).assignee_id != dave.pk
    assert history(fault) == before


def test_only_dispatchers_see_the_board(gina: User, alice: User, charlie: User, back_office) -> None:  # type: ignore[no-untyped-def]
    assert signed_in(gina).get("/orders/board/").status_code == 200
    assert signed_in(alice).get("/orders/board/").status_code == 403
    assert signed_in(charlie).get("/orders/board/").status_code == 403


# ---------- Opening an order from the 360 ----------


def test_customer_360_offers_new_order_and_lists_open_ones(
    alice: User, zhang: Customer, zhang_business: Business, fault: WorkOrder
) -> None:
    client = signed_in(alice)

    page = client.get(reverse("desk:customer_detail", args=[zhang.pk]))
    card = client.get(reverse("desk:customer_orders", args=[zhang.pk]))

    assert reverse("desk:order_create", args=[zhang.pk]).encode() in page.content
    assert card.status_code == 200
    assert [row.order for row in card.context["rows"]] == [fault]
    assert fault.number in card.content.decode()


def test_agent_opens_a_fault_from_the_360_in_a_few_fields(
    alice: User, zhang: Customer, zhang_business: Business, back_office, charlie: User
) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(alice)
    url = reverse("desk:order_create", args=[zhang.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "order_type": "FAULT_DTV",
            "subscription": zhang_business.tv.pk,
            "priority": "normal",
            "field_symptom": "机顶盒无信号",
            "field_device": "机顶盒",
        },
    )

    order = WorkOrder.objects.get(customer=zhang)
    assert response.status_code == 302
    assert response["Location"] == detail_url(order)
    assert (order.order_type.code, order.title, order.subscription, order.fields) == (
        "FAULT_DTV",
        "数字电视故障：机顶盒无信号",
        zhang_business.tv,
        {"symptom": "机顶盒无信号", "device": "机顶盒"},
    )
    assert (order.status, order.team, order.assignee) == (Status.DISPATCHED, back_office.gulou_team, charlie)


def test_type_picker_loads_the_types_own_questions(alice: User, zhang: Customer) -> None:
    response = signed_in(alice).get(
        reverse("desk:order_create", args=[zhang.pk]), {"order_type": "FAULT_DTV"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response.templates[0].name == "desk/orders/_create_type_details.html"
    assert [field.name for field in response.context["form"].type_fields] == [
        "field_symptom",
        "field_device",
        "field_since",
    ]
    assert response.context["form"]["priority"].value() == "normal"


def test_missing_required_detail_opens_nothing(alice: User, zhang: Customer) -> None:
    response = signed_in(alice).post(
        reverse("desk:order_create", args=[zhang.pk]), {"order_type": "FAULT_DTV", "priority": "normal"}
    )

    assert response.status_code == 400
    assert "field_symptom" in response.context["form"].errors
    assert not WorkOrder.objects.filter(customer=zhang).exists()


def test_complaint_about_an_earlier_order_is_a_secondary_complaint(
    alice: User, zhang: Customer, fault: WorkOrder
) -> None:
    response = signed_in(alice).post(
        reverse("desk:order_create", args=[zhang.pk]),
        {
            "order_type": "CMP_SERVICE",
            "priority": "high",
            "field_details": "师傅迟到两小时",
            "related_order": fault.number,
        },
    )

    complaint = WorkOrder.objects.get(customer=zhang, category="complaint")
    assert response.status_code == 302
    assert (complaint.related_order, complaint.is_secondary_complaint) == (fault, True)
    assert "二次投诉" in signed_in(alice).get(detail_url(complaint)).content.decode()


# ---------- The order page ----------


def test_agent_sees_the_order_with_masked_phone_and_the_timeline(alice: User, fault: WorkOrder) -> None:
    response = signed_in(alice).get(detail_url(fault))

    assert response.status_code == 200
    assert response.context["contact"].phone == "138****5678"
    assert response.context["contact"].dial == ""
    assert [entry.title for entry in response.context["timeline"]] == ["创建工单", "派单"]
    assert response.context["resolution"].tone in ("info", "warning")
    assert [panel.code for panel in response.context["panels"]] == []  # alice may not work or dispatch it


def test_supervisor_sees_the_full_phone(sara: User, fault: WorkOrder) -> None:
    response = signed_in(sara).get(detail_url(fault))

    assert response.context["contact"].phone == "138 1234 5678"


def test_assigned_engineer_may_call_from_the_field_page_only(charlie: User, back_office, fault: WorkOrder) -> None:  # type: ignore[no-untyped-def]
    field_page = signed_in(charlie).get(reverse("desk:field_order", args=[fault.number]))
    desk_page = signed_in(charlie).get(detail_url(fault))
    teammate = signed_in(back_office.ed).get(reverse("desk:field_order", args=[fault.number]))

    assert 'href="tel:13812345678"' in field_page.content.decode()
    assert desk_page.context["contact"].phone == "138****5678"
    assert teammate.context["contact"].dial == ""
    assert teammate.context["contact"].phone == "138****5678"


def test_engineer_walks_the_order_through_every_field_button(charlie: User, alice: User, fault: WorkOrder) -> None:
    client = signed_in(charlie)

    steps = [
        ("accept", {}, Status.ACCEPTED),
        ("progress", {"progress-step": "on_the_way"}, Status.IN_PROGRESS),
        ("hold", {"hold-pending_reason": "parts", "hold-reason": "等分配器"}, Status.PENDING),
        ("resume", {}, Status.IN_PROGRESS),
        ("progress", {"progress-step": "arrived"}, Status.IN_PROGRESS),
    ]
    for code, data, expected in steps:
        response = client.post(action_url(fault, code), {"from": "field", **data})
        assert response.status_code == 302, (code, response.content.decode()[:500])
        assert response["Location"] == reverse("desk:field_order", args=[fault.number])
        assert reloaded(fault).status == expected

    photo = SimpleUploadedFile("分配器.png", PNG, content_type="image/png")
    response = client.post(
        action_url(fault, "resolve"),
        {"from": "field", "resolve-resolution": "更换分配器", "resolve-note": "客户在家", "resolve-photo": photo},
    )
    order = reloaded(fault)
    assert response.status_code == 302
    assert (order.status, order.resolution) == (Status.RESOLVED, "更换分配器")
    assert [attachment.name for attachment in order.attachments.all()] == ["分配器.png"]

    response = signed_in(alice).post(
        action_url(fault, "callback"),
        {"from": "desk", "callback-satisfaction": "5", "callback-solved": "yes", "callback-comment": "满意"},
    )
    order = reloaded(fault)
    assert response.status_code == 302
    assert (order.status, order.satisfaction) == (Status.CLOSED, 5)


def test_unsolved_callback_reopens_the_order(charlie: User, alice: User, fault: WorkOrder) -> None:
    services.accept_order(actor=charlie, order=fault)
    services.resolve_order(actor=charlie, order=fault, resolution="重启机顶盒")

    response = signed_in(alice).post(
        action_url(fault, "callback"),
        {"callback-satisfaction": "2", "callback-solved": "no", "callback-comment": "还是没信号"},
    )

    order = reloaded(fault)
    assert response.status_code == 302
    assert (order.status, order.satisfaction, order.assignee) == (Status.RETURNED, 2, None)


def test_return_and_redispatch_to_another_engineer(charlie: User, gina: User, back_office, fault: WorkOrder) -> None:  # type: ignore[no-untyped-def]
    signed_in(charlie).post(action_url(fault, "return"), {"from": "field", "return-reason": "非本片区用户"})
    assert (reloaded(fault).status, reloaded(fault).assignee) == (Status.RETURNED, None)

    response = signed_in(gina).post(action_url(fault, "dispatch"), {"dispatch-target": f"user:{back_office.ed.pk}"})

    order = reloaded(fault)
    assert response.status_code == 302
    assert (order.status, order.team, order.assignee) == (Status.DISPATCHED, back_office.gulou_team, back_office.ed)


@pytest.mark.parametrize(
    ("code", "data", "status", "escalation"),
    [
        ("cancel", {"cancel-reason": "客户撤销"}, Status.CANCELLED, 0),
        ("escalate", {"escalate-reason": "客户催单"}, Status.DISPATCHED, 1),
    ],
)
def test_supervisor_cancels_and_escalates(sara: User, fault: WorkOrder, code, data, status, escalation) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(sara).post(action_url(fault, code), data)

    order = reloaded(fault)
    assert response.status_code == 302
    assert (order.status, order.escalation_level) == (status, escalation)


def test_engineer_starts_work_from_the_desk_page(charlie: User, fault: WorkOrder) -> None:
    services.accept_order(actor=charlie, order=fault)

    response = signed_in(charlie).post(action_url(fault, "start"), {"from": "desk"})

    assert response.status_code == 302
    assert response["Location"] == detail_url(fault)
    assert reloaded(fault).status == Status.IN_PROGRESS


def test_only_a_supervisor_is_offered_reopening_a_closed_order(
    alice: User, sara: User, charlie: User, fault: WorkOrder
) -> None:
    services.accept_order(actor=charlie, order=fault)
    services.resolve_order(actor=charlie, order=fault, resolution="修复")
    services.record_callback(actor=alice, order=fault, satisfaction=4)

    agent_page = signed_in(alice).get(detail_url(fault))
    response = signed_in(sara).post(action_url(fault, "reopen"), {"reopen-reason": "客户来电称再次故障"})

    assert [panel.code for panel in agent_page.context["panels"]] == []
    assert response.status_code == 302
    assert reloaded(fault).status == Status.RETURNED


def test_redispatch_asks_for_a_reason_and_changes_nothing_without_one(
    gina: User, back_office, fault: WorkOrder
) -> None:  # type: ignore[no-untyped-def]
    before = history(fault)

    response = signed_in(gina).post(action_url(fault, "dispatch"), {"dispatch-target": f"user:{back_office.ed.pk}"})

    assert response.status_code == 400
    assert "reason" in response.context["panels"][0].form.errors
    assert reloaded(fault).assignee != back_office.ed
    assert history(fault) == before


def test_note_and_attachment_land_in_the_history(alice: User, fault: WorkOrder) -> None:
    client = signed_in(alice)

    client.post(action_url(fault, "note"), {"note-text": "客户下午三点后在家"})
    client.post(
        action_url(fault, "attach"), {"attach-file": SimpleUploadedFile("照片.png", PNG, content_type="image/png")}
    )

    assert [kind for kind, _from, _to in history(fault)][-2:] == ["note", "attachment"]
    attachment = fault.attachments.get()
    download = client.get(reverse("desk:order_attachment", args=[fault.number, attachment.pk]))
    assert (download.status_code, download["Content-Type"]) == (200, "image/png")


def test_refused_action_shows_the_reason_and_changes_nothing(alice: User, fault: WorkOrder) -> None:
    before = history(fault)

    response = signed_in(alice).post(action_url(fault, "accept"), {"from": "desk"})

    assert response.status_code == 403
    assert "您的岗位无权对工单执行“接单”。" in response.content.decode()
    assert reloaded(fault).status == Status.DISPATCHED
    assert history(fault) == before


def test_action_from_the_wrong_state_is_refused_with_its_message(charlie: User, fault: WorkOrder) -> None:
    before = history(fault)

    response = signed_in(charlie).post(action_url(fault, "resolve"), {"resolve-resolution": "修好了"})

    assert response.status_code == 409
    assert f"工单 {fault.number} 当前状态为“已派单”，现在不能执行“回单”。" in response.content.decode()
    assert response.context["failed_code"] == "resolve"
    assert reloaded(fault).status == Status.DISPATCHED
    assert history(fault) == before


def test_return_without_reason_is_refused_and_changes_nothing(charlie: User, fault: WorkOrder) -> None:
    before = history(fault)

    response = signed_in(charlie).post(action_url(fault, "return"), {"from": "field", "return-reason": ""})

    assert response.status_code == 400
    assert response.templates[0].name == "desk/orders/field_order.html"
    assert reloaded(fault).status == Status.DISPATCHED
    assert history(fault) == before


def test_unknown_action_is_not_found(sara: User, fault: WorkOrder) -> None:
    assert signed_in(sara).post(action_url(fault, "explode"), {}).status_code == 404


# ---------- Lists, board and field page ----------


def _tabs(response) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {tab.name: tab.count for tab in response.context["tabs"]}


def test_engineer_lists_start_on_their_own_orders(charlie: User, fault: WorkOrder, wang_fault: WorkOrder) -> None:
    response = signed_in(charlie).get("/orders/")

    assert response.context["current_view"] == "mine"
    assert [row.order for row in response.context["rows"]] == [fault]
    assert _tabs(response) == {
        "mine": 1,
        "team": 1,
        "area": 1,
        "due_soon": 0,
        "overdue": 0,
        "returned": 0,
        "open": 1,
    }


def test_overdue_and_returned_views_hold_the_right_orders(
    sara: User, charlie: User, fault: WorkOrder, wang_fault: WorkOrder
) -> None:
    WorkOrder.objects.filter(pk=wang_fault.pk).update(resolution_due=timezone.now() - dt.timedelta(hours=2))
    services.return_order(actor=charlie, order=fault, reason="地址不对")
    client = signed_in(sara)

    overdue = client.get("/orders/", {"view": "overdue"})
    returned = client.get("/orders/", {"view": "returned"})

    assert [row.order for row in overdue.context["rows"]] == [wang_fault]
    assert overdue.context["rows"][0].clock.tone == "danger"
    assert overdue.context["rows"][0].clock.label.startswith("超时")
    assert [row.order for row in returned.context["rows"]] == [fault]
    assert _tabs(overdue)["overdue"] == 1
    assert _tabs(overdue)["returned"] == 1
    assert _tabs(overdue)["open"] == 2


def test_list_filters_by_number_status_and_area(sara: User, areas, fault: WorkOrder, wang_fault: WorkOrder) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(sara)

    by_number = client.get("/orders/", {"view": "open", "q": fault.number.lower()})
    by_area = client.get("/orders/", {"view": "open", "area": areas.xuanwu.code})
    by_status = client.get("/orders/", {"view": "open", "status": "closed"})

    assert [row.order for row in by_number.context["rows"]] == [fault]
    assert [row.order for row in by_area.context["rows"]] == [wang_fault]
    assert list(by_status.context["rows"]) == []


def test_list_pages_through_many_orders(sara: User, zhang: Customer, dtv_fault: OrderType) -> None:
    for index in range(27):
        services.create_order(
            actor=sara, order_type=dtv_fault, customer=zhang, title=f"故障{index}", fields=FAULT_FIELDS
        )

    first = signed_in(sara).get("/orders/", {"view": "open"})
    second = signed_in(sara).get("/orders/", {"view": "open", "page": 2})

    assert (len(first.context["rows"]), len(second.context["rows"])) == (25, 2)


def test_board_groups_waiting_orders_by_area_and_dispatches_from_there(
    gina: User, sara: User, charlie: User, back_office, fault: WorkOrder, dtv_fault: OrderType, wang: Customer
) -> None:  # type: ignore[no-untyped-def]
    services.return_order(actor=charlie, order=fault, reason="非本片区用户")
    waiting = services.create_order(
        actor=sara, order_type=dtv_fault, customer=wang, title="无信号", fields=FAULT_FIELDS, auto_dispatch=False
    )
    client = signed_in(gina)

    board = client.get("/orders/board/")
    columns = {column["code"]: column for column in board.context["columns"]}
    assert [item.row.order for group in columns["unassigned"]["groups"] for item in group.items] == [waiting]
    assert [item.row.order for group in columns["returned"]["groups"] for item in group.items] == [fault]
    assert "非本片区用户" in board.content.decode()
    assert "查理" in board.content.decode()  # the engineer picker names each engineer with their load

    response = client.post(
        action_url(fault, "dispatch"), {"from": "board", "dispatch-target": f"user:{back_office.ed.pk}"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/orders/board/"
    assert (reloaded(fault).status, reloaded(fault).assignee) == (Status.DISPATCHED, back_office.ed)


def test_field_page_shows_the_engineers_orders_as_cards(
    charlie: User, back_office, fault: WorkOrder, wang_fault: WorkOrder
) -> None:  # type: ignore[no-untyped-def]
    mine = signed_in(charlie).get("/field/")
    teammate = signed_in(back_office.ed).get("/field/")

    assert [row.order for row in mine.context["mine"]] == [fault]
    assert [row.order for row in teammate.context["mine"]] == []
    assert [row.order for row in teammate.context["nearby"]] == [fault]


def test_nav_badge_counts_what_waits_for_me(charlie: User, dave: User, fault: WorkOrder) -> None:
    assert signed_in(charlie).get("/orders/badge/").content.decode().count(">1<") == 1
    assert "nav-count" not in signed_in(dave).get("/orders/badge/").content.decode()


def test_bell_lists_unread_notices(charlie: User, fault: WorkOrder) -> None:
    response = signed_in(charlie).get("/notices/bell/")

    assert response.status_code == 200
    assert response.context["count"] >= 1  # the dispatch told charlie in the app


def _chat_of(customer: Customer, agent: User, subject: str):  # type: ignore[no-untyped-def]
    from kefu.contacts import services as contacts

    contact = contacts.open_contact(channel="chat", identity="访客", customer=customer, subject=subject)
    contacts.mark_answered(contact, agent, timezone.now())
    return contact


def test_order_from_a_chat_is_prefilled_and_linked_to_it(
    alice: User, zhang: Customer, zhang_business: Business, back_office
) -> None:  # type: ignore[no-untyped-def]
    chat = _chat_of(zhang, alice, "机顶盒没信号")
    client = signed_in(alice)
    url = reverse("desk:order_create", args=[zhang.pk])

    page = client.get(url, {"contact": chat.pk})
    form = page.context["form"]
    assert (form["title"].value(), form["contact"].value()) == ("机顶盒没信号", chat.pk)
    assert f'name="contact" value="{chat.pk}"' in page.content.decode()

    response = client.post(
        url,
        {
            "order_type": "FAULT_DTV",
            "priority": "normal",
            "title": "机顶盒没信号",
            "contact": chat.pk,
            "field_symptom": "机顶盒无信号",
            "field_device": "机顶盒",
        },
    )

    order = WorkOrder.objects.get(customer=zhang)
    assert response.status_code == 302
    assert (order.source_contact, order.channel, order.title) == (chat, "chat", "机顶盒没信号")


def test_order_cannot_be_linked_to_someone_elses_contact(alice: User, bob: User, zhang: Customer, back_office) -> None:  # type: ignore[no-untyped-def]
    chat = _chat_of(zhang, bob, "机顶盒没信号")
    client = signed_in(alice)
    url = reverse("desk:order_create", args=[zhang.pk])

    assert client.get(url, {"contact": chat.pk}).status_code == 404
    response = client.post(
        url,
        {"order_type": "FAULT_DTV", "priority": "normal", "contact": chat.pk, "field_symptom": "无信号"},
    )

    assert response.status_code == 404
    assert WorkOrder.objects.filter(customer=zhang).count() == 0
