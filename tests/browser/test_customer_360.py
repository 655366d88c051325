"""An agent signs in, finds a caller by phone number and reads the customer 360 view."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kefu.accounts.models import User
from kefu.customers.models import Customer
from tests.desk.scenario import Business
from tests.factories import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base_url}/customers/")


def test_agent_finds_caller_by_phone_and_sees_the_360(
    desktop_page: Page, live_server, alice: User, zhang: Customer, zhang_business: Business, screenshot_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    page = desktop_page
    sign_in(page, live_server.url, "alice")

    page.get_by_role("searchbox", name="查找客户").last.fill("13812345678")
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/customers/{zhang.pk}/")
    expect(page.get_by_role("heading", name="张三丰")).to_be_visible()
    expect(page.locator("#profile")).to_contain_text("138****5678")
    expect(page.locator("#line-" + str(zhang_business.mobile.pk))).to_contain_text("138****5678")
    expect(page.locator("#balance")).to_contain_text("可用额度")
    expect(page.locator("#balance")).to_contain_text("¥258.50")
    expect(page.locator("#line-" + str(zhang_business.mobile.pk))).to_contain_text("畅享套餐128元")
    expect(page.get_by_role("progressbar", name="流量").first).to_have_attribute("aria-valuenow", "30")

    latest_bill = page.locator("#bills details.bill").first
    latest_bill.locator("summary").click()
    expect(latest_bill).to_contain_text("套餐及固定费")
    expect(latest_bill).to_contain_text("¥268.00")

    page.get_by_role("button", name="近 90 天详单").first.click()
    expect(page.locator(f"#usage-{zhang_business.mobile.pk}")).to_contain_text("139****1111")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "customer-360-desktop.png"), full_page=True)


def test_live_search_on_a_phone(
    phone_page: Page,
    live_server,
    alice: User,
    zhang: Customer,
    wang: Customer,
    namesakes: list[Customer],
    screenshot_dir: Path,
) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    sign_in(page, live_server.url, "alice")

    page.locator("#id_q").press_sequentially("1381", delay=60)

    results = page.locator("#search-results")
    expect(results.locator("tbody tr")).to_have_count(3)
    expect(results).to_contain_text("张三丰")
    expect(results).to_contain_text("138****5678")
    expect(results).to_contain_text("钻石卡")
    expect(results).not_to_contain_text("王小二")
    expect(page).to_have_url(f"{live_server.url}/customers/?q=1381")
    page.screenshot(path=str(screenshot_dir / "customer-search-phone.png"), full_page=True)

    results.get_by_role("link", name="张三丰").click()
    expect(page).to_have_url(f"{live_server.url}/customers/{zhang.pk}/")


def test_agent_switches_the_desk_to_english(desktop_page: Page, live_server, alice: User) -> None:  # type: ignore[no-untyped-def]
    page = desktop_page
    sign_in(page, live_server.url, "alice")
    expect(page.get_by_role("heading", name="查找客户")).to_be_visible()

    page.get_by_role("button", name="EN").click()

    expect(page.get_by_role("heading", name="Find a customer")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
