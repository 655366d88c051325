"""KPIs exactly as PRODUCT §11 defines them, computed from contact rows.

- Offered = contacts that entered a queue. Answered = taken by an agent.
- Abandoned = left the queue before answer, excluding short abandons (≤ threshold, default 5 s),
  which are counted apart.
- Service level = answered within T (default 20 s) / (answered + abandoned after threshold).
- ASA = mean wait of answered. AHT = mean(talk + hold + after-call work) of handled.
- Abandonment rate = abandoned / (answered + abandoned).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, F, Q, QuerySet

from kefu.contacts.models import Contact


@dataclass(frozen=True)
class QueueKpis:
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    answered_in_target: int
    service_level: float | None  # 0..1, None when nothing to measure
    abandonment_rate: float | None
    asa_seconds: float | None
    aht_seconds: float | None


def contacts_offered(since: dt.datetime, until: dt.datetime, queue_code: str | None = None) -> QuerySet[Contact]:
    contacts = Contact.objects.filter(offered_at__gte=since, offered_at__lt=until)
    return contacts.filter(queue_code=queue_code) if queue_code else contacts


def queue_kpis(
    contacts: QuerySet[Contact], *, service_level_seconds: int = 20, short_abandon_seconds: int = 5
) -> QueueKpis:
    row = contacts.aggregate(
        offered=Count("id"),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        abandoned=Count(
            "id", filter=Q(answered_at__isnull=True, abandoned_at__isnull=False, wait_seconds__gt=short_abandon_seconds)
        ),
        short_abandoned=Count(
            "id",
            filter=Q(answered_at__isnull=True, abandoned_at__isnull=False, wait_seconds__lte=short_abandon_seconds),
        ),
        in_target=Count("id", filter=Q(answered_at__isnull=False, wait_seconds__lte=service_level_seconds)),
        asa=Avg("wait_seconds", filter=Q(answered_at__isnull=False)),
        aht=Avg(
            F("talk_seconds") + F("hold_seconds") + F("wrap_up_seconds"),
            filter=Q(talk_seconds__isnull=False, wrap_up_seconds__isnull=False),
        ),
    )
    answered, abandoned = row["answered"], row["abandoned"]
    denominator = answered + abandoned
    return QueueKpis(
        offered=row["offered"],
        answered=answered,
        abandoned=abandoned,
        short_abandoned=row["short_abandoned"],
        answered_in_target=row["in_target"],
        service_level=row["in_target"] / denominator if denominator else None,
        abandonment_rate=abandoned / denominator if denominator else None,
        asa_seconds=float(row["asa"]) if row["asa"] is not None else None,
        aht_seconds=float(row["aht"]) if row["aht"] is not None else None,
    )
