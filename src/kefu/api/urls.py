"""The REST API (OpenAPI at /api/v1/docs): the same services and rules as the desk."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import django_auth

from kefu.api.customers import router as customers_router
from kefu.api.knowledge import router as knowledge_router
from kefu.api.orders import router as orders_router
from kefu.core.errors import KefuError

api = NinjaAPI(
    title="Kefu API",
    version="1",
    urls_namespace="api",
    auth=django_auth,
    description="Kefu customer-service platform. Session authentication; every call is scoped to the caller's role.",
)
api.add_router("/customers", customers_router)
api.add_router("/orders", orders_router)
api.add_router("/knowledge", knowledge_router)


@api.exception_handler(KefuError)
def kefu_error(request: HttpRequest, error: KefuError) -> HttpResponse:
    return api.create_response(request, {"code": error.code, "detail": error.message}, status=error.http_status)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"code": "forbidden", "detail": "Your role does not allow this."}, status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return api.create_response(request, {"code": "not_found", "detail": str(error) or "Not found."}, status=404)
