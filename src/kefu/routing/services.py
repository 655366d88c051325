"""The ACD (自动话务分配, PRODUCT §4, ARCHITECTURE §4).

Every decision locks the rows it changes in one transaction: the queue entry, then the
agent, each with SKIP LOCKED, so several app nodes and workers routing at once never offer
one contact twice nor an agent beyond capacity, and a crash loses nothing — the entry is a
row that stays `waiting` until a committed decision changes it.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import AgentSkill, User
from kefu.contacts import services as contacts
from kefu.contacts.choices import ContactChannel, ContactStatus, SenderKind
from kefu.contacts.models import Contact, WrapUpCode
from kefu.core import events
from kefu.core.errors import BusinessRuleError, NotAllowed
from kefu.routing import pg
from kefu.routing.choices import TIER_PRIORITY, AgentStatus, DecisionKind, EntryState, NotReadyReason
from kefu.routing.models import AgentState, AgentStateChange, CallbackRequest, Queue, QueueEntry, RoutingDecision

logger = logging.getLogger(__name__)
TEXT_CHANNELS = frozenset(c for c in ContactChannel.values if c != ContactChannel.VOICE)
AGENT_CHOSEN_STATES = (AgentStatus.READY, AgentStatus.NOT_READY, AgentStatus.OFFLINE)


def _now() -> dt.datetime:
    return timezone.now()


def _decide(
    kind: str,
    contact: Contact | int,
    queue: Queue | None,
    agent: User | int | None = None,
    detail: str = "",
    at: dt.datetime | None = None,
) -> None:
    RoutingDecision.objects.create(
        at=at or _now(),
        kind=kind,
        contact_id=contact if isinstance(contact, int) else contact.pk,
        queue=queue,
        agent_id=agent if isinstance(agent, int) or agent is None else agent.pk,
        detail=detail[:200],
    )


# --- agent state -------------------------------------------------------------------------


def state_of(agent: User) -> AgentState:
    state, _created = AgentState.objects.get_or_create(agent=agent, defaults={"since": _now()})
    return state


def _set_status(state: AgentState, status: str, reason: str, at: dt.datetime, by: Any = None) -> None:
    if state.status == status and state.reason == reason:
        return
    AgentStateChange.objects.create(
        agent_id=state.agent_id,
        at=at,
        from_status=state.status,
        to_status=status,
        reason=reason,
        seconds_in_previous=max(0, int((at - state.since).total_seconds())),
        by=by,
    )
    state.status, state.reason, state.since = status, reason, at
    if status == AgentStatus.READY and state.is_idle:
        state.idle_since = at
    events.publish(events.SUPERVISORS_GROUP, {"type": "agent.state", "agent": state.agent_id, "status": status})
    events.publish(events.staff_group(state.agent_id), {"type": "agent.state", "status": status, "reason": reason})


@transaction.atomic
def set_agent_status(agent: User, status: str, reason: str = "", *, by: Any = None) -> AgentState:
    """Ready, not ready (with a reason) or signed out, as the agent (or a supervisor) chooses."""
    if status not in AGENT_CHOSEN_STATES:
        raise BusinessRuleError(_("Busy and after-call work are set by the system."), code="state_not_choosable")
    if status == AgentStatus.NOT_READY and reason not in NotReadyReason.values:
        raise BusinessRuleError(_("Say why you are not ready."), code="reason_required")
    if by is not None and by != agent and not by.has_perm("routing.supervise_agents"):
        raise NotAllowed(_("Only a team lead or supervisor may change another agent's state."))
    state_of(agent)
    state = AgentState.objects.select_for_update().get(agent=agent)
    if status == AgentStatus.OFFLINE and not state.is_idle:
        raise BusinessRuleError(_("Finish your current contacts before signing out."), code="agent_has_contacts")
    now = _now()
    if status == AgentStatus.READY and not state.is_idle:
        _set_status(state, AgentStatus.BUSY, "", now, by)
    else:
        _set_status(state, status, reason if status == AgentStatus.NOT_READY else "", now, by)
    state.save()
    if state.status in (AgentStatus.READY, AgentStatus.BUSY):
        transaction.on_commit(lambda: route_for_agent(agent.pk))
    return state


def _take(state: AgentState, channel: str, at: dt.datetime) -> None:
    if channel == ContactChannel.VOICE:
        state.voice_busy = True
    else:
        state.text_load += 1
    if state.status == AgentStatus.READY:
        _set_status(state, AgentStatus.BUSY, "", at)


def _release(state: AgentState, channel: str, at: dt.datetime, *, after_call_work: bool = False) -> None:
    if channel == ContactChannel.VOICE:
        state.voice_busy = False
    else:
        state.text_load = max(0, state.text_load - 1)
    if after_call_work:
        _set_status(state, AgentStatus.AFTER_CALL_WORK, "", at)
    elif state.is_idle and state.status == AgentStatus.BUSY:
        _set_status(state, AgentStatus.READY, "", at)
        state.idle_since = at


# --- entering a queue -------------------------------------------------------------------------


def priority_for(contact: Contact) -> int:
    """Higher first: customer tier (S0 篇2 differentiated service), then channel urgency."""
    tier = contact.customer.tier if contact.customer else "standard"
    return TIER_PRIORITY.get(tier, 10) + (5 if contact.channel == ContactChannel.VOICE else 0)


@transaction.atomic
def enqueue(
    contact: Contact, queue: Queue, *, at: dt.datetime | None = None, priority: int | None = None
) -> QueueEntry:
    """Put a contact in a queue; it is offered to an agent at once if one is free."""
    ensure_queue_takes(queue, contact.channel)
    now = at or _now()
    entry = QueueEntry.objects.create(
        contact=contact,
        queue=queue,
        original_queue=queue,
        channel=contact.channel,
        priority=priority if priority is not None else priority_for(contact),
        enqueued_at=now,
        overflow_at=now + dt.timedelta(seconds=queue.overflow_after_seconds) if queue.overflow_queue_id else None,
    )
    contacts.mark_queued(contact, queue.code, now)
    _decide(DecisionKind.QUEUED, contact, queue, at=now)
    events.publish(events.SUPERVISORS_GROUP, {"type": "queue.changed", "queue": queue.code})
    transaction.on_commit(lambda: route_entry(entry.pk))
    return entry


# --- the decision -----------------------------------------------------------------------------


def candidate_agents(entry: QueueEntry) -> QuerySet[AgentState]:
    """Agents who may take this entry now: skilled, available, with room; best first."""
    states = AgentState.objects.filter(
        agent__is_active=True,
        agent__skills__skill_id=entry.queue.skill_id,
        agent__skills__level__gte=entry.queue.min_level,
        voice_busy=False,
    ).exclude(agent_id__in=entry.declined_by or [0])
    if entry.channel == ContactChannel.VOICE:
        states = states.filter(status=AgentStatus.READY, text_load=0)
    else:
        states = states.filter(
            Q(status=AgentStatus.READY) | Q(status=AgentStatus.BUSY), text_load__lt=F("text_capacity")
        )
    if entry.preferred_agent_id:
        states = states.filter(agent_id=entry.preferred_agent_id)
    return states.order_by("-agent__skills__level", "text_load", F("idle_since").asc(nulls_first=True), "id")


def _offer(entry: QueueEntry, state: AgentState, now: dt.datetime) -> None:
    entry.state = EntryState.OFFERED
    entry.offered_to_id = state.agent_id
    entry.offer_expires_at = now + dt.timedelta(seconds=entry.queue.offer_timeout_seconds)
    entry.save(update_fields=["state", "offered_to", "offer_expires_at"])
    _take(state, entry.channel, now)
    state.save()
    # The contact stays QUEUED: being offered is the entry's state (see `is_offered`). Writing the
    # contact here cost a third of a decision's database time (its row has a dozen indexes).
    _decide(DecisionKind.OFFERED, entry.contact_id, entry.queue, state.agent_id, at=now)
    events.publish(events.staff_group(state.agent_id), offer_event(entry))
    events.publish(events.SUPERVISORS_GROUP, {"type": "queue.changed", "queue": entry.queue.code})


def offer_event(entry: QueueEntry) -> dict[str, Any]:
    contact = entry.contact
    customer = contact.customer
    return {
        "type": "offer",
        "entry": entry.pk,
        "contact": contact.pk,
        "channel": contact.channel,
        "queue": entry.queue.name,
        "customer": customer.pk if customer else None,
        "customer_name": customer.name if customer else (contact.display_name or contact.identity),
        "tier": customer.tier if customer else "",
        "subject": contact.subject,
        "expires_at": entry.offer_expires_at.isoformat() if entry.offer_expires_at else None,
    }


def route_entry(entry_id: int) -> int | None:
    """Offer one waiting entry to the best free agent; returns the agent's id or None."""
    if pg.available():
        # One statement, so no atomic block: outside one it is its own transaction (one round
        # trip instead of BEGIN, the statement and COMMIT) and the offer is published at once,
        # after its commit; inside one it is part of the caller's transaction, as before.
        offer = pg.route_entry(entry_id, _now())
        if offer is None:
            return None
        _publish_offer(offer)
        return offer.agent_id
    return _route_entry_orm(entry_id)


def _route_entry_orm(entry_id: int) -> int | None:
    """The reference decision (every database; PostgreSQL takes it in one statement, `routing.pg`)."""
    with transaction.atomic():
        entry = (
            QueueEntry.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("queue", "contact__customer")
            .filter(pk=entry_id, state=EntryState.WAITING)
            .first()
        )
        if entry is None:
            return None
        state = candidate_agents(entry).select_for_update(skip_locked=True, of=("self",)).first()
        if state is None:
            return None
        _offer(entry, state, _now())
        return state.agent_id


def _publish_offer(offer: pg.Offer) -> None:
    """The events of `_offer` and `_set_status`, for a decision taken by `routing.pg`: the
    offer, which the agent's desk also takes as "you are busy now", and `queue.changed`, on
    which the supervisors' wall re-reads queues and agents (coalesced under load, see
    `core.events`). One event for each audience instead of four per decision."""
    events.publish(events.staff_group(offer.agent_id), offer.event())
    events.publish(events.SUPERVISORS_GROUP, {"type": "queue.changed", "queue": offer.queue_code})


def route_for_agent(agent_id: int, limit: int = 5) -> int:
    """An agent has room: offer them the most important waiting entries they can take."""
    if pg.available():
        offered = 0
        for _attempt in range(limit):
            offer = pg.route_for_agent(agent_id, _now())  # a transaction of its own, see route_entry
            if offer is None:
                return offered
            _publish_offer(offer)
            offered += 1
        return offered
    return _route_for_agent_orm(agent_id, limit)


def _route_for_agent_orm(agent_id: int, limit: int = 5) -> int:
    offered = 0
    for _attempt in range(limit):
        with transaction.atomic():
            state = (
                AgentState.objects.select_for_update(of=("self",))
                .filter(agent_id=agent_id, agent__is_active=True)
                .first()
            )
            if state is None or state.status not in (AgentStatus.READY, AgentStatus.BUSY) or state.voice_busy:
                return offered
            if state.text_load >= state.text_capacity:
                return offered
            skills = {s.skill_id: s.level for s in AgentSkill.objects.filter(agent_id=agent_id)}
            queues = [q.pk for q in Queue.objects.filter(skill_id__in=skills) if skills[q.skill_id] >= q.min_level]
            waiting = QueueEntry.objects.filter(state=EntryState.WAITING, queue_id__in=queues)
            waiting = waiting.filter(Q(preferred_agent__isnull=True) | Q(preferred_agent_id=agent_id))
            if state.text_load > 0:
                waiting = waiting.exclude(channel=ContactChannel.VOICE)
            candidates = (
                waiting.filter(pk__in=_head_of_queues(waiting, queues))
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("queue", "contact__customer")
                .order_by("-priority", "enqueued_at", "id")[:20]
            )
            entry = next((e for e in candidates if agent_id not in (e.declined_by or [])), None)
            if entry is None:
                return offered
            _offer(entry, state, _now())
            offered += 1
    return offered


HEAD_OF_QUEUE = 50  # waiting entries looked at per queue; the 20 first of them not locked are candidates


def _head_of_queues(waiting: QuerySet[QueueEntry], queues: list[int]) -> list[int]:
    """The ids of the first HEAD_OF_QUEUE eligible entries of each queue, in queue order.

    With thousands waiting, locking "the 20 first of all these queues" directly makes the
    database join every waiting entry to its contact and customer and sort them all. The first
    entries of each queue come from one walk of the waiting-entries index per queue (merged
    with UNION ALL), and only those are then locked and read in full, with SKIP LOCKED as
    before: other routers hold at most a few of them at a time."""
    order = ("-priority", "enqueued_at", "id")
    if len(queues) > 1 and connection.features.supports_slicing_ordering_in_compound:
        heads = [
            waiting.filter(queue_id=queue).order_by(*order).values_list("id", flat=True)[:HEAD_OF_QUEUE]
            for queue in queues
        ]
        return list(heads[0].union(*heads[1:], all=True))
    return list(waiting.order_by(*order).values_list("id", flat=True)[: HEAD_OF_QUEUE * max(1, len(queues))])


def route_waiting(limit: int = 1000) -> int:
    """Offer waiting entries, most important first, while agents are free (the periodic tick)."""
    offered = 0
    ids = list(
        QueueEntry.objects.filter(state=EntryState.WAITING)
        .order_by("-priority", "enqueued_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    for entry_id in ids:
        if route_entry(entry_id) is not None:
            offered += 1
    return offered


# --- what the agent does with an offer ------------------------------------------------------------


def _locked_entry(entry_id: int) -> QueueEntry:
    return QueueEntry.objects.select_for_update(of=("self",)).select_related("queue", "contact").get(pk=entry_id)


@transaction.atomic
def accept_offer(agent: User, entry_id: int) -> Contact:
    entry = _locked_entry(entry_id)
    now = _now()
    if entry.state != EntryState.OFFERED or entry.offered_to_id != agent.pk:
        raise BusinessRuleError(_("This offer is no longer yours."), code="offer_gone")
    if entry.offer_expires_at and entry.offer_expires_at < now:
        raise BusinessRuleError(_("This offer has expired."), code="offer_expired")
    entry.state = EntryState.ASSIGNED
    entry.save(update_fields=["state"])
    contact = entry.contact
    contacts.mark_answered(contact, agent, now)
    _decide(DecisionKind.ACCEPTED, contact, entry.queue, agent, at=now)
    events.publish(
        events.chat_group(contact.pk), {"type": "chat.agent_joined", "contact": contact.pk, "agent": str(agent)}
    )
    events.publish(events.SUPERVISORS_GROUP, {"type": "queue.changed", "queue": entry.queue.code})
    return contact


def _back_to_queue(entry: QueueEntry, now: dt.datetime, kind: str, *, not_ready: bool) -> None:
    agent_id = entry.offered_to_id
    entry.state = EntryState.WAITING
    if agent_id is not None:
        entry.declined_by = [*(entry.declined_by or []), agent_id]
        state = AgentState.objects.select_for_update().get(agent_id=agent_id)
        _release(state, entry.channel, now)
        if not_ready:
            _set_status(state, AgentStatus.NOT_READY, NotReadyReason.MISSED_OFFER, now)
        state.save()
    entry.offered_to = None
    entry.offer_expires_at = None
    entry.save(update_fields=["state", "declined_by", "offered_to", "offer_expires_at"])
    Contact.objects.filter(pk=entry.contact_id).update(status=ContactStatus.QUEUED)
    _decide(kind, entry.contact_id, entry.queue, agent_id, at=now)
    if agent_id is not None:
        events.publish(events.staff_group(agent_id), {"type": "offer.withdrawn", "entry": entry.pk})
    transaction.on_commit(lambda: route_entry(entry.pk))


@transaction.atomic
def decline_offer(agent: User, entry_id: int) -> None:
    entry = _locked_entry(entry_id)
    if entry.state != EntryState.OFFERED or entry.offered_to_id != agent.pk:
        raise BusinessRuleError(_("This offer is no longer yours."), code="offer_gone")
    _back_to_queue(entry, _now(), DecisionKind.DECLINED, not_ready=False)


def expire_offers(now: dt.datetime | None = None) -> int:
    """Offers nobody answered in time go back to the queue; the agent is set not ready."""
    now = now or _now()
    expired = 0
    ids = list(
        QueueEntry.objects.filter(state=EntryState.OFFERED, offer_expires_at__lte=now).values_list("id", flat=True)
    )
    for entry_id in ids:
        with transaction.atomic():
            entry = (
                QueueEntry.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("queue")
                .filter(pk=entry_id, state=EntryState.OFFERED, offer_expires_at__lte=now)
                .first()
            )
            if entry is None:
                continue
            _back_to_queue(entry, now, DecisionKind.TIMED_OUT, not_ready=True)
            expired += 1
    return expired


def overflow_waiting(now: dt.datetime | None = None) -> int:
    """Entries waiting past their queue's overflow time move to the overflow queue."""
    now = now or _now()
    moved = 0
    ids = list(QueueEntry.objects.filter(state=EntryState.WAITING, overflow_at__lte=now).values_list("id", flat=True))
    for entry_id in ids:
        with transaction.atomic():
            entry = (
                QueueEntry.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("queue__overflow_queue")
                .filter(pk=entry_id, state=EntryState.WAITING)
                .first()
            )
            if entry is None or entry.queue.overflow_queue is None:
                continue
            target = entry.queue.overflow_queue
            _decide(DecisionKind.OVERFLOWED, entry.contact_id, target, detail=f"from {entry.queue.code}", at=now)
            entry.queue = target
            entry.overflow_at = (
                now + dt.timedelta(seconds=target.overflow_after_seconds) if target.overflow_queue_id else None
            )
            entry.save(update_fields=["queue", "overflow_at"])
            Contact.objects.filter(pk=entry.contact_id).update(queue_code=target.code)
            transaction.on_commit(partial(route_entry, entry.pk))
            moved += 1
    return moved


WAITING_STATUSES = (ContactStatus.QUEUED, ContactStatus.OFFERED)


def end_vanished_chats(now: dt.datetime | None = None) -> tuple[int, int]:
    """Chats whose customer closed the tab: a waiting one is abandoned after
    KEFU_CHAT_ABANDON_SECONDS without a sign of the widget, an answered one ended after
    KEFU_CHAT_IDLE_END_SECONDS (its agent goes on to wrap up). Returns (abandoned, ended)."""
    now = now or _now()
    waiting_cutoff = now - dt.timedelta(seconds=settings.KEFU_CHAT_ABANDON_SECONDS)
    active_cutoff = now - dt.timedelta(seconds=settings.KEFU_CHAT_IDLE_END_SECONDS)
    open_chats = Contact.objects.filter(channel=ContactChannel.CHAT)
    abandoned = ended = 0
    waiting = open_chats.filter(_unseen_since(waiting_cutoff), status__in=WAITING_STATUSES)
    waiting = waiting.filter(queue_entry__state__in=(EntryState.WAITING, EntryState.OFFERED))  # not a callback
    for contact in waiting:
        abandoned += abandon(contact)
    for contact in open_chats.filter(_unseen_since(active_cutoff), status=ContactStatus.ACTIVE):
        end_contact(contact)
        ended += 1
    return abandoned, ended


def _unseen_since(cutoff: dt.datetime) -> Q:
    # A chat from before presence was recorded counts from its creation.
    return Q(customer_seen_at__lt=cutoff) | Q(customer_seen_at__isnull=True, created_at__lt=cutoff)


def tick(now: dt.datetime | None = None) -> dict[str, int]:
    """The routing housekeeping the worker runs every few seconds."""
    now = now or _now()
    abandoned, ended = end_vanished_chats(now)
    return {
        "expired": expire_offers(now),
        "overflowed": overflow_waiting(now),
        "abandoned": abandoned,
        "ended": ended,
        "offered": route_waiting(),
    }


# --- leaving -------------------------------------------------------------------------------------


@transaction.atomic
def abandon(contact: Contact) -> bool:
    """The customer left before an agent answered (hung up, closed the chat); False if it was not waiting."""
    entry = QueueEntry.objects.select_for_update(of=("self",)).select_related("queue").filter(contact=contact).first()
    now = _now()
    if entry is None or entry.state not in (EntryState.WAITING, EntryState.OFFERED):
        return False
    if entry.state == EntryState.OFFERED and entry.offered_to_id:
        state = AgentState.objects.select_for_update().get(agent_id=entry.offered_to_id)
        _release(state, entry.channel, now)
        state.save()
        events.publish(events.staff_group(entry.offered_to_id), {"type": "offer.withdrawn", "entry": entry.pk})
    entry.state = EntryState.ABANDONED
    entry.save(update_fields=["state"])
    contacts.mark_abandoned(Contact.objects.get(pk=contact.pk), now)
    _decide(DecisionKind.ABANDONED, contact, entry.queue, at=now)
    events.publish(events.SUPERVISORS_GROUP, {"type": "queue.changed", "queue": entry.queue.code})
    return True


@transaction.atomic
def end_contact(contact: Contact, *, by_agent: User | None = None) -> Contact:
    """The conversation is over (either side). Voice agents go to after-call work."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.status in (ContactStatus.QUEUED, ContactStatus.OFFERED):
        abandon(contact)
        contact.refresh_from_db()
        return contact
    if contact.status != ContactStatus.ACTIVE:
        return contact
    if by_agent is not None and contact.agent_id != by_agent.pk:
        raise NotAllowed(_("This contact is not yours."))
    now = _now()
    is_voice = contact.channel == ContactChannel.VOICE
    contacts.mark_ended(contact, now, needs_wrap_up=True)
    if contact.agent_id:
        state = AgentState.objects.select_for_update().get(agent_id=contact.agent_id)
        status_before = state.status
        _release(state, contact.channel, now, after_call_work=is_voice)
        state.save()
        if state.status in (AgentStatus.READY, AgentStatus.BUSY):
            transaction.on_commit(partial(route_for_agent, contact.agent_id))
        if state.status == status_before:  # else _set_status told the wall; it shows current contacts too
            events.publish(
                events.SUPERVISORS_GROUP, {"type": "agent.state", "agent": contact.agent_id, "status": state.status}
            )
    events.publish(events.SUPERVISORS_GROUP, {"type": "queue.changed", "queue": contact.queue_code})
    return contact


@transaction.atomic
def wrap_up_contact(agent: User, contact: Contact, *, code: WrapUpCode | None, notes: str = "") -> Contact:
    """Close the agent's work on a contact (小结); after a call the agent is ready again."""
    if contact.agent_id != agent.pk:
        raise NotAllowed(_("This contact is not yours."))
    if contact.status == ContactStatus.ACTIVE:
        end_contact(contact, by_agent=agent)
        contact.refresh_from_db()
    now = _now()
    contacts.wrap_up(contact, code=code, notes=notes, at=now)
    state = AgentState.objects.select_for_update().get(agent=agent)
    if state.status == AgentStatus.AFTER_CALL_WORK:
        _set_status(state, AgentStatus.BUSY if not state.is_idle else AgentStatus.READY, "", now)
        state.save()
        transaction.on_commit(lambda: route_for_agent(agent.pk))
    else:  # _set_status published nothing: the wall still drops the contact from the agent's row
        events.publish(events.SUPERVISORS_GROUP, {"type": "agent.state", "agent": agent.pk, "status": state.status})
    events.publish(events.SUPERVISORS_GROUP, {"type": "queue.changed", "queue": contact.queue_code})
    return contact


def ensure_queue_takes(queue: Queue, channel: str) -> None:
    """A contact may only be moved or transferred to a queue that takes its channel."""
    if channel not in queue.channels:
        raise BusinessRuleError(
            _("Queue %(queue)s does not take %(channel)s contacts.")
            % {"queue": queue.name, "channel": ContactChannel(channel).label},
            code="queue_channel",
        )


def ensure_agent_serves(agent: User, queue: Queue) -> None:
    """A contact may only be transferred to an agent with the queue's skill at its level."""
    if not AgentSkill.objects.filter(agent=agent, skill_id=queue.skill_id, level__gte=queue.min_level).exists():
        raise BusinessRuleError(
            _("%(agent)s does not have the skill queue %(queue)s needs.") % {"agent": agent, "queue": queue.name},
            code="transfer_agent_unskilled",
        )


@transaction.atomic
def transfer(
    contact: Contact, *, by_agent: User, queue: Queue | None = None, to_agent: User | None = None, note: str = ""
) -> QueueEntry:
    """Hand an active contact to another queue or agent; the history goes with it."""
    if contact.agent_id != by_agent.pk or contact.status != ContactStatus.ACTIVE:
        raise BusinessRuleError(_("Only your active contacts can be transferred."), code="transfer_not_active")
    entry = _locked_entry(contact.queue_entry.pk)
    target = queue or entry.queue
    if to_agent is not None and to_agent.pk == by_agent.pk:
        raise BusinessRuleError(_("Choose another agent."), code="transfer_self")
    ensure_queue_takes(target, contact.channel)
    if to_agent is not None:
        ensure_agent_serves(to_agent, target)
    now = _now()
    state = AgentState.objects.select_for_update().get(agent=by_agent)
    _release(state, contact.channel, now)
    state.save()
    entry.queue = target
    entry.state = EntryState.WAITING
    entry.preferred_agent = to_agent
    entry.declined_by = [by_agent.pk]
    entry.offered_to = None
    entry.save(update_fields=["queue", "state", "preferred_agent", "declined_by", "offered_to"])
    Contact.objects.filter(pk=contact.pk).update(
        status=ContactStatus.QUEUED, queue_code=target.code, transfers=F("transfers") + 1
    )
    if note.strip():
        # For the next agent only: the customer sees that the chat moves, not why.
        contacts.add_message(contact, sender=SenderKind.AGENT, body=note.strip(), author=by_agent, internal=True)
    _decide(DecisionKind.TRANSFERRED, contact, target, to_agent, detail=f"by {by_agent.get_username()}", at=now)
    events.publish(events.chat_group(contact.pk), {"type": "chat.transferred", "contact": contact.pk})
    transaction.on_commit(lambda: route_entry(entry.pk))
    return entry


@transaction.atomic
def move_entry(entry_id: int, queue: Queue, *, by: User) -> QueueEntry:
    """A supervisor moves a waiting contact to another queue."""
    if not by.has_perm("routing.supervise_agents"):
        raise NotAllowed(_("Only a team lead or supervisor may move waiting contacts."))
    entry = _locked_entry(entry_id)
    if entry.state != EntryState.WAITING:
        raise BusinessRuleError(_("Only waiting contacts can be moved."), code="entry_not_waiting")
    ensure_queue_takes(queue, entry.channel)
    entry.queue = queue
    entry.save(update_fields=["queue"])
    Contact.objects.filter(pk=entry.contact_id).update(queue_code=queue.code)
    _decide(DecisionKind.MOVED, entry.contact_id, queue, by, detail=f"by {by.get_username()}")
    transaction.on_commit(lambda: route_entry(entry.pk))
    return entry


@transaction.atomic
def request_callback(contact: Contact, phone: str) -> CallbackRequest:
    """The customer chose "call me back" instead of waiting: they leave the queue, we call."""
    entry = _locked_entry(contact.queue_entry.pk)
    if entry.state != EntryState.WAITING:
        raise BusinessRuleError(_("Only a waiting customer can ask for a callback."), code="entry_not_waiting")
    entry.state = EntryState.CALLBACK
    entry.save(update_fields=["state"])
    return CallbackRequest.objects.create(queue=entry.queue, contact=contact, phone=phone, requested_at=_now())


def is_offered(contact: Contact) -> bool:
    """Is an agent's desk ringing with this waiting contact right now?"""
    return QueueEntry.objects.filter(contact=contact, state=EntryState.OFFERED).exists()


def queue_position(contact: Contact) -> tuple[int, int] | None:
    """(position, expected wait in seconds) for a waiting customer, or None."""
    entry = QueueEntry.objects.filter(contact=contact, state=EntryState.WAITING).select_related("queue").first()
    if entry is None:
        return None
    ahead = (
        QueueEntry.objects.filter(queue=entry.queue, state=EntryState.WAITING)
        .filter(Q(priority__gt=entry.priority) | Q(priority=entry.priority, enqueued_at__lt=entry.enqueued_at))
        .count()
    )
    from kefu.routing.queries import expected_wait_seconds

    return ahead + 1, expected_wait_seconds(entry.queue, ahead + 1)
