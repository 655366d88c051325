"""The one outbox every outgoing SMS, email, IM and in-app message passes through (ARCHITECTURE §4),
and the channel accounts (SMTP, IMAP, SMS gateways, IM platforms) the connectors use."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    IM = "im", _("IM / social")
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
            # The connector health panel: pending, failed and last sent per channel.
            models.Index(fields=["channel", "status", "created_at"], name="outbox_channel_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address or self.recipient_user_id}: {self.body[:30]}"


class ChannelKind(models.TextChoices):
    EMAIL_SMTP = "email-smtp", _("Email out (SMTP smarthost)")
    EMAIL_IMAP = "email-imap", _("Email in (IMAP mailbox)")
    KANNEL = "kannel", _("SMS gateway (Kannel)")
    SMPP = "smpp", _("SMS gateway (SMPP)")
    WEBHOOK = "webhook", _("IM webhook")
    WECHAT = "wechat", _("WeChat Official Account")


class ChannelAccount(models.Model):
    """A channel's account at the outside world (渠道账号): the SMTP smarthost, a mailbox polled over
    IMAP, an SMS gateway login, an IM platform's keys.

    Non-secret settings are plain JSON; passwords, tokens and keys are one Fernet-encrypted JSON
    object (`kefu.messaging.crypto`) that no page shows back. At most one account of a kind is
    enabled, except mailboxes (one per queue). The connectors use the enabled account of their
    kind and fall back to the KEFU_* settings when there is none (`channel_accounts.channel_config`).
    The last_* fields are what the connector itself saw last (the IMAP poller writes them).
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100, unique=True)
    queue_code = models.CharField(
        _("queue"), max_length=32, blank=True, help_text=_("Code of the queue new contacts enter; empty: the default")
    )
    enabled = models.BooleanField(_("enabled"), default=False)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    encrypted_secrets = models.TextField(_("credentials (encrypted)"), blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(enabled=True) & ~models.Q(kind="email-imap"),
                name="one_enabled_account_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"
