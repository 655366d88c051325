"""The boundary between Kefu and a BSS (PRODUCT §2): what every adapter must answer.

Every channel asks the same questions through `kefu.bss.services`, which call the
configured adapter; the builtin adapter answers from Kefu's own tables, a TM Forum
client adapter from an operator's BSS. Values cross the boundary as these dataclasses,
never as model instances, so the callers cannot tell which adapter answered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True)
class Balance:
    account_number: str
    available: Decimal
    frozen: Decimal
    campaign: Decimal
    credit_limit: Decimal
    unpaid_bills: Decimal

    @property
    def spendable(self) -> Decimal:
        """What the customer can spend before service stops: available + campaign + credit."""
        return self.available + self.campaign + self.credit_limit - self.unpaid_bills


@dataclass(frozen=True)
class ProductView:
    code: str
    name: str
    kind: str
    service: str
    monthly_fee: Decimal
    voice_minutes: int
    data_mb: int
    sms_count: int
    valid_from: dt.date | None
    valid_until: dt.date | None


@dataclass(frozen=True)
class OfferingView:
    id: int
    product: ProductView
    started_at: dt.datetime
    ends_at: dt.datetime | None


@dataclass(frozen=True)
class VasView:
    id: int
    code: str
    name: str
    monthly_fee: Decimal
    parameters: dict[str, Any]
    started_at: dt.datetime


@dataclass(frozen=True)
class VasParameterView:
    """One value a subscriber must give, e.g. name "forward_to", label "转移号码", kind "phone"."""

    name: str
    label: str
    kind: str


@dataclass(frozen=True)
class VasNodeView:
    """A node of the value-added service tree: a group, or a leaf one can subscribe to."""

    code: str
    name: str
    monthly_fee: Decimal
    is_subscribable: bool
    parameters: list[VasParameterView]
    children: list[VasNodeView] = field(default_factory=list)


@dataclass(frozen=True)
class LineOfferings:
    """What one line (subscription) holds now."""

    subscription_id: int
    base: OfferingView | None
    addons: list[OfferingView]
    campaigns: list[OfferingView]
    value_added: list[VasView]


@dataclass(frozen=True)
class BillItemView:
    name: str
    amount: Decimal
    children: list[BillItemView] = field(default_factory=list)


@dataclass(frozen=True)
class BillView:
    id: int
    period: dt.date
    total: Decimal
    status: str
    issued_on: dt.date
    due_on: dt.date
    items: list[BillItemView]


@dataclass(frozen=True)
class Allowance:
    """One allowance this period: voice minutes, data MB or SMS."""

    kind: str
    included: int
    used: int

    @property
    def remaining(self) -> int:
        return max(0, self.included - self.used)

    @property
    def used_percent(self) -> int:
        return (
            100
            if self.included == 0 and self.used
            else (round(100 * self.used / self.included) if self.included else 0)
        )


@dataclass(frozen=True)
class UsageSummary:
    subscription_id: int
    period_start: dt.date
    allowances: list[Allowance]
    charges: Decimal


@dataclass(frozen=True)
class PaymentView:
    """A payment already received, found by the payment system's reference."""

    account_number: str
    amount: Decimal
    channel: str
    reference: str
    paid_at: dt.datetime


@dataclass(frozen=True)
class UsageRecordView:
    kind: str
    started_at: dt.datetime
    quantity: int
    charge: Decimal
    counterpart: str
    description: str


class BssAdapter(Protocol):
    """Reads and changes a customer's business. Changes raise BusinessRuleError when refused."""

    def balance(self, customer_id: int) -> Balance | None: ...

    def line_offerings(self, subscription_id: int) -> LineOfferings: ...

    def catalog_for(self, subscription_id: int, today: dt.date) -> list[ProductView]: ...

    def vas_tree(self, service: str) -> list[VasNodeView]: ...

    def bills(self, customer_id: int, months: int = 6) -> list[BillView]: ...

    def usage_summary(self, subscription_id: int, today: dt.date) -> UsageSummary: ...

    def usage_records(
        self, subscription_id: int, kind: str | None, since: dt.datetime, limit: int = 200
    ) -> list[UsageRecordView]: ...

    def change_base_package(self, subscription_id: int, product_code: str, at: dt.datetime) -> OfferingView: ...

    def subscribe_product(self, subscription_id: int, product_code: str, at: dt.datetime) -> OfferingView: ...

    def cancel_offering(self, subscription_id: int, offering_id: int, at: dt.datetime) -> None: ...

    def subscribe_vas(
        self, subscription_id: int, vas_code: str, parameters: dict[str, Any], at: dt.datetime
    ) -> VasView: ...

    def cancel_vas(self, subscription_id: int, vas_subscription_id: int, at: dt.datetime) -> None: ...

    def payment_by_reference(self, reference: str) -> PaymentView | None: ...

    def record_payment(
        self, customer_id: int, amount: Decimal, channel: str, reference: str, at: dt.datetime
    ) -> Balance: ...

    def raise_charge(
        self, customer_id: int, amount: Decimal, description: str, reference: str, at: dt.datetime
    ) -> Balance: ...
