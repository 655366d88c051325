"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

Playwright never downloads a browser here; it launches /usr/bin/chromium.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from kefu.accounts.models import User
from kefu.customers.choices import Tier
from kefu.customers.models import Customer
from tests.conftest import Areas
from tests.desk.scenario import Business, give_business
from tests.factories import CustomerFactory

# Playwright's sync API runs an event loop in this thread; Django's ORM (used by the
# fixtures) refuses to run beside one unless told that this is a test's doing.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def open_page(browser: Browser, viewport: dict[str, int], **options: object) -> Page:
    # A staff PC at a Chinese operator: the browser asks for zh-CN (Accept-Language).
    context = browser.new_context(viewport=viewport, locale="zh-CN", **options)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def desktop_page(browser: Browser) -> Iterator[Page]:
    page = open_page(browser, DESKTOP)
    yield page
    page.context.close()


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    page = open_page(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield page
    page.context.close()


@pytest.fixture
def zhang_business(zhang: Customer, sara: User) -> Business:
    """Zhang as the hotline meets him: a gold customer with a VIP manager who asked not to be called."""
    Customer.objects.filter(pk=zhang.pk).update(
        tier=Tier.GOLD, points=12680, brand="全球通", do_not_disturb=True, vip_manager=sara
    )
    return give_business(zhang)


@pytest.fixture
def namesakes(areas: Areas) -> list[Customer]:
    """Two more customers whose numbers start like zhang's, so a prefix lists several."""
    return [
        CustomerFactory(name="张伟", service_area=areas.gulou_01, phone="13811002233", tier=Tier.DIAMOND),
        CustomerFactory(name="张敏", service_area=areas.gulou, phone="13819876543", tier=Tier.SILVER),
    ]


@pytest.fixture
def screenshot_dir() -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR
