"""Pydantic schemas of the API's bodies."""

from __future__ import annotations

from decimal import Decimal

from ninja import Schema


class ErrorOut(Schema):
    code: str
    detail: str


class CustomerHitOut(Schema):
    id: int
    number: str
    name: str
    kind: str
    tier: str
    phone: str
    address: str
    area: str
    matched_on: str


class ContactNumberOut(Schema):
    number: str
    kind: str
    is_primary: bool


class SubscriptionOut(Schema):
    id: int
    service: str
    identifier: str
    status: str


class BalanceOut(Schema):
    account_number: str
    available: Decimal
    frozen: Decimal
    campaign: Decimal
    credit_limit: Decimal
    unpaid_bills: Decimal
    spendable: Decimal


class CustomerOut(Schema):
    id: int
    number: str
    name: str
    kind: str
    tier: str
    id_type: str
    id_number: str
    points: int
    service_area: str | None
    is_blacklisted: bool
    do_not_disturb: bool
    numbers: list[ContactNumberOut]
    subscriptions: list[SubscriptionOut]
    balance: BalanceOut | None
