from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ContactChannel(models.TextChoices):
    VOICE = "voice", pgettext_lazy("channel", "Phone")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Web chat")
    IM = "im", _("IM / social")
    PORTAL = "portal", _("Self-service portal")
    FAX = "fax", _("Fax / letter")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class ContactStatus(models.TextChoices):
    """Where the interaction is: waiting in a queue, offered, talking, in wrap-up, ended."""

    NEW = "new", _("New")
    QUEUED = "queued", _("Waiting")
    OFFERED = "offered", _("Offered")  # no longer written: an offer is the queue entry's state
    ACTIVE = "active", _("In progress")
    WRAP_UP = "wrap_up", _("Wrap-up")
    ENDED = "ended", _("Ended")
    ABANDONED = "abandoned", _("Abandoned")


class SenderKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    BOT = "bot", _("Bot")
    SYSTEM = "system", _("System")


class InboundStatus(models.TextChoices):
    STORED = "stored", _("Stored")
    PROCESSED = "processed", _("Processed")
    DEAD = "dead", _("Dead letter")
    DISCARDED = "discarded", _("Discarded")  # a dead letter a supervisor dropped: repeats stay no-ops
