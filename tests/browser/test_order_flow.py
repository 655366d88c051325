"""The acceptance test of issue 3 (S3's flow): an agent opens a fault order from the customer's
360 → it is dispatched to the customer's area → the field engineer accepts, goes, arrives and
completes it on the phone page → the agent calls back, records the rating and closes it → the
order's timeline shows every step, in order, with its time."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from kefu.accounts.models import User
from kefu.core.models import BusinessCalendar
from kefu.customers.models import Customer
from kefu.tickets import defaults, services
from kefu.tickets.models import OrderType, SlaPolicy, WorkOrder
from tests.browser.conftest import DESKTOP, PHONE, open_page
from tests.conftest import Areas
from tests.desk.scenario import Business
from tests.factories import DEMO_PASSWORD, CustomerFactory
from tests.tickets import conftest as tickets_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

back_office = tickets_fixtures.back_office
FAULT_FIELDS = {"symptom": "宽带频繁掉线", "device": "光猫"}
# The smallest valid PNG: 1×1 pixel, the engineer's "photo".
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def order_types(db: None) -> None:
    """A transactional test before this one flushed the types the migration loaded: load them again."""
    defaults.load(OrderType, SlaPolicy, BusinessCalendar)


@pytest.fixture
def busy_back_office(order_types, back_office, areas: Areas, wang: Customer, sara: User, charlie: User):  # type: ignore[no-untyped-def]
    """Other work in the city, so the lists and the board look like a working day:
    an overdue fault in 玄武, a returned one and an undispatched request in 鼓楼, a complaint."""
    fault = OrderType.objects.get(code="FAULT_BB")
    overdue = services.create_order(
        actor=sara, order_type=fault, customer=wang, title="宽带无法上网", fields=FAULT_FIELDS
    )
    WorkOrder.objects.filter(pk=overdue.pk).update(resolution_due=timezone.now() - dt.timedelta(hours=3))
    neighbour = CustomerFactory(name="李四", service_area=areas.gulou_01, phone="13700001111")
    returned = services.create_order(
        actor=sara,
        order_type=OrderType.objects.get(code="FAULT_DTV"),
        customer=neighbour,
        title="电视花屏",
        fields={"symptom": "部分频道花屏"},
    )
    services.return_order(actor=charlie, order=returned, reason="用户不在家，约不上时间")
    services.create_order(
        actor=sara,
        order_type=OrderType.objects.get(code="BIZ_RELOCATE"),
        customer=neighbour,
        title="移机到新家",
        fields={"appointment": "周六上午"},
        auto_dispatch=False,
    )
    services.create_order(
        actor=sara,
        order_type=OrderType.objects.get(code="CMP_SERVICE"),
        customer=wang,
        title="装维人员态度差",
        fields={"details": "上门师傅态度恶劣"},
        priority="high",
    )
    return back_office


def sign_in(page: Page, base_url: str, username: str, next_path: str) -> None:
    page.goto(f"{base_url}{next_path}")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base_url}{next_path}")


def test_fault_order_from_360_to_closed_callback(
    browser: Browser,
    desktop_page: Page,
    live_server,
    alice: User,
    gina: User,
    zhang: Customer,
    zhang_business: Business,
    busy_back_office,
    screenshot_dir: Path,
) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    agent = desktop_page

    # An agent opens a fault order from the customer's 360, in a few clicks and one line of text.
    sign_in(agent, base, "alice", f"/customers/{zhang.pk}/")
    expect(agent.locator("#work-orders")).to_contain_text("没有未结工单")
    agent.locator("#work-orders").get_by_role("link", name="新建工单").click()
    expect(agent.get_by_role("heading", name="新建工单")).to_be_visible()
    agent.locator(".type-option", has_text="宽带故障").click()
    expect(agent.get_by_label("故障现象")).to_be_visible()
    agent.locator(".line-option", has_text="宽带").click()
    agent.get_by_label("故障现象").fill("宽带每晚频繁掉线")
    agent.get_by_label("相关设备").select_option("光猫")
    agent.screenshot(path=str(screenshot_dir / "order-create-desktop.png"), full_page=True)
    agent.get_by_role("button", name="提交工单").click()

    # It is dispatched at once to the team and engineer of the customer's area.
    expect(agent).to_have_url(re.compile(r"/orders/GD\d{14}/$"))
    number = agent.locator("#order-number").inner_text()
    expect(agent.locator(".alert-success")).to_contain_text("已派给 鼓楼装维班 · 查理")
    expect(agent.locator("#order-area")).to_contain_text("鼓楼01片区")
    expect(agent.locator("#order-handler")).to_contain_text("鼓楼装维班 · 查理")
    expect(agent.locator(".status-badge").first).to_have_text("已派单")
    expect(agent.locator("#contact-phone")).to_have_text("138****5678")

    # The engineer takes it on their phone.
    engineer = open_page(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        sign_in(engineer, base, "charlie", "/field/")
        card = engineer.locator(f"#field-{number}")
        expect(card).to_contain_text("宽带故障：宽带每晚频繁掉线")
        expect(card.get_by_role("link", name="联系客户")).to_have_attribute("href", "tel:13812345678")
        engineer.screenshot(path=str(screenshot_dir / "order-field-list-phone.png"), full_page=True)
        card.locator(".field-card-link").click()
        expect(engineer).to_have_url(f"{base}/field/orders/{number}/")
        expect(engineer.locator("#call-customer")).to_have_attribute("href", "tel:13812345678")

        engineer.get_by_role("button", name="接单").click()
        expect(engineer.locator(".status-badge").first).to_have_text("已接单")
        engineer.get_by_role("button", name="出发").click()
        expect(engineer.locator(".status-badge").first).to_have_text("处理中")
        engineer.get_by_role("button", name="到达").click()
        expect(engineer.get_by_role("button", name="✓ 到达")).to_be_disabled()
        engineer.get_by_label("处理结果").fill("光猫光口松动，重新接续并更换尾纤，测速正常")
        engineer.get_by_label("备注").fill("已告知客户夜间如再掉线直接来电")
        engineer.locator("#action-resolve input[type=file]").set_input_files(
            files=[{"name": "光猫.png", "mimeType": "image/png", "buffer": PNG}]
        )
        expect(engineer.locator("#action-resolve .photo-name")).to_have_text("光猫.png")
        engineer.screenshot(path=str(screenshot_dir / "order-field-phone.png"), full_page=True)
        engineer.locator("#action-resolve button[type=submit]").click()
        expect(engineer.locator(".status-badge").first).to_have_text("已回单")
        expect(engineer.locator(".alert-success")).to_contain_text("已回单")
        engineer.goto(f"{base}/orders/?view=area")
        expect(engineer.locator(".order-table tbody tr")).to_have_count(2)
        engineer.screenshot(path=str(screenshot_dir / "order-list-phone.png"), full_page=True)
    finally:
        engineer.context.close()

    # The agent calls the customer back, records the rating and closes the order.
    agent.reload()
    expect(agent.locator(".status-badge").first).to_have_text("已回单")
    agent.locator("#action-callback > summary").click()
    agent.locator("#action-callback .rating-option", has_text="5").click()
    agent.get_by_label("客户反馈").fill("客户表示网络已恢复，很满意")
    agent.screenshot(path=str(screenshot_dir / "order-callback-desktop.png"))
    agent.locator("#action-callback button[type=submit]").click()
    expect(agent.locator(".alert-success")).to_contain_text("已关闭")
    expect(agent.locator(".status-badge").first).to_have_text("已关闭")

    # The timeline shows every step in order, each with its time.
    events = agent.locator("#timeline .event")
    titles = [title.strip() for title in events.locator(".event-title").all_inner_texts()]
    assert titles == [
        "创建工单",
        "派单",
        "接单",
        "开始处理",
        "出发",
        "到达现场",
        "回单",
        "附件",
        "备注",
        "回访",
        "回访后关闭",
    ]
    times = [
        dt.datetime.fromisoformat(value)
        for value in events.locator("time").evaluate_all("nodes => nodes.map(node => node.getAttribute('datetime'))")
    ]
    assert times == sorted(times)
    order = WorkOrder.objects.get(number=number)
    assert (times[0], times[-1]) == (order.created_at, order.closed_at)
    expect(events.nth(1)).to_contain_text("鼓楼装维班 · 查理 · 自动")
    expect(events.nth(7)).to_contain_text("光猫.png")
    expect(events.nth(8)).to_contain_text("已告知客户夜间如再掉线直接来电")
    expect(events.nth(9)).to_contain_text("满意度 5/5 · 已解决")
    expect(agent.locator("#attachments img")).to_have_attribute("alt", "光猫.png")
    agent.evaluate("window.scrollTo(0, 0)")
    agent.screenshot(path=str(screenshot_dir / "order-page-desktop.png"), full_page=True)

    # The lists and the dispatcher's board, as the supervisor's and dispatcher's day looks.
    agent.goto(f"{base}/orders/?view=open")
    expect(agent.locator(".order-table tbody tr")).to_have_count(4)
    agent.screenshot(path=str(screenshot_dir / "order-list-desktop.png"), full_page=True)

    dispatcher = open_page(browser, DESKTOP)
    try:
        sign_in(dispatcher, base, "gina", "/orders/board/")
        expect(dispatcher.locator("#board-returned")).to_contain_text("用户不在家，约不上时间")
        expect(dispatcher.locator("#board-overdue")).to_contain_text("宽带无法上网")
        expect(dispatcher.locator("#board-unassigned")).to_contain_text("移机到新家")
        dispatcher.screenshot(path=str(screenshot_dir / "order-board-desktop.png"), full_page=True)
    finally:
        dispatcher.context.close()
