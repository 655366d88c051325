"""Reads about a customer's business that every interface shares (PRODUCT §2).

Desk, API, portal, IVR and SMS all ask here, so every channel shows the same truth.
Each function asks the configured BSS adapter; callers scope by customer beforehand
(`kefu.customers.queries.customers_visible_to`).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kefu.bss.adapters import get_adapter
from kefu.bss.adapters.base import (
    Balance,
    BillView,
    LineOfferings,
    ProductView,
    UsageRecordView,
    UsageSummary,
    VasNodeView,
)


def balance_for(customer_id: int) -> Balance | None:
    """The customer's funds over all their accounts; None if they have no account."""
    return get_adapter().balance(customer_id)


def offerings_for(subscription_id: int) -> LineOfferings:
    """What the line holds now: base package, add-ons, campaigns, value-added services."""
    return get_adapter().line_offerings(subscription_id)


def bills_for(customer_id: int, months: int = 6) -> list[BillView]:
    """Monthly bills of the last `months` months, newest first, each with its item tree."""
    return get_adapter().bills(customer_id, months)


def usage_summary_for(subscription_id: int, today: dt.date | None = None) -> UsageSummary:
    """Allowances used and remaining this calendar month, and the charges so far."""
    return get_adapter().usage_summary(subscription_id, today or timezone.localdate())


def usage_records_for(
    subscription_id: int, kind: str | None = None, days: int = 90, limit: int = 200
) -> list[UsageRecordView]:
    """Calls, data sessions, SMS and value-added charges of the last `days`, newest first."""
    since = timezone.now() - dt.timedelta(days=days)
    return get_adapter().usage_records(subscription_id, kind, since, limit)


def catalog_for(subscription_id: int, today: dt.date | None = None) -> list[ProductView]:
    """The products this line could take today (what an agent may offer)."""
    return get_adapter().catalog_for(subscription_id, today or timezone.localdate())


def vas_tree(service: str) -> list[VasNodeView]:
    """The value-added services of a service kind, as a tree of groups and leaves."""
    return get_adapter().vas_tree(service)
