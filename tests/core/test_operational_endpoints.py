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


@pytest.mark.django_db
def test_metrics_are_refused_to_other_addresses(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 403
