"""The knowledge API: public answers need no sign-in, everything else is for staff."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.accounts.models import User
from tests.desk.conftest import signed_in
from tests.knowledge.conftest import Library

pytestmark = pytest.mark.django_db

BASE = "/api/v1/knowledge"


def test_public_search_needs_no_sign_in_and_returns_highlighted_public_hits(library: Library) -> None:
    response = Client().get(f"{BASE}/public/articles", {"q": "盒子黑屏"})

    body = response.json()
    assert response.status_code == 200
    assert [hit["code"] for hit in body["hits"]] == [library.stb_black_screen.code]
    assert body["words"] == ["机顶盒", "黑屏"]
    assert "<mark>" in body["hits"][0]["title_html"]


def test_public_article_is_the_published_version(library: Library) -> None:
    body = Client().get(f"{BASE}/public/articles/{library.stb_no_signal.code}").json()

    assert (body["title"], body["audience"], body["version"]) == ("机顶盒无信号怎么处理", "public", 1)


def test_public_answer_says_when_it_has_no_answer(db: None) -> None:
    body = Client().get(f"{BASE}/public/answer", {"q": "今天天气怎么样"}).json()

    assert body == {
        "answered": False,
        "faq_code": None,
        "question": None,
        "answer": None,
        "article_code": None,
        "confidence": None,
    }


def test_staff_endpoints_need_sign_in_and_the_right_role(library: Library, alice: User, gina: User) -> None:
    assert Client().get(f"{BASE}/articles", {"q": "机顶盒"}).status_code == 401
    assert signed_in(alice).get(f"{BASE}/articles/{library.internal_codes.code}").json()["audience"] == "internal"
    assert signed_in(alice).get(f"{BASE}/articles", {"q": "机顶盒", "audience": "internal"}).json()["hits"][0][
        "code"
    ] == (library.internal_codes.code)
    assert signed_in(gina).get(f"{BASE}/articles", {"q": "机顶盒"}).status_code == 200  # dispatchers read too


def test_a_short_query_is_refused(db: None) -> None:
    assert Client().get(f"{BASE}/public/articles", {"q": "盒"}).status_code == 400
