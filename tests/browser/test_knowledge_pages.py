"""In a real browser: an agent searches the demo knowledge base and reads an article; a supervisor
compares two versions. The screenshots land in test-results/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from kefu.accounts.models import User
from kefu.knowledge.demo import load_demo_content
from tests.factories import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"


def open_page(browser: Browser, width: int = 1440, height: int = 900, **options: object) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", **options)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    return context.new_page()


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def test_agent_searches_in_chinese_and_reads_an_article(browser: Browser, live_server, alice: User) -> None:
    load_demo_content()
    RESULTS_DIR.mkdir(exist_ok=True)
    page = open_page(browser)
    sign_in(page, live_server.url, "alice")

    page.goto(f"{live_server.url}/knowledge/")
    page.get_by_label("搜索知识库").fill("盒子黑屏")
    page.locator("#kb-page-q").press("Enter")
    first = page.locator(".kb-hit").first
    expect(first).to_contain_text("机顶盒无信号、电视黑屏怎么办")
    expect(first.locator("mark").first).to_be_visible()
    page.screenshot(path=str(RESULTS_DIR / "knowledge-search.png"), full_page=True)

    first.locator(".kb-hit-title").click()
    expect(page.get_by_role("heading", name="机顶盒无信号、电视黑屏怎么办")).to_be_visible()
    page.screenshot(path=str(RESULTS_DIR / "knowledge-article.png"), full_page=True)
    page.get_by_role("button", name="已解决客户的问题").click()
    expect(page.locator(".alert-success")).to_be_visible()
    page.context.close()


def test_supervisor_reviews_versions_and_their_changes(browser: Browser, live_server, sara: User) -> None:
    load_demo_content()
    RESULTS_DIR.mkdir(exist_ok=True)
    page = open_page(browser)
    sign_in(page, live_server.url, "sara")

    page.goto(f"{live_server.url}/knowledge/articles/KB-BB-01/")
    expect(page.locator("#kb-versions")).to_contain_text("千兆宽带降价")
    page.screenshot(path=str(RESULTS_DIR / "knowledge-article-versions.png"), full_page=True)
    page.get_by_role("link", name="修改对比").first.click()
    expect(page.locator(".kb-diff ins").first).to_be_visible()
    page.screenshot(path=str(RESULTS_DIR / "knowledge-diff.png"), full_page=True)

    page.goto(f"{live_server.url}/knowledge/editor/")
    expect(page.locator("#failed-searches")).to_be_visible()
    page.screenshot(path=str(RESULTS_DIR / "knowledge-editor.png"), full_page=True)
    page.context.close()


def test_search_is_usable_on_a_phone(browser: Browser, live_server, alice: User) -> None:
    load_demo_content()
    page = open_page(browser, 390, 844, is_mobile=True, has_touch=True, device_scale_factor=2)
    sign_in(page, live_server.url, "alice")

    page.goto(f"{live_server.url}/knowledge/?q=光猫红灯")
    expect(page.locator(".kb-hit").first).to_contain_text("光猫")
    page.screenshot(path=str(RESULTS_DIR / "knowledge-search-phone.png"), full_page=True)
    page.context.close()
