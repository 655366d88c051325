"""The orders API keeps the same rules and scoping as the services."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.tickets.models import WorkOrder
from tests.tickets.conftest import back_office  # noqa: F401  (fixture)

FAULT = {"order_type": "FAULT_DTV", "title": "电视没信号", "fields": {"symptom": "无信号"}}


@pytest.fixture
def api_order(client, alice, zhang, back_office):  # noqa: F811
    client.force_login(alice)
    response = client.post("/api/v1/orders", {**FAULT, "customer_id": zhang.pk}, content_type="application/json")
    assert response.status_code == 201, response.content
    client.logout()
    return response.json()


@pytest.mark.django_db
def test_agent_creates_a_fault_order_that_is_dispatched(api_order):
    assert (api_order["status"], api_order["team"], api_order["assignee"]) == ("dispatched", "F-GL", "charlie")
    assert api_order["resolution_due"] is not None


@pytest.mark.django_db
def test_bad_input_gets_a_clear_error_and_stores_nothing(client, alice, zhang):
    client.force_login(alice)

    missing = client.post(
        "/api/v1/orders", {**FAULT, "fields": {}, "customer_id": zhang.pk}, content_type="application/json"
    )
    unknown_type = client.post("/api/v1/orders", {**FAULT, "order_type": "NOPE"}, content_type="application/json")
    malformed = client.post("/api/v1/orders", "{not json", content_type="application/json")

    assert (missing.status_code, missing.json()["code"]) == (409, "field_required")
    assert (unknown_type.status_code, unknown_type.json()["code"]) == (409, "type_unknown")
    assert malformed.status_code in (400, 422)
    assert WorkOrder.objects.count() == 0


@pytest.mark.django_db
def test_engineer_walks_the_order_through_the_api(client, charlie, api_order):
    client.force_login(charlie)
    url = f"/api/v1/orders/{api_order['number']}/transitions"

    assert client.post(url, {"action": "accept"}, content_type="application/json").json()["status"] == "accepted"
    refused = client.post(url, {"action": "close", "satisfaction": 5}, content_type="application/json")
    resolved = client.post(url, {"action": "resolve", "reason": "更换机顶盒"}, content_type="application/json")

    assert refused.status_code == 403
    assert resolved.json()["status"] == "resolved"


@pytest.mark.django_db
def test_illegal_transition_answers_409_and_changes_nothing(client, charlie, api_order):
    client.force_login(charlie)

    response = client.post(
        f"/api/v1/orders/{api_order['number']}/transitions", {"action": "resume"}, content_type="application/json"
    )

    assert (response.status_code, response.json()["code"]) == (409, "illegal_transition")
    assert WorkOrder.objects.get(number=api_order["number"]).status == "dispatched"


@pytest.mark.django_db
def test_engineer_of_another_area_gets_404(client, dave, api_order):
    client.force_login(dave)

    assert client.get(f"/api/v1/orders/{api_order['number']}").status_code == 404
    assert (
        client.post(
            f"/api/v1/orders/{api_order['number']}/transitions", {"action": "accept"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get("/api/v1/orders").json()["count"] == 0


@pytest.mark.django_db
def test_list_is_paginated_and_filtered(client, gina, api_order):
    client.force_login(gina)

    page = client.get("/api/v1/orders", {"limit": 1, "status": "dispatched"}).json()
    none = client.get("/api/v1/orders", {"status": "closed"}).json()
    bad_view = client.get("/api/v1/orders", {"view": "everything"})

    assert (page["count"], [item["number"] for item in page["items"]]) == (1, [api_order["number"]])
    assert none["count"] == 0
    assert bad_view.status_code == 409


@pytest.mark.django_db
def test_detail_has_the_timeline_and_notes(client, alice, api_order):
    client.force_login(alice)
    client.post(f"/api/v1/orders/{api_order['number']}/notes", {"text": "用户催单"}, content_type="application/json")

    detail = client.get(f"/api/v1/orders/{api_order['number']}").json()

    assert [event["kind"] for event in detail["events"]] == ["created", "transition", "note"]
    assert detail["events"][-1]["reason"] == "用户催单"


@pytest.mark.django_db
def test_engineer_uploads_a_photo_but_not_an_executable(client, charlie, api_order, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(charlie)
    url = f"/api/v1/orders/{api_order['number']}/attachments"

    photo = client.post(url, {"file": SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff" + b"0" * 100, "image/jpeg")})
    program = client.post(url, {"file": SimpleUploadedFile("x.exe", b"MZ", "application/octet-stream")})

    assert (photo.status_code, photo.json()["name"]) == (201, "现场.jpg")
    assert (program.status_code, program.json()["code"]) == (409, "file_type")
    assert WorkOrder.objects.get(number=api_order["number"]).attachments.count() == 1
