"""The desk speaks Chinese first; English is one click away (PRODUCT, STYLE §12)."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.accounts.models import User
from tests.desk.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_pages_are_in_chinese_by_default(alice: User) -> None:
    html = signed_in(alice).get("/customers/").content.decode()

    assert '<html lang="zh-CN">' in html
    assert "查找客户" in html
    assert "退出登录" in html
    assert "Find a customer" not in html


def test_login_page_is_in_chinese_by_default() -> None:
    html = Client().get("/login/").content.decode()

    assert "客服 <small>Kefu</small>" in html
    assert "登录" in html
    assert "用户名" in html


def test_pages_are_in_english_after_switching(alice: User) -> None:
    client = signed_in(alice)

    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})
    html = client.get("/customers/").content.decode()

    assert switched.status_code == 302
    assert switched["Location"] == "/customers/"
    assert '<html lang="en">' in html
    assert "Find a customer" in html
    assert "查找客户" not in html


def test_switching_back_to_chinese(alice: User) -> None:
    client = signed_in(alice)
    client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/customers/"})
    html = client.get("/customers/").content.decode()

    assert "查找客户" in html


def test_browser_asking_for_chinese_sees_chinese(alice: User) -> None:
    response = signed_in(alice).get("/customers/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})

    assert "查找客户" in response.content.decode()


def test_browser_asking_for_english_still_sees_chinese_until_switched(alice: User) -> None:
    response = signed_in(alice).get("/customers/", headers={"Accept-Language": "en-US,en;q=0.9"})

    assert "查找客户" in response.content.decode()
