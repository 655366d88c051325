"""Queues, agents' states and the queue entries the ACD routes (排队与分配, PRODUCT §4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.routing.choices import AgentStatus, DecisionKind, EntryState


class Queue(models.Model):
    """A queue of contacts waiting for agents with a skill (技能队列)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    channels = models.JSONField(_("channels"), default=list, help_text=_('e.g. ["chat", "voice"]'))
    skill = models.ForeignKey(
        "accounts.Skill", verbose_name=_("skill needed"), on_delete=models.PROTECT, related_name="queues"
    )
    min_level = models.PositiveSmallIntegerField(_("minimum skill level"), default=1)
    calendar = models.ForeignKey(
        "core.BusinessCalendar",
        verbose_name=_("opening hours"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Empty: always open."),
    )
    overflow_queue = models.ForeignKey(
        "self", verbose_name=_("overflow to"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    overflow_after_seconds = models.PositiveIntegerField(_("overflow after (s)"), default=120)
    offer_timeout_seconds = models.PositiveIntegerField(_("offer timeout (s)"), default=20)
    service_level_seconds = models.PositiveIntegerField(_("service level target (s)"), default=20)
    short_abandon_seconds = models.PositiveIntegerField(_("short abandon (s)"), default=5)
    service_level_target = models.PositiveSmallIntegerField(_("service level target (%)"), default=80)
    max_wait_alarm_seconds = models.PositiveIntegerField(_("longest wait alarm (s)"), default=60)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class AgentState(models.Model):
    """One agent's availability and load, the row the ACD locks when it assigns work.

    `idle_since` orders ready agents fairly (longest idle first); `text_load` counts the text
    contacts (chat, SMS, email ...) offered or assigned to the agent, up to `text_capacity`;
    a call takes the agent whole (`voice_busy`).
    """

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="agent_state"
    )
    status = models.CharField(_("state"), max_length=16, choices=AgentStatus.choices, default=AgentStatus.OFFLINE)
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    since = models.DateTimeField(_("in state since"))
    idle_since = models.DateTimeField(_("idle since"), null=True, blank=True)
    text_load = models.PositiveSmallIntegerField(_("text contacts"), default=0)
    text_capacity = models.PositiveSmallIntegerField(_("text contacts at once"), default=3)
    voice_busy = models.BooleanField(_("on a call"), default=False)

    class Meta:
        verbose_name = _("agent state")
        verbose_name_plural = _("agent states")
        permissions = [
            ("handle_contacts", _("Take contacts on the agent desktop")),
            ("supervise_agents", _("Watch queues and agents, force states, move waiting contacts")),
        ]
        # No index on a column a routing decision changes (status, loads, idle_since): then the
        # decision's UPDATE is a HOT update — no new entry in any index — and the table, with
        # room left on each page (fillfactor, migration 0003), does not bloat under the ACD.
        # The states of a whole floor are a few dozen pages; reads by status scan them.

    def __str__(self) -> str:
        return f"{self.agent}: {self.status}"

    @property
    def is_idle(self) -> bool:
        return self.text_load == 0 and not self.voice_busy


class QueueEntry(models.Model):
    """A contact waiting in (or leaving) a queue. Locked row by row by the ACD."""

    contact = models.OneToOneField(
        "contacts.Contact", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="queue_entry"
    )
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.PROTECT, related_name="entries")
    original_queue = models.ForeignKey(
        Queue, verbose_name=_("first queue"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16)
    priority = models.PositiveSmallIntegerField(_("priority"), default=10)
    state = models.CharField(_("state"), max_length=16, choices=EntryState.choices, default=EntryState.WAITING)
    enqueued_at = models.DateTimeField(_("enqueued"))
    overflow_at = models.DateTimeField(_("overflow at"), null=True, blank=True)
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("offered to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    declined_by = models.JSONField(_("declined by"), default=list, blank=True)
    preferred_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("transfer to agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("queue entry")
        verbose_name_plural = _("queue entries")
        indexes = [
            models.Index(
                fields=["queue", "-priority", "enqueued_at"],
                name="entry_waiting_idx",
                condition=models.Q(state="waiting"),
            ),
            models.Index(fields=["offer_expires_at"], name="entry_offer_exp_idx", condition=models.Q(state="offered")),
        ]

    def __str__(self) -> str:
        return f"{self.queue_id}:{self.contact_id} {self.state}"


class RoutingDecision(models.Model):
    """Each thing the ACD decided or an agent did with an offer (分配记录), for audit and reports."""

    at = models.DateTimeField(_("at"), db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=DecisionKind.choices)
    contact = models.ForeignKey(
        "contacts.Contact", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+"
    )
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), null=True, on_delete=models.SET_NULL, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("routing decision")
        verbose_name_plural = _("routing decisions")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.kind} {self.contact_id}"


class AgentStateChange(models.Model):
    """An agent's state history: from, to, why, and how long the previous state lasted."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(_("at"), db_index=True)
    from_status = models.CharField(_("from"), max_length=16, choices=AgentStatus.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=AgentStatus.choices)
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    seconds_in_previous = models.PositiveIntegerField(_("seconds in previous state"), default=0)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("agent state change")
        verbose_name_plural = _("agent state changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.from_status}→{self.to_status}"


class CallbackRequest(models.Model):
    """A customer who chose to be called back instead of waiting (回呼)."""

    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.PROTECT, related_name="callbacks")
    contact = models.ForeignKey(
        "contacts.Contact", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+"
    )
    phone = models.CharField(_("phone"), max_length=20)
    requested_at = models.DateTimeField(_("requested"))
    call_after = models.DateTimeField(_("call after"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("callback request")
        verbose_name_plural = _("callback requests")
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"{self.phone} @ {self.requested_at:%H:%M}"
