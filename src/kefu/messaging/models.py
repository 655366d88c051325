"""The one outbox every outgoing SMS, email and in-app notice passes through (ARCHITECTURE §4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    IN_APP = "in_app", _("In-app notice")


class MessageTemplate(models.Model):
    """A message text with {{ placeholders }} (消息模板), per channel, editable by administrators."""

    code = models.CharField(_("code"), max_length=64)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["code", "channel"]
        constraints = [models.UniqueConstraint(fields=["code", "channel"], name="template_once_per_channel")]

    def __str__(self) -> str:
        return f"{self.code} ({self.channel})"


class OutboundMessage(models.Model):
    """One message to one recipient (发送记录): queued, then sent or failed, with its attempts.

    `dedupe_key` makes sending idempotent: the same notice about the same thing to the same
    person is queued once, however often the caller asks.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Suppressed")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    template_code = models.CharField(_("template"), max_length=64, blank=True)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    address = models.CharField(_("phone or email"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    link = models.CharField(_("link"), max_length=200, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True, help_text=_("e.g. email threading headers"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)
    provider_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True, null=True, blank=True)
    subject_type = models.CharField(_("about (type)"), max_length=64, blank=True)
    subject_id = models.CharField(_("about (id)"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="outbox_status_idx"),
            models.Index(fields=["recipient_user", "read_at"], name="outbox_user_unread_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="outbox_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address or self.recipient_user_id}: {self.body[:30]}"
