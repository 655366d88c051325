"""Reads about queues and agents for the desk, the chat widget and the supervisor wall."""

from __future__ import annotations

import datetime as dt
import math

from django.db.models import Avg, F
from django.utils import timezone

from kefu.contacts.models import Contact
from kefu.routing.choices import AgentStatus, EntryState
from kefu.routing.models import AgentState, Queue, QueueEntry

DEFAULT_HANDLE_SECONDS = 180


def average_handle_seconds(queue: Queue, since: dt.datetime) -> int:
    row = Contact.objects.filter(queue_code=queue.code, answered_at__gte=since, talk_seconds__isnull=False).aggregate(
        handle=Avg(F("talk_seconds") + F("hold_seconds"))
    )
    return int(row["handle"] or DEFAULT_HANDLE_SECONDS)


def expected_wait_seconds(queue: Queue, position: int) -> int:
    """A plain estimate for the customer: contacts ahead ÷ agents serving × handle time."""
    serving = AgentState.objects.filter(
        status__in=[AgentStatus.READY, AgentStatus.BUSY, AgentStatus.AFTER_CALL_WORK],
        agent__skills__skill_id=queue.skill_id,
        agent__skills__level__gte=queue.min_level,
    ).count()
    since = timezone.now() - dt.timedelta(hours=4)
    per_agent = 1 if "voice" in queue.channels else 3
    slots = max(1, serving * per_agent)
    return math.ceil(position / slots) * average_handle_seconds(queue, since)


def waiting_entries(queue: Queue) -> list[QueueEntry]:
    return list(
        QueueEntry.objects.filter(queue=queue, state__in=[EntryState.WAITING, EntryState.OFFERED])
        .select_related("contact__customer", "offered_to")
        .order_by("-priority", "enqueued_at")
    )


def offers_for(agent_id: int) -> list[QueueEntry]:
    return list(
        QueueEntry.objects.filter(state=EntryState.OFFERED, offered_to_id=agent_id)
        .select_related("contact__customer", "queue")
        .order_by("offer_expires_at")
    )


# --- reads of the live desk and the web chat (issue 4) ----------------------------------------


def queues_taking(channel: str) -> list[Queue]:
    """Queues that take this channel, by code (JSON containment is not portable to SQLite)."""
    return [queue for queue in Queue.objects.order_by("code") if channel in queue.channels]


def agent_state_of(agent_id: int) -> AgentState | None:
    return AgentState.objects.filter(agent_id=agent_id).first()


def signed_in_agents(exclude_agent_id: int | None = None, queue: Queue | None = None) -> list[AgentState]:
    """Agents at their desks (ready, busy, not ready or in after-call work), e.g. to transfer to;
    with `queue`, only those skilled for it (the ACD offers a queue's contacts to no one else)."""
    states = AgentState.objects.exclude(status=AgentStatus.OFFLINE).select_related("agent")
    if exclude_agent_id is not None:
        states = states.exclude(agent_id=exclude_agent_id)
    if queue is not None:
        states = states.filter(agent__skills__skill_id=queue.skill_id, agent__skills__level__gte=queue.min_level)
    return list(states.distinct().order_by("agent__display_name", "agent__username"))


def entry_of(contact: Contact) -> QueueEntry | None:
    return QueueEntry.objects.filter(contact=contact).select_related("queue", "offered_to").first()


def queue_with_code(code: str) -> Queue | None:
    return Queue.objects.filter(code=code).first() if code else None
