"""Prometheus metrics for /metrics: request counts and latencies by route."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

REQUESTS = Counter("kefu_http_requests_total", "HTTP requests handled", ["method", "route", "status"])
LATENCY = Histogram(
    "kefu_http_request_seconds",
    "Time to answer an HTTP request",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # The route name, not the path, so customer ids do not explode the label set.
        route = (match.view_name if match else "") or "unmatched"
        LATENCY.labels(route=route).observe(time.perf_counter() - started)
        REQUESTS.labels(method=request.method or "", route=route, status=str(response.status_code)).inc()
        return response
