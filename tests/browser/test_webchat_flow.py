"""Acceptance (issue 4): a customer chats from the web widget, agent alice takes it with the
screen-pop and replies live, transfers it to bob who sees the history, the customer rates it,
and the chat is on the customer's timeline and counted on the supervisor's wall.

pytest-django's live server speaks WSGI only, so this test starts daphne (the ASGI server
Kefu runs on) in a subprocess against the test database: real HTTP, real WebSockets, real
channel-layer events, three browsers (customer on a phone, two agents, a supervisor).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from kefu.accounts.choices import Role
from kefu.accounts.models import AgentSkill, Skill, User
from kefu.contacts.models import Contact, WrapUpCode
from kefu.customers.models import Customer
from kefu.routing import services as acd
from kefu.routing.choices import AgentStatus
from kefu.routing.models import Queue, QueueEntry
from tests.browser.conftest import DESKTOP, PHONE
from tests.desk.scenario import Business
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=30_000)  # generous: CI shares two cores
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def asgi_server(transactional_db: None) -> Iterator[str]:
    """daphne serving Kefu on a free port, on this test's database."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "KEFU_DATA_DIR": str(settings.DATA_DIR),  # the same secret key signs the sessions
        "DJANGO_SETTINGS_MODULE": "kefu.config.settings",
        "KEFU_LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = (Path(settings.DATA_DIR) / f"daphne-{port}.log").open("w")
    server = subprocess.Popen(  # noqa: S603  (our own server, fixed arguments)
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "kefu.config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(f"daphne did not start: see {log.name}") from None
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


def staff_page(browser: Browser, base_url: str, user: User) -> Page:
    """A signed-in desk page: the session is made here and its cookie handed to the browser."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")  # type: ignore[arg-type]
    context.set_default_timeout(30_000)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}])
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def customer_phone(browser: Browser) -> Page:
    context = browser.new_context(
        viewport=PHONE,  # type: ignore[arg-type]
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(30_000)
    return context.new_page()


@pytest.fixture
def hotline(
    zhang: Customer, zhang_business: Business, alice: User, bob: User, sara: User, monkeypatch: pytest.MonkeyPatch
) -> Queue:
    """The broadband chat queue, a voice line nobody here is skilled for, a few colleagues, waiting callers."""
    # Events of what this process sets up have no listener here (the server is another process).
    monkeypatch.setattr("kefu.core.events._send", lambda group, payload: None)
    broadband = Skill.objects.create(code="BB", name="宽带")
    hotline_skill = Skill.objects.create(code="VOICE", name="语音热线")
    chat = Queue.objects.create(
        code="CHAT", name="在线客服", channels=["chat"], skill=broadband, offer_timeout_seconds=60
    )
    voice = Queue.objects.create(
        code="HOTLINE", name="10086 宽带热线", channels=["voice"], skill=hotline_skill, max_wait_alarm_seconds=60
    )
    for agent in (alice, bob):
        AgentSkill.objects.create(agent=agent, skill=broadband, level=3)
    for code, name, category in [
        ("BB-FAULT", "宽带故障", "fault"),
        ("BILL", "话费账单", "billing"),
        ("INFO", "业务咨询", "info"),
    ]:
        WrapUpCode.objects.create(code=code, name=name, category=category)
    # Colleagues at their desks, and callers waiting on the voice line (one for too long).
    for username, name, reason in [("chen", "陈静", "meal"), ("liu", "刘洋", "training")]:
        colleague = UserFactory(username=username, display_name=name, team=alice.team, roles=[Role.AGENT])
        acd.set_agent_status(colleague, AgentStatus.NOT_READY, reason)
    now = timezone.now()
    for index, waited in enumerate([95, 30]):
        caller = Contact.objects.create(
            channel="voice", identity=f"1390000{index:04d}", created_at=now, resume_token=f"v{index}"
        )
        entry = acd.enqueue(caller, voice)
        QueueEntry.objects.filter(pk=entry.pk).update(enqueued_at=now - dt.timedelta(seconds=waited))
        Contact.objects.filter(pk=caller.pk).update(offered_at=now - dt.timedelta(seconds=waited))
    return chat


def test_customer_chats_agents_answer_transfer_and_the_chat_is_on_record(
    browser: Browser,
    asgi_server: str,
    hotline: Queue,
    alice: User,
    bob: User,
    sara: User,
    zhang: Customer,
    screenshot_dir: Path,
) -> None:
    base = asgi_server
    alice_page = staff_page(browser, base, alice)
    bob_page = staff_page(browser, base, bob)
    sara_page = staff_page(browser, base, sara)
    customer = customer_phone(browser)

    # The supervisor watches the wall; alice signs in ready.
    sara_page.goto(f"{base}/supervisor/")
    expect(sara_page.get_by_role("heading", name="实时监控")).to_be_visible()
    alice_page.goto(f"{base}/agent/")
    alice_page.get_by_role("button", name="就绪").click()
    expect(alice_page.locator("#agent-state")).to_contain_text("就绪")
    expect(sara_page.locator('#wall-agents tr[data-agent="alice"]')).to_contain_text("就绪")

    # The customer opens the widget on the operator's page and writes.
    customer.goto(f"{base}/chat/")
    customer.get_by_role("button", name="在线客服").click()
    customer.get_by_label("您的称呼").fill("张先生")
    customer.get_by_label("手机号（选填）").fill("13812345678")
    customer.get_by_label("您想咨询什么？").fill("家里宽带连不上网，光猫红灯一直闪")
    customer.screenshot(path=str(screenshot_dir / "webchat-phone-start.png"))
    customer.get_by_role("button", name="开始咨询").click()
    expect(customer.locator(".log")).to_contain_text("家里宽带连不上网")

    # alice gets the offer with the screen-pop of the customer 360.
    offer = alice_page.locator("#offers [data-offer]")
    expect(offer).to_contain_text("张三丰")
    expect(offer).to_contain_text("家里宽带连不上网")
    pop = alice_page.locator("#screen-pop")
    expect(pop).to_contain_text("张三丰")
    expect(pop).to_contain_text("金卡")
    expect(pop).to_contain_text("AC025001234")
    alice_page.screenshot(path=str(screenshot_dir / "agent-desktop-offer.png"))
    offer.get_by_role("button", name="接起").click()

    # alice replies; the customer sees it live, and the other way round.
    pane = alice_page.locator("#panes .pane:not([hidden])")
    expect(pane).to_contain_text("家里宽带连不上网")
    expect(customer.locator("header .status")).to_contain_text("艾丽")
    pane.get_by_label("回复").fill("张先生您好，我是艾丽。看到您的宽带账号 AC025001234，正在为您检测线路。")
    pane.get_by_label("回复").press("Enter")
    expect(customer.locator(".log")).to_contain_text("正在为您检测线路")
    customer.get_by_placeholder("输入消息，Enter 发送").fill("好的，光猫是华为的，红灯闪了一上午了")
    customer.get_by_placeholder("输入消息，Enter 发送").press("Enter")
    expect(pane).to_contain_text("红灯闪了一上午了")
    pane.get_by_label("回复").fill("线路检测到光信号异常，我请装维同事为您处理，请稍候。")
    pane.get_by_label("回复").press("Enter")
    expect(customer.locator(".log")).to_contain_text("光信号异常")
    expect(sara_page.locator('#wall-agents tr[data-agent="alice"]')).to_contain_text("张三丰")
    alice_page.wait_for_timeout(2_100)  # the clocks run in the browser
    expect(pane.locator(".pane-facts [data-since]")).not_to_have_text(re.compile(r"^0:0[01]$"))
    alice_page.screenshot(path=str(screenshot_dir / "agent-desktop.png"))
    customer.screenshot(path=str(screenshot_dir / "webchat-phone.png"))

    # bob comes in ready; alice transfers the chat to him with a note; he sees the history.
    bob_page.goto(f"{base}/agent/")
    bob_page.get_by_role("button", name="就绪").click()
    expect(bob_page.locator("#agent-state")).to_contain_text("就绪")
    alice_page.reload()  # the transfer list shows who is at a desk now
    # Let the desk finish loading (pane, contact list, socket) before acting, as a person would:
    # a click while the pane is still being put back can send the transfer from a pane that is
    # replaced before its answer arrives.
    alice_page.wait_for_load_state("networkidle")
    pane = alice_page.locator("#panes .pane:not([hidden])")
    expect(pane).to_contain_text("光信号异常")
    expect(alice_page.locator("#agent-desk")).to_have_attribute("data-live", "open")
    pane.get_by_text("转接", exact=True).click()
    pane.get_by_label("转接给").select_option(label="鲍勃 · 就绪")
    pane.get_by_label("给接手座席的备注").fill("光信号异常，客户在家，需上门报修")
    pane.get_by_role("button", name="带记录转接").click()
    expect(alice_page.locator("#panes")).to_contain_text("已转接给 鲍勃")
    bob_offer = bob_page.locator("#offers [data-offer]")
    expect(bob_offer).to_contain_text("张三丰")
    expect(bob_offer).to_contain_text("已转接")
    bob_offer.get_by_role("button", name="接起").click()
    bob_pane = bob_page.locator("#panes .pane:not([hidden])")
    expect(bob_pane).to_contain_text("正在为您检测线路")  # alice's reply
    expect(bob_pane).to_contain_text("需上门报修")  # alice's note
    expect(customer.locator("header .status")).to_contain_text("鲍勃")

    # bob closes the conversation; the customer rates it; bob wraps up.
    bob_pane.get_by_label("回复").fill("已为您登记上门维修，师傅会在 2 小时内联系您。")
    bob_pane.get_by_label("回复").press("Enter")
    expect(customer.locator(".log")).to_contain_text("2 小时内联系您")
    bob_pane.get_by_role("button", name="结束").click()
    expect(bob_pane.locator(".wrap-up")).to_be_visible()
    expect(customer.get_by_role("radiogroup", name="请为本次服务评分")).to_be_visible()
    customer.get_by_role("radio", name="5 · 非常满意").click()
    customer.get_by_placeholder("还有什么想告诉我们的？（选填）").fill("响应很快")
    customer.screenshot(path=str(screenshot_dir / "webchat-phone-rating.png"))
    customer.get_by_role("button", name="提交评价").click()
    expect(customer.locator(".thanks")).to_have_text("感谢您的评价！")
    bob_pane.get_by_text("宽带故障").click()
    bob_pane.get_by_label("备注").fill("光信号异常，已转上门维修")
    bob_pane.get_by_role("button", name="完成小结").click()
    expect(bob_page.locator("#panes")).to_contain_text("小结已保存")

    # On record: the customer's timeline has the chat with its transcript and times ...
    contact = Contact.objects.get(channel="chat")
    assert (contact.customer, contact.agent, contact.status, contact.rating) == (zhang, bob, "ended", 5)
    assert (contact.transfers, contact.wrap_up_code.code if contact.wrap_up_code else "") == (1, "BB-FAULT")
    assert None not in (contact.wait_seconds, contact.talk_seconds, contact.wrap_up_seconds)
    alice_page.goto(f"{base}/customers/{zhang.pk}/")
    history = alice_page.locator("#contacts")
    expect(history.locator(".tl-item")).to_have_count(1)
    expect(history).to_contain_text("在线客服")
    expect(history).to_contain_text("宽带故障")
    expect(history).to_contain_text("鲍勃")
    history.get_by_text(re.compile(r"会话记录（\d+ 条）")).click()
    expect(history).to_contain_text("正在为您检测线路")
    history.screenshot(path=str(screenshot_dir / "customer-360-contact-history.png"))

    # ... and the supervisor's wall counted it, live.
    chat_row = sara_page.locator('#wall-queues tr[data-queue="CHAT"]')
    expect(chat_row.locator('[data-kpi="offered"]')).to_have_text("1")
    expect(chat_row.locator('[data-kpi="answered"]')).to_have_text("1")
    expect(sara_page.locator('#wall-queues tr[data-queue="HOTLINE"]')).to_have_class(re.compile("is-alarm"))
    sara_page.screenshot(path=str(screenshot_dir / "supervisor-wall.png"), full_page=True)

    for page in (alice_page, bob_page, sara_page, customer):
        page.context.close()
