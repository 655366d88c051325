"""One search box finds a customer by whatever the caller tells the agent (PRODUCT §2)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.accounts.models import User
from kefu.customers.models import Customer
from tests.desk.conftest import signed_in
from tests.desk.scenario import ACCOUNT_NUMBER, Business

pytestmark = pytest.mark.django_db

SEARCH_URL = "/customers/"


def detail_url(customer: Customer) -> str:
    return reverse("desk:customer_detail", kwargs={"customer_id": customer.pk})


def found(response) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(hit.number, hit.matched_on) for hit in response.context["hits"]]


@pytest.mark.parametrize("typed", ["13812345678", "138 1234 5678", "+86 138-1234-5678"])
def test_full_phone_with_one_match_opens_the_360(typed: str, alice: User, zhang: Customer, wang: Customer) -> None:
    response = signed_in(alice).get(SEARCH_URL, {"q": typed})

    assert response.status_code == 302
    assert response["Location"] == detail_url(zhang)


def test_phone_prefix_lists_the_customer_without_jumping(alice: User, zhang: Customer, wang: Customer) -> None:
    response = signed_in(alice).get(SEARCH_URL, {"q": "1381234"})

    assert response.status_code == 200
    assert found(response) == [(zhang.number, "phone")]
    hit = response.context["hits"][0]
    assert hit.phone == "138****5678"
    assert hit.area == "鼓楼01片区"
    assert hit.tier == "standard"


def test_name_prefix_finds_the_customer(alice: User, zhang: Customer, wang: Customer) -> None:
    response = signed_in(alice).get(SEARCH_URL, {"q": "张三"})

    assert response.status_code == 200
    assert found(response) == [(zhang.number, "name")]
    assert "张三丰" in response.content.decode()


def test_id_number_opens_the_360(alice: User, zhang: Customer, wang: Customer) -> None:
    response = signed_in(alice).get(SEARCH_URL, {"q": "320102198001011234"})

    assert response.status_code == 302
    assert response["Location"] == detail_url(zhang)


def test_customer_number_opens_the_360(alice: User, zhang: Customer, wang: Customer) -> None:
    response = signed_in(alice).get(SEARCH_URL, {"q": zhang.number.lower()})

    assert response.status_code == 302
    assert response["Location"] == detail_url(zhang)


def test_account_number_opens_the_360(alice: User, zhang_business: Business, zhang: Customer, wang: Customer) -> None:
    response = signed_in(alice).get(SEARCH_URL, {"q": ACCOUNT_NUMBER})

    assert response.status_code == 302
    assert response["Location"] == detail_url(zhang)


def test_address_finds_the_customer(alice: User, zhang: Customer, wang: Customer) -> None:
    response = signed_in(alice).get(SEARCH_URL, {"q": f"中山路{zhang.pk}号"})

    assert response.status_code == 200
    assert found(response) == [(zhang.number, "address")]


def test_live_results_while_typing_never_jump(alice: User, zhang: Customer) -> None:
    response = signed_in(alice).get(SEARCH_URL, {"q": "13812345678"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.templates[0].name == "desk/_search_results.html"
    assert found(response) == [(zhang.number, "phone")]
    assert "<html" not in response.content.decode()


@pytest.mark.parametrize("typed", ["1", "13", "张", "K"])
def test_too_short_input_is_refused_with_a_form_error(typed: str, alice: User, zhang: Customer) -> None:
    response = signed_in(alice).get(SEARCH_URL, {"q": typed})

    assert response.status_code == 200
    assert response.context["hits"] is None
    assert response.context["form"].errors["q"][0].startswith("请至少输入")


def test_no_match_says_so(alice: User, zhang: Customer) -> None:
    response = signed_in(alice).get(SEARCH_URL, {"q": "欧阳"})

    assert response.status_code == 200
    assert response.context["hits"] == []
    assert "没有找到与“欧阳”匹配的客户" in response.content.decode()


def test_empty_box_shows_the_start_state(alice: User) -> None:
    response = signed_in(alice).get(SEARCH_URL, {"q": "  "})

    assert response.status_code == 200
    assert response.context["hits"] is None
    assert response.context["form"].errors == {}
