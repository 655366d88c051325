"""Every interaction on every channel is one Contact (联络记录, PRODUCT §3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.contacts.choices import ContactChannel, ContactStatus, Direction, InboundStatus, SenderKind


class WrapUpCode(models.Model):
    """What a contact was about and how it ended (小结代码), chosen by the agent at wrap-up."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    category = models.CharField(_("issue category"), max_length=32, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("wrap-up code")
        verbose_name_plural = _("wrap-up codes")
        ordering = ["category", "code"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """One interaction: a call, a chat, an SMS conversation, an email thread, a portal request.

    Times: `offered_at` when it entered a queue, `answered_at` when an agent took it,
    `ended_at` when the conversation ended, `wrapped_up_at` when the agent finished notes.
    Durations are stored in seconds when each phase ends, so reports add columns.
    """

    channel = models.CharField(_("channel"), max_length=16, choices=ContactChannel.choices)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices, default=Direction.INBOUND)
    status = models.CharField(_("status"), max_length=16, choices=ContactStatus.choices, default=ContactStatus.NEW)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        db_index=False,  # contact_customer_time_idx leads with it
    )
    identity = models.CharField(_("from"), max_length=254, blank=True, help_text=_("Phone, email, chat or IM handle."))
    display_name = models.CharField(_("name given"), max_length=100, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    queue_code = models.CharField(_("queue"), max_length=32, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_contacts",
        db_index=False,  # contact_agent_status_idx leads with it
    )
    created_at = models.DateTimeField(_("created"))
    offered_at = models.DateTimeField(_("entered queue"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    wrapped_up_at = models.DateTimeField(_("wrapped up"), null=True, blank=True)
    abandoned_at = models.DateTimeField(_("abandoned"), null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(_("wait (s)"), null=True, blank=True)
    talk_seconds = models.PositiveIntegerField(_("talk (s)"), null=True, blank=True)
    hold_seconds = models.PositiveIntegerField(_("hold (s)"), default=0)
    held_since = models.DateTimeField(_("on hold since"), null=True, blank=True)
    wrap_up_seconds = models.PositiveIntegerField(_("after-call work (s)"), null=True, blank=True)
    wrap_up_code = models.ForeignKey(
        WrapUpCode, verbose_name=_("wrap-up"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)
    recording_ref = models.CharField(_("recording"), max_length=200, blank=True)
    ivr_path = models.CharField(_("IVR path"), max_length=200, blank=True)
    rating = models.PositiveSmallIntegerField(_("customer rating (1–5)"), null=True, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=300, blank=True)
    transfers = models.PositiveSmallIntegerField(_("transfers"), default=0)
    resume_token = models.CharField(_("resume token"), max_length=64, blank=True)
    customer_seen_at = models.DateTimeField(
        _("customer last seen"),
        null=True,
        blank=True,
        help_text=_("When the customer's chat window last showed a sign of life; a closed tab stops it."),
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-created_at", "-id"]
        # Every new contact writes each of these: equality lookups only, so no LIKE (pattern ops)
        # twins, and no foreign-key index that a composite one already leads with.
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="contact_customer_time_idx"),
            models.Index(fields=["queue_code"], name="contact_queue_code_idx"),
            models.Index(fields=["resume_token"], name="contact_resume_token_idx"),
            models.Index(fields=["offered_at"], name="contact_offered_idx"),
            models.Index(fields=["agent", "status"], name="contact_agent_status_idx"),
            # SMS / IM / email: "the sender's open conversation on this channel" on every message.
            models.Index(fields=["channel", "identity", "-created_at"], name="contact_channel_identity_idx"),
            # The routing tick: open chats whose customer has not been seen for a while.
            models.Index(
                fields=["customer_seen_at"],
                name="contact_chat_presence_idx",
                condition=models.Q(channel="chat", status__in=["queued", "offered", "active"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}"


class Message(models.Model):
    """One message inside a contact (消息): a chat line, an SMS, an email, a system or internal note."""

    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(_("sender"), max_length=16, choices=SenderKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("text"))
    internal = models.BooleanField(
        _("internal note"), default=False, help_text=_("Seen by agents only, never by the customer (内部备注).")
    )
    created_at = models.DateTimeField(_("sent"))
    external_id = models.CharField(
        _("channel message id"),
        max_length=255,
        blank=True,
        help_text=_("The id the channel gave the message, e.g. an email's Message-ID, for threading."),
    )
    client_id = models.CharField(
        _("client message id"),
        max_length=64,
        blank=True,
        help_text=_("Set by the sender so a resent message is stored once."),
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        # threading (email In-Reply-To) looks it up by equality: one index, without a LIKE twin
        indexes = [models.Index(fields=["external_id"], name="message_external_id_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "client_id"], condition=~models.Q(client_id=""), name="message_client_id_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.body[:30]}"


class Handoff(models.Model):
    """A customer sent on to another channel (跨渠道协同), e.g. an SMS with a portal link."""

    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="handoffs")
    to_channel = models.CharField(_("to channel"), max_length=16, choices=ContactChannel.choices)
    purpose = models.CharField(_("purpose"), max_length=100)
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("sent"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("hand-off")
        verbose_name_plural = _("hand-offs")

    def __str__(self) -> str:
        return f"{self.contact_id} → {self.to_channel}"


class InboundItem(models.Model):
    """Anything a channel delivers, stored first under the provider's id (ARCHITECTURE §4).

    A repeated delivery hits the unique (provider, provider_id) and is a no-op; an item
    that fails to process stays here as a dead letter to retry.
    """

    provider = models.CharField(_("provider"), max_length=32)
    provider_id = models.CharField(_("provider id"), max_length=200)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=16, choices=InboundStatus.choices, default=InboundStatus.STORED)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("inbound item")
        verbose_name_plural = _("inbound items")
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["provider", "provider_id"], name="inbound_once")]
        indexes = [
            # connector health: the last delivery of each provider, and its dead letters
            models.Index(fields=["provider", "-received_at"], name="inbound_last_idx"),
            models.Index(
                fields=["provider", "-received_at"], name="inbound_dead_idx", condition=models.Q(status="dead")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_id}"
