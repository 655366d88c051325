"""Order types and SLA policies, read from a per-process snapshot (`kefu.core.snapshots`):
every new work order needs its type and policy, administrators change them a few times a year."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.core.models import BusinessCalendar
from kefu.core.snapshots import Snapshot
from kefu.tickets.models import OrderType, SlaPolicy


@dataclass(frozen=True)
class OrderTypes:
    by_code: dict[str, OrderType]  # the types in use
    with_subtypes: frozenset[int]  # types that have subtypes in use (choose one of those)


def _load_types() -> OrderTypes:
    active = list(OrderType.objects.filter(is_active=True))
    return OrderTypes(
        by_code={order_type.code: order_type for order_type in active},
        with_subtypes=frozenset(order_type.parent_id for order_type in active if order_type.parent_id),
    )


types = Snapshot("order_types", _load_types).watch(OrderType)
policies = Snapshot("sla_policies", lambda: list(SlaPolicy.objects.select_related("calendar"))).watch(
    SlaPolicy, OrderType, BusinessCalendar
)


def active_type(code: str) -> OrderType | None:
    return types.get().by_code.get(code)


def has_active_subtypes(order_type: OrderType) -> bool:
    return order_type.pk in types.get().with_subtypes
