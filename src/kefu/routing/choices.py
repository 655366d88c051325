from django.db import models
from django.utils.translation import gettext_lazy as _


class AgentStatus(models.TextChoices):
    """An agent's state (座席状态)."""

    OFFLINE = "offline", _("Signed out")
    READY = "ready", _("Ready")
    NOT_READY = "not_ready", _("Not ready")
    BUSY = "busy", _("Busy")
    AFTER_CALL_WORK = "acw", _("After-call work")


class NotReadyReason(models.TextChoices):
    BREAK = "break", _("Break")
    MEAL = "meal", _("Meal")
    TRAINING = "training", _("Training")
    MEETING = "meeting", _("Meeting")
    BACK_OFFICE = "back_office", _("Back-office work")
    MISSED_OFFER = "missed_offer", _("Missed an offer")
    SUPERVISOR = "supervisor", _("Set by supervisor")


class EntryState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Offered")
    ASSIGNED = "assigned", _("Assigned")
    ABANDONED = "abandoned", _("Abandoned")
    CALLBACK = "callback", _("Callback requested")


class DecisionKind(models.TextChoices):
    QUEUED = "queued", _("Queued")
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    TIMED_OUT = "timed_out", _("Offer timed out")
    OVERFLOWED = "overflowed", _("Overflowed")
    TRANSFERRED = "transferred", _("Transferred")
    MOVED = "moved", _("Moved by supervisor")
    ABANDONED = "abandoned", _("Abandoned")


CHANNEL_CAPACITY = {"voice": 1, "chat": 3, "sms": 5, "email": 5, "im": 3, "portal": 3}
TIER_PRIORITY = {"diamond": 40, "gold": 30, "silver": 20, "standard": 10}
