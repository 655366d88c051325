"""Service level and abandonment exactly as PRODUCT §11 defines them, on constructed data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.contacts.models import Contact
from kefu.reporting.kpis import contacts_offered, queue_kpis

T0 = timezone.make_aware(dt.datetime(2026, 11, 23, 9, 0))


def contact(wait, *, answered, talk=None, hold=0, acw=None, queue="CHAT"):
    offered = T0
    return Contact.objects.create(
        channel="chat",
        created_at=offered,
        offered_at=offered,
        queue_code=queue,
        answered_at=offered + dt.timedelta(seconds=wait) if answered else None,
        abandoned_at=None if answered else offered + dt.timedelta(seconds=wait),
        wait_seconds=wait,
        talk_seconds=talk,
        hold_seconds=hold,
        wrap_up_seconds=acw,
        status="ended" if answered else "abandoned",
    )


@pytest.mark.django_db
def test_service_level_abandonment_asa_and_aht():
    # answered: 5 s, 15 s, 20 s (in target), 40 s (late)
    contact(5, answered=True, talk=100, hold=10, acw=30)
    contact(15, answered=True, talk=200, hold=0, acw=20)
    contact(20, answered=True, talk=300, hold=0, acw=10)
    contact(40, answered=True, talk=400, hold=20, acw=0)
    # abandoned: 3 s and 5 s are short abandons (≤ 5 s), 30 s counts
    contact(3, answered=False)
    contact(5, answered=False)
    contact(30, answered=False)
    contact(10, answered=True, talk=50, acw=5, queue="OTHER")

    kpis = queue_kpis(contacts_offered(T0, T0 + dt.timedelta(hours=1), "CHAT"))

    assert (kpis.offered, kpis.answered, kpis.abandoned, kpis.short_abandoned) == (7, 4, 1, 2)
    assert kpis.answered_in_target == 3
    assert kpis.service_level == 3 / 5
    assert kpis.abandonment_rate == 1 / 5
    assert kpis.asa_seconds == (5 + 15 + 20 + 40) / 4
    assert kpis.aht_seconds == (140 + 220 + 310 + 420) / 4


@pytest.mark.django_db
def test_thresholds_are_parameters():
    contact(25, answered=True, talk=10, acw=0)
    contact(8, answered=False)

    kpis = queue_kpis(
        contacts_offered(T0, T0 + dt.timedelta(hours=1)), service_level_seconds=30, short_abandon_seconds=10
    )

    assert (kpis.service_level, kpis.abandoned, kpis.short_abandoned) == (1.0, 0, 1)


@pytest.mark.django_db
def test_nothing_offered_means_no_service_level():
    kpis = queue_kpis(contacts_offered(T0, T0 + dt.timedelta(hours=1)))

    assert (kpis.offered, kpis.service_level, kpis.abandonment_rate) == (0, None, None)
