"""The supervisor's live view (PRODUCT §9 real time): queues, agents, channels, right now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Avg, Count, F, Min, Q
from django.utils import timezone

from kefu.contacts.models import Contact
from kefu.reporting.kpis import QueueKpis, contacts_offered, queue_kpis
from kefu.routing.choices import AgentStatus, EntryState
from kefu.routing.models import AgentState, Queue, QueueEntry


@dataclass(frozen=True)
class QueueLive:
    queue: Queue
    waiting: int
    longest_wait_seconds: int
    today: QueueKpis
    agents_ready: int
    alarms: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AgentLive:
    state: AgentState
    seconds_in_state: int
    current_contacts: list[Contact]


@dataclass(frozen=True)
class ChannelLive:
    channel: str
    contacts_today: int
    average_handle_seconds: float | None


def start_of_day(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def queues_live(now: dt.datetime | None = None) -> list[QueueLive]:
    now = now or timezone.now()
    day = start_of_day(now)
    waiting = {
        row["queue_id"]: row
        for row in QueueEntry.objects.filter(state__in=[EntryState.WAITING, EntryState.OFFERED])
        .values("queue_id")
        .annotate(count=Count("id"), oldest=Min("enqueued_at"))
    }
    result = []
    for queue in Queue.objects.select_related("skill").order_by("code"):
        row = waiting.get(queue.pk, {"count": 0, "oldest": None})
        longest = int((now - row["oldest"]).total_seconds()) if row["oldest"] else 0
        kpis = queue_kpis(
            contacts_offered(day, now, queue.code),
            service_level_seconds=queue.service_level_seconds,
            short_abandon_seconds=queue.short_abandon_seconds,
        )
        ready = AgentState.objects.filter(
            status=AgentStatus.READY, agent__skills__skill_id=queue.skill_id, agent__skills__level__gte=queue.min_level
        ).count()
        alarms = []
        if longest > queue.max_wait_alarm_seconds:
            alarms.append("longest_wait")
        if kpis.service_level is not None and kpis.service_level * 100 < queue.service_level_target:
            alarms.append("service_level")
        result.append(QueueLive(queue, row["count"], longest, kpis, ready, alarms))
    return result


def agents_live(now: dt.datetime | None = None) -> list[AgentLive]:
    now = now or timezone.now()
    states = list(
        AgentState.objects.exclude(status=AgentStatus.OFFLINE)
        .select_related("agent__team")
        .order_by("agent__team__code", "agent__username")
    )
    active: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(agent_id__in=[s.agent_id for s in states], status__in=["active", "wrap_up"]):
        if contact.agent_id is not None:
            active.setdefault(contact.agent_id, []).append(contact)
    return [
        AgentLive(state, max(0, int((now - state.since).total_seconds())), active.get(state.agent_id, []))
        for state in states
    ]


def channels_live(now: dt.datetime | None = None) -> list[ChannelLive]:
    now = now or timezone.now()
    day = start_of_day(now)
    rows = (
        Contact.objects.filter(created_at__gte=day)
        .values("channel")
        .annotate(
            total=Count("id"),
            handle=Avg(F("talk_seconds") + F("hold_seconds"), filter=Q(talk_seconds__isnull=False)),
        )
        .order_by("channel")
    )
    return [ChannelLive(row["channel"], row["total"], row["handle"]) for row in rows]
