"""The supervisor's and team lead's live wall (班长监控, PRODUCT §9 real time).

Queues (waiting, longest wait, offered / answered / abandoned and service level today), agents
(state, time in state, current contacts), channels (volume and handle time), the contacts
waiting now, and the health of each channel connector; thresholds and failing connectors turn
red. The page re-reads the `#wall` partial when the desk socket says a queue or an agent
changed, and every few seconds for the clocks. Actions: force an agent's state, sign an agent
off, move a waiting contact to another queue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts.models import User
from kefu.accounts.permissions import staff_required
from kefu.contacts.choices import ContactChannel
from kefu.core.errors import KefuError
from kefu.desk.views_agent import duration
from kefu.reporting.channels import connector_health
from kefu.reporting.live import AgentLive, QueueLive, agents_live, channels_live, queues_live
from kefu.routing import queries as routing_queries
from kefu.routing import services as acd
from kefu.routing.choices import AgentStatus, EntryState, NotReadyReason
from kefu.routing.models import Queue, QueueEntry

SUPERVISE = "routing.supervise_agents"


def forceable_states() -> list[tuple[str, str]]:
    """What a supervisor may set an agent to: ready, not ready for a reason, signed off."""
    not_ready = AgentStatus.NOT_READY.label
    return [
        ("ready", str(AgentStatus.READY.label)),
        *((f"not_ready:{code}", f"{not_ready} · {label}") for code, label in NotReadyReason.choices),
        ("offline", str(AgentStatus.OFFLINE.label)),
    ]


def _supervisor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


@dataclass(frozen=True)
class WaitingRow:
    entry: QueueEntry
    waited_seconds: int
    is_late: bool
    move_targets: list[Queue]  # the other queues that take this contact's channel


@dataclass(frozen=True)
class Totals:
    waiting: int
    longest_wait_seconds: int
    offered: int
    answered: int
    abandoned: int
    service_level: float | None
    agents_ready: int
    agents_busy: int
    agents_not_ready: int


@dataclass(frozen=True)
class QueueRow:
    live: QueueLive
    service_level_percent: int | None
    asa: str
    aht: str
    oldest_since: dt.datetime | None  # when the longest-waiting contact entered: the page's clock counts from it

    @property
    def longest_wait(self) -> str:
        return clock(self.live.longest_wait_seconds)

    @property
    def wait_alarm(self) -> bool:
        return "longest_wait" in self.live.alarms

    @property
    def service_level_alarm(self) -> bool:
        return "service_level" in self.live.alarms


@dataclass(frozen=True)
class ChannelRow:
    label: str
    contacts_today: int
    handle: str


def clock(seconds: int) -> str:
    """1:58, 12:05, 1:02:03 — how a wallboard shows a running wait."""
    minutes, rest = divmod(max(0, seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"


def _percent(share: float | None) -> int | None:
    return None if share is None else round(share * 100)


def _seconds(value: float | None) -> str:
    return duration(None if value is None else round(value))


def _totals(queues: list[QueueLive], agents: list[AgentLive]) -> Totals:
    answered = sum(q.today.answered for q in queues)
    abandoned = sum(q.today.abandoned for q in queues)
    in_target = sum(q.today.answered_in_target for q in queues)
    statuses = [a.state.status for a in agents]
    return Totals(
        waiting=sum(q.waiting for q in queues),
        longest_wait_seconds=max((q.longest_wait_seconds for q in queues), default=0),
        offered=sum(q.today.offered for q in queues),
        answered=answered,
        abandoned=abandoned,
        service_level=in_target / (answered + abandoned) if answered + abandoned else None,
        agents_ready=statuses.count(AgentStatus.READY),
        agents_busy=statuses.count(AgentStatus.BUSY) + statuses.count(AgentStatus.AFTER_CALL_WORK),
        agents_not_ready=statuses.count(AgentStatus.NOT_READY),
    )


def _waiting(queues: list[QueueLive], now: dt.datetime) -> list[WaitingRow]:
    rows = []
    for live in queues:
        if not live.waiting:
            continue
        for entry in routing_queries.waiting_entries(live.queue):
            waited = max(0, int((now - entry.enqueued_at).total_seconds()))
            targets = [q.queue for q in queues if q.queue.pk != entry.queue_id and entry.channel in q.queue.channels]
            rows.append(WaitingRow(entry, waited, waited > live.queue.max_wait_alarm_seconds, targets))
    return sorted(rows, key=lambda row: -row.waited_seconds)


def _wall_context(error: str = "") -> dict[str, Any]:
    now = timezone.now()
    queues = queues_live(now)
    agents = agents_live(now)
    totals = _totals(queues, agents)
    channel_labels = dict(ContactChannel.choices)
    return {
        "queues": [
            QueueRow(
                live,
                _percent(live.today.service_level),
                _seconds(live.today.asa_seconds),
                _seconds(live.today.aht_seconds),
                now - dt.timedelta(seconds=live.longest_wait_seconds) if live.waiting else None,
            )
            for live in queues
        ],
        "agents": agents,
        "channels": [
            ChannelRow(
                str(channel_labels.get(c.channel, c.channel)), c.contacts_today, _seconds(c.average_handle_seconds)
            )
            for c in channels_live(now)
        ],
        "waiting": _waiting(queues, now),
        "connectors": connector_health(now),
        "totals": totals,
        "service_level_percent": _percent(totals.service_level),
        "longest_wait": clock(totals.longest_wait_seconds),
        "oldest_since": now - dt.timedelta(seconds=totals.longest_wait_seconds) if totals.waiting else None,
        "forceable": forceable_states(),
        "reason_labels": dict(NotReadyReason.choices),
        "now": now,
        "wall_error": error,
        "waiting_state": EntryState.WAITING,
    }


@require_GET
@staff_required(SUPERVISE)
def wall(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/supervisor/wall.html", {**_wall_context(), "nav_section": "supervisor"})


@require_GET
@staff_required(SUPERVISE)
def wall_partial(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/supervisor/_wall.html", _wall_context())


@require_POST
@staff_required(SUPERVISE)
def force_state(request: HttpRequest, agent_id: int) -> HttpResponse:
    """Set an agent ready, not ready (with a reason) or signed off, on the supervisor's authority."""
    supervisor = _supervisor(request)
    state = routing_queries.agent_state_of(agent_id)
    if state is None:
        raise Http404("No such agent at a desk")
    status, _sep, reason = request.POST.get("state", "").partition(":")
    error = ""
    try:
        acd.set_agent_status(state.agent, status, reason, by=supervisor)
    except KefuError as refusal:
        error = f"{state.agent}: {refusal.message}"
    return render(request, "desk/supervisor/_wall.html", _wall_context(error))


@require_POST
@staff_required(SUPERVISE)
def move_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    supervisor = _supervisor(request)
    queue = routing_queries.queue_with_code(request.POST.get("queue", ""))
    error = ""
    try:
        if queue is None:
            raise KefuError(_("Choose a queue."), code="queue_required")
        acd.move_entry(entry_id, queue, by=supervisor)
    except QueueEntry.DoesNotExist as missing:
        raise Http404("No such waiting contact") from missing
    except KefuError as refusal:
        error = refusal.message
    return render(request, "desk/supervisor/_wall.html", _wall_context(error))
