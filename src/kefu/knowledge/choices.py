from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    """The review workflow of an article (草稿 → 待审核 → 已发布 → 已归档)."""

    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Audience(models.TextChoices):
    """Who may read an article: staff only (内部), or customers too (公开)."""

    INTERNAL = "internal", _("Internal")
    PUBLIC = "public", _("Public")


class UsageKind(models.TextChoices):
    VIEWED = "viewed", _("Viewed")
    SOLVED = "solved", _("Solved the issue")
    USED = "used", _("Used on a contact")


class UsageChannel(models.TextChoices):
    """Where a view or a "solved" mark came from: an agent on the desk, or a customer."""

    DESK = "desk", _("Agent desk")
    PORTAL = "portal", _("Customer self-service")
    CHATBOT = "chatbot", _("Chatbot")
    SMS = "sms", _("SMS")
    IVR = "ivr", _("IVR")
    API = "api", _("API")


CUSTOMER_CHANNELS = (UsageChannel.PORTAL, UsageChannel.CHATBOT, UsageChannel.SMS, UsageChannel.IVR)


class WalkthroughOutcome(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SOLVED = "solved", _("Solved")
    ORDER_NEEDED = "order_needed", _("Repair order needed")
    ABANDONED = "abandoned", _("Abandoned")


class GuideNodeKind(models.TextChoices):
    """The steps of a diagnosis tree (symptom → checks → causes → steps → repair order)."""

    CHECK = "check", _("Check")
    CAUSE = "cause", _("Likely cause")
    STEP = "step", _("Step to try")
    SOLVED = "solved", _("Solved")
    ORDER = "order", _("Open a repair order")
