import pytest


@pytest.mark.django_db
def test_anonymous_caller_is_refused(client, zhang):
    response = client.get("/api/v1/customers", {"q": "13812345678"})

    assert response.status_code == 401


@pytest.mark.django_db
def test_agent_searches_by_phone_and_gets_masked_numbers(client, alice, zhang):
    client.force_login(alice)

    response = client.get("/api/v1/customers", {"q": "13812345678"})

    assert response.status_code == 200
    body = response.json()
    assert [(hit["number"], hit["phone"], hit["matched_on"]) for hit in body] == [
        (zhang.number, "138****5678", "phone")
    ]


@pytest.mark.django_db
def test_too_short_query_gets_a_clear_400(client, alice):
    client.force_login(alice)

    response = client.get("/api/v1/customers", {"q": "1"})

    assert response.status_code == 400
    assert response.json()["code"] == "query_too_short"


@pytest.mark.django_db
def test_role_without_customer_access_gets_403(client, kate, zhang):
    client.force_login(kate)

    assert client.get("/api/v1/customers", {"q": "13812345678"}).status_code == 403
    assert client.get(f"/api/v1/customers/{zhang.pk}").status_code == 403


@pytest.mark.django_db
def test_engineer_gets_404_for_customer_of_another_area(client, charlie, zhang, wang):
    client.force_login(charlie)

    assert client.get(f"/api/v1/customers/{wang.pk}").status_code == 404
    assert client.get(f"/api/v1/customers/{zhang.pk}").status_code == 200


@pytest.mark.django_db
def test_detail_masks_id_for_agent_not_for_supervisor(client, alice, sara, zhang):
    client.force_login(alice)
    masked = client.get(f"/api/v1/customers/{zhang.pk}").json()
    client.force_login(sara)
    full = client.get(f"/api/v1/customers/{zhang.pk}").json()

    assert masked["id_number"] == "320102********1234"
    assert masked["numbers"] == [{"number": "138****5678", "kind": "mobile", "is_primary": True}]
    assert full["id_number"] == "320102198001011234"


@pytest.mark.django_db
def test_openapi_schema_lists_customer_endpoints(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert "/api/v1/customers/{customer_id}" in response.json()["paths"]
