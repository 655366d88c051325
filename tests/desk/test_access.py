"""Who may open the customer pages, and what each role sees on them (PRODUCT §1)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.accounts.models import User
from kefu.customers.models import Customer
from tests.desk.conftest import signed_in
from tests.desk.scenario import Business

pytestmark = pytest.mark.django_db


def detail_url(customer: Customer) -> str:
    return reverse("desk:customer_detail", kwargs={"customer_id": customer.pk})


SEARCH_URL = "/customers/"


def test_search_and_detail_urls_are_where_the_desk_links_them(zhang: Customer) -> None:
    assert reverse("desk:customer_search") == SEARCH_URL
    assert detail_url(zhang) == f"/customers/{zhang.pk}/"


@pytest.mark.parametrize("page", ["search", "detail"])
def test_anonymous_visitor_is_sent_to_login(page: str, zhang: Customer) -> None:
    url = SEARCH_URL if page == "search" else detail_url(zhang)

    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


@pytest.mark.parametrize("page", ["search", "detail"])
def test_knowledge_editor_is_refused_customer_pages(page: str, kate: User, zhang: Customer) -> None:
    url = SEARCH_URL if page == "search" else detail_url(zhang)

    response = signed_in(kate).get(url)

    assert response.status_code == 403


def test_knowledge_editor_lands_on_a_welcome_page_not_a_refusal(kate: User) -> None:
    response = signed_in(kate).get("/")

    assert response.status_code == 200
    assert response.templates[0].name == "desk/home.html"


def test_agent_home_opens_customer_search(alice: User) -> None:
    response = signed_in(alice).get("/")

    assert response.status_code == 302
    assert response["Location"] == SEARCH_URL


def test_agent_sees_search_and_customer_360(alice: User, zhang_business: Business, zhang: Customer) -> None:
    client = signed_in(alice)

    search = client.get(SEARCH_URL)
    detail = client.get(detail_url(zhang))

    assert search.status_code == 200
    assert detail.status_code == 200
    assert detail.context["customer"] == zhang
    assert [panel.line.subscription for panel in detail.context["lines"]] == [
        zhang_business.mobile,
        zhang_business.broadband,
        zhang_business.tv,
    ]


def test_field_engineer_cannot_open_customer_outside_own_area(charlie: User, wang: Customer) -> None:
    response = signed_in(charlie).get(detail_url(wang))

    assert response.status_code == 404


def test_field_engineer_opens_customer_inside_own_area(charlie: User, zhang: Customer) -> None:
    response = signed_in(charlie).get(detail_url(zhang))

    assert response.status_code == 200
    assert response.context["customer"] == zhang


def test_field_engineer_search_does_not_reveal_other_areas(charlie: User, wang: Customer) -> None:
    response = signed_in(charlie).get(SEARCH_URL, {"q": "王小二"})

    assert response.status_code == 200
    assert response.context["hits"] == []


def test_agent_sees_masked_phone_and_id_number(alice: User, zhang_business: Business, zhang: Customer) -> None:
    response = signed_in(alice).get(detail_url(zhang))
    html = response.content.decode()

    assert response.context["profile"].id_number == "320102********1234"
    assert [n.number for n in response.context["profile"].numbers] == ["138****5678"]
    assert "138****5678" in html
    assert "320102********1234" in html
    assert "13812345678" not in html
    assert "138 1234 5678" not in html
    assert "320102198001011234" not in html


def test_agent_sees_masked_other_party_in_usage_records(alice: User, zhang_business: Business, zhang: Customer) -> None:
    url = reverse("desk:line_usage", kwargs={"customer_id": zhang.pk, "subscription_id": zhang_business.mobile.pk})

    html = signed_in(alice).get(url, {"kind": "voice"}).content.decode()

    assert "139****1111" in html
    assert "13900001111" not in html


def test_supervisor_sees_full_phone_and_id_number(sara: User, zhang_business: Business, zhang: Customer) -> None:
    response = signed_in(sara).get(detail_url(zhang))
    html = response.content.decode()

    assert response.context["profile"].id_number == "320102198001011234"
    assert [n.number for n in response.context["profile"].numbers] == ["138 1234 5678"]
    assert "138 1234 5678" in html
    assert "320102198001011234" in html
    assert "138****5678" not in html


def test_billing_cards_hidden_from_role_without_billing(
    charlie: User, zhang_business: Business, zhang: Customer
) -> None:
    response = signed_in(charlie).get(detail_url(zhang))
    html = response.content.decode()

    assert not charlie.has_perm("bss.view_billing")
    assert response.context["billing"] is None
    assert all(panel.usage is None for panel in response.context["lines"])
    assert 'id="balance"' not in html
    assert 'id="bills"' not in html
    assert "usage-panel" not in html
    # What the line holds is not billing: the engineer still sees the packages and devices.
    assert "500M光宽带" in html
    assert "ZTE-F663N-0042" in html


def test_billing_cards_shown_to_agent(alice: User, zhang_business: Business, zhang: Customer) -> None:
    response = signed_in(alice).get(detail_url(zhang))
    html = response.content.decode()

    assert response.context["billing"].balance.account_number == "ZH0025000001"
    bills = response.context["billing"].bills
    assert [bill.status for bill in bills] == ["unpaid", "paid", "paid"]
    assert bills[0].id == zhang_business.latest_bill.pk
    assert 'id="balance"' in html
    assert 'id="bills"' in html


def test_usage_records_refused_to_role_without_billing(
    charlie: User, zhang_business: Business, zhang: Customer
) -> None:
    url = reverse("desk:line_usage", kwargs={"customer_id": zhang.pk, "subscription_id": zhang_business.mobile.pk})

    response = signed_in(charlie).get(url)

    assert response.status_code == 403


def test_usage_records_of_another_customers_line_are_not_found(
    alice: User, zhang_business: Business, wang: Customer
) -> None:
    url = reverse("desk:line_usage", kwargs={"customer_id": wang.pk, "subscription_id": zhang_business.mobile.pk})

    response = signed_in(alice).get(url)

    assert response.status_code == 404
