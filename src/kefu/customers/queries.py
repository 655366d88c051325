"""Reads about customers that every interface shares, always scoped to the reader.

Every read of customers for a person goes through `customers_visible_to`, so a tenant
or branch filter can later be added here in one place (ARCHITECTURE §5).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from kefu.accounts import directory
from kefu.accounts.models import User
from kefu.accounts.queries import area_ids_visible_to
from kefu.core.db import from_row, prepared_cursor
from kefu.core.masking import mask_address, mask_id_number, mask_phone
from kefu.customers.choices import ServiceKind
from kefu.customers.models import Address, ContactNumber, Customer, Subscription
from kefu.customers.phones import digits_only, format_phone

SEARCH_LIMIT = 20
_CUSTOMER_NUMBER = re.compile(r"^KH\d+$", re.IGNORECASE)
_ID_NUMBER = re.compile(r"^\d{15}$|^\d{17}[\dXx]$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-()]+$")


def customers_visible_to(user: User) -> QuerySet[Customer]:
    """The customers this member of staff may see at all (area scope for field roles)."""
    if not user.is_active or not user.has_perm("customers.view_customer"):
        return Customer.objects.none()
    area_ids = area_ids_visible_to(user)
    if area_ids is None:
        return Customer.objects.all()
    return Customer.objects.filter(service_area_id__in=area_ids)


def customer_for_user_or_404(user: User, customer_id: int) -> Customer:
    try:
        return customers_visible_to(user).select_related("service_area", "vip_manager").get(pk=customer_id)
    except Customer.DoesNotExist as error:
        raise Http404("No such customer") from error


def customer_to_work_for_or_404(user: User, customer_id: int) -> Customer:
    """The customer a work order or contact is opened for, as `customer_for_user_or_404` finds
    it (the same scope), in one plain statement: this runs for every order the API opens.
    Its service area comes from the areas snapshot; other relations load when asked for. The
    same statement reads the primary number and address, which `primary_contact` then answers
    from without asking again."""
    if not user.is_active or not user.has_perm("customers.view_customer"):
        raise Http404("No such customer")
    area_ids = area_ids_visible_to(user)
    if area_ids is not None and not area_ids:
        raise Http404("No such customer")
    names = _customer_attnames()
    sql = f"SELECT {_customer_columns()}, {_PRIMARY_COLUMNS} FROM {Customer._meta.db_table} WHERE id = %s"  # noqa: S608 - the model's own names
    params: list[int] = [customer_id, customer_id, customer_id]
    if area_ids is not None:
        sql += f" AND service_area_id IN ({', '.join(['%s'] * len(area_ids))})"
        params += area_ids
    with prepared_cursor() if connection.vendor == "postgresql" else connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such customer")
    customer = from_row(Customer, row[: len(names)])
    customer.primary_number_read, customer.primary_address_read = row[len(names) :]  # type: ignore[attr-defined]
    area = directory.service_area(customer.service_area_id)
    if area is not None:  # else (an area newer than this process's snapshot) it loads when read
        customer.service_area = area
    return customer


@functools.cache
def _customer_attnames() -> list[str]:
    return [field.attname for field in Customer._meta.concrete_fields]


@functools.cache
def _customer_columns() -> str:
    return ", ".join(connection.ops.quote_name(field.column) for field in Customer._meta.concrete_fields)


def primary_contact(customer: Customer) -> tuple[str, str]:
    """The customer's primary (else first) number and address, "" when none, in one query
    (every work order and callback opened for a customer starts from them)."""
    if hasattr(customer, "primary_number_read"):  # read with the customer (customer_to_work_for_or_404)
        return customer.primary_number_read or "", customer.primary_address_read or ""  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_PRIMARY_COLUMNS}", [customer.pk, customer.pk])
        number, address = cursor.fetchone()
    return number or "", address or ""


_NUMBERS, _ADDRESSES = ContactNumber._meta.db_table, Address._meta.db_table
_PRIMARY_COLUMNS = (
    f"(SELECT number FROM {_NUMBERS} WHERE customer_id = %s ORDER BY is_primary DESC, id LIMIT 1) AS primary_number_read, "  # noqa: S608, E501 - the models' own tables
    f"(SELECT text FROM {_ADDRESSES} WHERE customer_id = %s ORDER BY is_primary DESC, id LIMIT 1) AS primary_address_read"  # noqa: E501
)


def can_see_personal_data(user: User) -> bool:
    return user.has_perm("customers.view_customer_pii")


@dataclass(frozen=True)
class CustomerHit:
    """One search result, already masked for the reader."""

    id: int
    number: str
    name: str
    kind: str
    tier: str
    phone: str
    address: str
    area: str
    matched_on: str


def _phone_query(digits: str) -> Q:
    # People type +86 / 0086 / a trunk 0; numbers are stored as national digits.
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 10:
            digits = digits[len(prefix) :]
    digits = digits.lstrip("0") or digits
    if len(digits) >= 10:
        # A union of two index lookups; OR across two joins makes PostgreSQL scan everything.
        owners = (
            ContactNumber.objects.filter(number=digits)
            .order_by()
            .values("customer_id")
            .union(Subscription.objects.filter(identifier=digits).order_by().values("customer_id"))
        )
        return Q(id__in=owners)
    return Q(numbers__number__startswith=digits)


def _match_condition(text: str) -> tuple[Q, str]:
    """Decide what the text most likely is, and the condition that finds it with an index."""
    digits = digits_only(text)
    compact = text.replace(" ", "").replace("-", "")
    if _CUSTOMER_NUMBER.match(compact):
        return Q(number=compact.upper()), "customer_number"
    if _ID_NUMBER.match(compact):
        return Q(id_number=compact.upper()), "id_number"
    if _PHONE_LIKE.match(text) and len(digits) >= 3:
        return _phone_query(digits), "phone"
    if compact[:2].upper() in {"ZH", "AC"} and any(ch.isdigit() for ch in compact):
        # Billing account ("ZH…") or a broadband account — both are exact identifiers.
        owners = (
            Customer.objects.filter(billing_accounts__number=compact.upper())
            .order_by()
            .values("id")
            .union(Subscription.objects.filter(identifier=compact).order_by().values("customer_id"))
        )
        return Q(id__in=owners), "account"
    if len(text) >= 5 and any(ch.isdigit() for ch in text):
        return Q(addresses__text__contains=text), "address"
    return Q(name__startswith=text), "name"


CANDIDATES = 200


def _matching_ids(user: User, condition: Q, limit: int) -> list[int]:
    """Ids of the first matches. A bounded candidate set first keeps PostgreSQL on the
    condition's index instead of walking the primary key for ORDER BY id LIMIT n."""
    visible = customers_visible_to(user)
    candidates = visible.filter(condition).order_by().values("id").distinct()[:CANDIDATES]
    return list(Customer.objects.filter(id__in=candidates).order_by("id").values_list("id", flat=True)[:limit])


def search_customers(user: User, text: str, limit: int = SEARCH_LIMIT) -> list[CustomerHit]:
    """Find customers by phone, name, ID number, customer/account number or address."""
    text = text.strip()
    if not text:
        return []
    condition, matched_on = _match_condition(text)
    ids = _matching_ids(user, condition, limit)
    if not ids and matched_on == "address":
        # "南京365便利店" looks like an address but is an enterprise's name.
        condition, matched_on = Q(name__startswith=text), "name"
        ids = _matching_ids(user, condition, limit)
    customers = (
        Customer.objects.filter(id__in=ids)
        .select_related("service_area")
        .prefetch_related(
            Prefetch("numbers", queryset=ContactNumber.objects.order_by("-is_primary", "id")),
            Prefetch("addresses", queryset=Address.objects.order_by("-is_primary", "id")),
        )
        .order_by("number")
    )
    full = can_see_personal_data(user)
    hits = []
    for customer in customers:
        numbers = list(customer.numbers.all())
        addresses = list(customer.addresses.all())
        phone = numbers[0].number if numbers else ""
        address = addresses[0].text if addresses else ""
        hits.append(
            CustomerHit(
                id=customer.pk,
                number=customer.number,
                name=customer.name,
                kind=customer.get_kind_display(),
                tier=customer.tier,
                phone=format_phone(phone) if full else mask_phone(phone),
                address=address if full else mask_address(address),
                area=customer.service_area.name if customer.service_area else "",
                matched_on=matched_on,
            )
        )
    return hits


@dataclass(frozen=True)
class NumberView:
    number: str
    kind: str  # label in the reader's language
    kind_code: str
    is_primary: bool


@dataclass(frozen=True)
class SubscriptionView:
    subscription: Subscription
    identifier: str  # masked when it is a phone number and the reader may not see it


@dataclass(frozen=True)
class CustomerProfile:
    """The profile part of the 360 view, masked for the reader."""

    customer: Customer
    id_number: str
    numbers: list[NumberView]
    addresses: list[Address]
    subscriptions: list[SubscriptionView]
    shows_personal_data: bool


def customer_profile(user: User, customer: Customer) -> CustomerProfile:
    full = can_see_personal_data(user)
    numbers = [
        NumberView(
            number=format_phone(n.number) if full else mask_phone(n.number),
            kind=n.get_kind_display(),
            kind_code=n.kind,
            is_primary=n.is_primary,
        )
        for n in customer.numbers.all()
    ]
    subscriptions = [
        SubscriptionView(
            subscription=subscription,
            identifier=(
                mask_phone(subscription.identifier)
                if subscription.service == ServiceKind.MOBILE and not full
                else subscription.identifier
            ),
        )
        for subscription in customer.subscriptions.select_related("address")
        .prefetch_related("devices")
        .order_by("service", "id")
    ]
    return CustomerProfile(
        customer=customer,
        id_number=customer.id_number if full else mask_id_number(customer.id_number),
        numbers=numbers,
        addresses=list(customer.addresses.select_related("service_area")),
        subscriptions=subscriptions,
        shows_personal_data=full,
    )
