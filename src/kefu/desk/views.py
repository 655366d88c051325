"""The staff desk pages: customer search and the customer 360 view (PRODUCT §2, §4).

Each view parses, authorises, calls the `queries` of the domain apps and renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django_htmx.middleware import HtmxDetails

from kefu.accounts.models import User
from kefu.accounts.permissions import staff_required
from kefu.bss.adapters.base import Allowance, Balance, BillView, LineOfferings, UsageSummary
from kefu.bss.choices import UsageKind
from kefu.bss.queries import (
    balance_for,
    bills_for,
    offerings_for,
    usage_records_for,
    usage_summary_for,
)
from kefu.core.errors import BusinessRuleError
from kefu.customers.choices import ServiceKind
from kefu.customers.phones import digits_only, normalise_phone
from kefu.customers.queries import (
    CustomerHit,
    SubscriptionView,
    customer_for_user_or_404,
    customer_profile,
    search_customers,
)

VIEW_CUSTOMER = "customers.view_customer"
VIEW_BILLING = "bss.view_billing"
# A prefix shorter than this matches too many numbers to be useful, and a single
# character matches half the city's family names.
MIN_SEARCH_DIGITS = 3
MIN_SEARCH_CHARACTERS = 2
# Lines whose allowances (minutes, data, SMS) are counted per period.
METERED_SERVICES = frozenset({ServiceKind.MOBILE, ServiceKind.BROADBAND})
# Lines in the order of ServiceKind (mobile first), the order agents are asked about them.
SERVICE_ORDER = {service: position for position, service in enumerate(ServiceKind.values)}
# Exact identifiers: one hit on these is the customer the agent means.
EXACT_MATCHES = frozenset({"customer_number", "id_number", "account"})


class DeskRequest(HttpRequest):
    """A request as the desk sees it, with django-htmx's details attached."""

    htmx: HtmxDetails


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # staff_required has already sent anonymous visitors away
        raise PermissionDenied
    return user


@staff_required()
def home(request: HttpRequest) -> HttpResponse:
    if _staff(request).has_perm(VIEW_CUSTOMER):
        return redirect("desk:customer_search")
    return render(request, "desk/home.html", {"nav_section": "home"})


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Search customers"), max_length=100, strip=True)

    def clean_q(self) -> str:
        text: str = self.cleaned_data["q"]
        compact = text.replace(" ", "").replace("-", "").lstrip("+")
        if compact.isdigit():
            if len(digits_only(compact)) < MIN_SEARCH_DIGITS:
                raise forms.ValidationError(
                    _("Type at least %(count)d digits of a number."),
                    code="too_short",
                    params={"count": MIN_SEARCH_DIGITS},
                )
        elif len(compact) < MIN_SEARCH_CHARACTERS:
            raise forms.ValidationError(
                _("Type at least %(count)d characters."),
                code="too_short",
                params={"count": MIN_SEARCH_CHARACTERS},
            )
        return text


def _is_full_phone(text: str) -> bool:
    try:
        normalise_phone(text)
    except BusinessRuleError:
        return False
    return True


def _the_one_customer_meant(text: str, hits: list[CustomerHit]) -> CustomerHit | None:
    """The single hit on a full phone number or an exact identifier, else None (let the agent choose)."""
    if len(hits) != 1:
        return None
    hit = hits[0]
    if hit.matched_on in EXACT_MATCHES or (hit.matched_on == "phone" and _is_full_phone(text)):
        return hit
    return None


@staff_required(VIEW_CUSTOMER)
def customer_search(request: DeskRequest) -> HttpResponse:
    user = _staff(request)
    # An empty box (just opened, or cleared while typing) is not an error: show the start state.
    form = CustomerSearchForm(request.GET if request.GET.get("q", "").strip() else None)
    hits: list[CustomerHit] | None = None
    if form.is_valid():
        text = form.cleaned_data["q"]
        hits = search_customers(user, text)
        wants_page = not request.htmx or request.htmx.history_restore_request
        the_one = _the_one_customer_meant(text, hits) if wants_page else None
        if the_one is not None:
            return redirect("desk:customer_detail", customer_id=the_one.id)
    context = {"form": form, "hits": hits, "nav_section": "customers"}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "desk/_search_results.html", context)
    return render(request, "desk/customer_search.html", context)


@dataclass(frozen=True)
class LinePanel:
    """One line (subscription) on the 360 view: what it is, what it holds, what it used."""

    line: SubscriptionView
    offerings: LineOfferings
    usage: UsageSummary | None

    @property
    def allowances(self) -> list[Allowance]:
        """The allowances worth a bar: in the package, or used anyway (no empty SMS bar on broadband)."""
        if self.usage is None:
            return []
        return [allowance for allowance in self.usage.allowances if allowance.included or allowance.used]


@dataclass(frozen=True)
class BillingPanel:
    balance: Balance | None
    bills: list[BillView]


def _line_panel(line: SubscriptionView, shows_billing: bool) -> LinePanel:
    subscription = line.subscription
    metered = shows_billing and subscription.service in METERED_SERVICES
    return LinePanel(
        line=line,
        offerings=offerings_for(subscription.pk),
        usage=usage_summary_for(subscription.pk) if metered else None,
    )


@staff_required(VIEW_CUSTOMER)
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = _staff(request)
    customer = customer_for_user_or_404(user, customer_id)
    profile = customer_profile(user, customer)
    shows_billing = user.has_perm(VIEW_BILLING)
    billing = (
        BillingPanel(balance=balance_for(customer.pk), bills=bills_for(customer.pk, months=6))
        if shows_billing
        else None
    )
    context: dict[str, Any] = {
        "customer": customer,
        "profile": profile,
        # The first line's start is when the customer joined the network (入网时间).
        "customer_since": min((line.subscription.started_on for line in profile.subscriptions), default=None),
        "lines": [
            _line_panel(line, shows_billing)
            for line in sorted(profile.subscriptions, key=lambda view: SERVICE_ORDER.get(view.subscription.service, 99))
        ],
        "billing": billing,
        "nav_section": "customers",
    }
    return render(request, "desk/customer_detail.html", context)


@staff_required(VIEW_CUSTOMER, VIEW_BILLING)
def line_usage(request: HttpRequest, customer_id: int, subscription_id: int) -> HttpResponse:
    """The recent usage records of one line (详单), as a partial for the 360 view."""
    user = _staff(request)
    customer = customer_for_user_or_404(user, customer_id)
    profile = customer_profile(user, customer)
    line = next((view for view in profile.subscriptions if view.subscription.pk == subscription_id), None)
    if line is None:
        raise Http404("No such line")
    kind = request.GET.get("kind") or None
    if kind not in UsageKind.values:
        kind = None
    context = {
        "customer": customer,
        "line": line,
        "kind": kind,
        "kinds": UsageKind.choices,
        "records": usage_records_for(subscription_id, kind=kind, days=90, limit=50),
        "shows_personal_data": profile.shows_personal_data,
    }
    return render(request, "desk/_line_usage.html", context)
