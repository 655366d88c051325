import pytest


@pytest.mark.django_db
def test_healthz_reports_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_metrics_exposes_request_counters(client):
    client.get("/healthz")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert 'kefu_http_requests_total{method="GET",route="healthz",status="200"}' in response.content.decode()
