"""Customers: search and the customer's profile, masked by the caller's role."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from kefu.accounts.permissions import ensure_permissions
from kefu.api.schemas import BalanceOut, CustomerHitOut, CustomerOut, ErrorOut
from kefu.bss.queries import balance_for
from kefu.customers.queries import customer_for_user_or_404, customer_profile, search_customers

router = Router(tags=["customers"])


class SearchParams(Schema):
    q: str
    limit: int = 20


@router.get("", response={200: list[CustomerHitOut], 400: ErrorOut, 403: ErrorOut})
def search(request: HttpRequest, params: Query[SearchParams]) -> Any:
    """Find customers by phone (full or prefix), name, ID number, customer/account number or address."""
    ensure_permissions(request.user, ("customers.view_customer",))
    if len(params.q.strip()) < 2:
        return Status(400, {"code": "query_too_short", "detail": "Type at least 2 characters."})
    return search_customers(request.user, params.q, limit=max(1, min(params.limit, 100)))  # type: ignore[arg-type]


@router.get("/{customer_id}", response={200: CustomerOut, 403: ErrorOut, 404: ErrorOut})
def detail(request: HttpRequest, customer_id: int) -> Any:
    ensure_permissions(request.user, ("customers.view_customer",))
    user: Any = request.user
    customer = customer_for_user_or_404(user, customer_id)
    profile = customer_profile(user, customer)
    balance = balance_for(customer.pk) if user.has_perm("bss.view_billing") else None
    return {
        "id": customer.pk,
        "number": customer.number,
        "name": customer.name,
        "kind": customer.kind,
        "tier": customer.tier,
        "id_type": customer.id_type,
        "id_number": profile.id_number,
        "points": customer.points,
        "service_area": customer.service_area.full_name if customer.service_area else None,
        "is_blacklisted": customer.is_blacklisted,
        "do_not_disturb": customer.do_not_disturb,
        "numbers": [
            {"number": number.number, "kind": number.kind_code, "is_primary": number.is_primary}
            for number in profile.numbers
        ],
        "subscriptions": [
            {
                "id": view.subscription.pk,
                "service": view.subscription.service,
                "identifier": view.identifier,
                "status": view.subscription.status,
            }
            for view in profile.subscriptions
        ],
        "balance": BalanceOut(**vars(balance), spendable=balance.spendable) if balance else None,
    }
