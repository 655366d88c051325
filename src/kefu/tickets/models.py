"""Work orders (工单): what could not be solved at first contact, tracked to the end."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.tickets.choices import (
    Category,
    Channel,
    EventKind,
    Fulfilment,
    PaymentFlow,
    PendingReason,
    Priority,
    Status,
)


class OrderType(models.Model):
    """A kind of work order and its subtypes (工单类型), configured by administrators.

    `form_fields` lists what the agent fills in, e.g.
    [{"name": "symptom", "label": "故障现象", "kind": "text", "required": true},
     {"name": "since", "label": "开始时间", "kind": "datetime"}].
    """

    class TeamKind(models.TextChoices):
        FIELD = "field", _("Field team")
        BACK_OFFICE = "back_office", _("Back office")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=64)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subtypes",
    )
    form_fields = models.JSONField(_("form fields"), default=list, blank=True)
    default_priority = models.CharField(
        _("default priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    handled_by = models.CharField(_("handled by"), max_length=16, choices=TeamKind.choices, default=TeamKind.FIELD)
    payment_flow = models.CharField(
        _("payment flow"), max_length=16, choices=PaymentFlow.choices, default=PaymentFlow.NONE
    )
    fee = models.DecimalField(_("fee"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    fulfilment = models.CharField(
        _("on completion"), max_length=20, choices=Fulfilment.choices, default=Fulfilment.NONE
    )
    repeat_window_days = models.PositiveSmallIntegerField(
        _("repeat complaint window (days)"),
        default=30,
        help_text=_("A complaint of the same customer and type within this window is a repeat complaint."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("work order type")
        verbose_name_plural = _("work order types")
        ordering = ["category", "position", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name


class SlaPolicy(models.Model):
    """Response and resolution targets (服务时限) for a type × priority × tier, in working minutes.

    An empty type, priority or tier matches any; the most specific policy wins.
    """

    name = models.CharField(_("name"), max_length=64)
    order_type = models.ForeignKey(
        OrderType, verbose_name=_("type"), null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    tier = models.CharField(_("customer tier"), max_length=16, blank=True)
    response_minutes = models.PositiveIntegerField(_("response within (working minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolve within (working minutes)"))
    # xgettext:no-python-format
    warn_at_percent = models.PositiveSmallIntegerField(_("warn at (% of resolution time)"), default=80)
    escalate_after_minutes = models.PositiveIntegerField(_("escalate when overdue by (minutes)"), default=120)
    calendar = models.ForeignKey(
        "core.BusinessCalendar",
        verbose_name=_("calendar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Empty: the calendar of the team handling the order."),
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrderSequence(models.Model):
    """The last order number handed out on a day, so numbers read well on the phone."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class WorkerLoad(models.Model):
    """How many open orders a member of staff holds, for automatic dispatch (least loaded first).

    Kept by database triggers on the work order table (migration 0006), so every way an order is
    written — services, admin, bulk loads — keeps it right; counting each candidate's open orders
    for every new order cost the database milliseconds per order for a back office of forty."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="work_load"
    )
    open_orders = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("open orders held")
        verbose_name_plural = _("open orders held")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.open_orders}"


class WorkOrder(models.Model):
    """A work order (工单): a fault, complaint, business request ... from creation to closure."""

    number = models.CharField(_("order number"), max_length=20)
    order_type = models.ForeignKey(OrderType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="orders")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.DESK)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    fields = models.JSONField(_("details"), default=dict, blank=True)

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,  # the composite indexes below start with it
        related_name="work_orders",
    )
    subscription = models.ForeignKey(
        "customers.Subscription",
        verbose_name=_("line"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_orders",
    )
    source_contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("opened from contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_orders",
    )
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    service_area = models.ForeignKey(
        "accounts.ServiceArea",
        verbose_name=_("service area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,  # the composite indexes below start with it
        related_name="work_orders",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,  # the composite indexes below start with it
        related_name="assigned_orders",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_orders",
    )

    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    responded_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    # SLA (all deadlines stored; pauses shift them)
    sla_policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), null=True, blank=True, on_delete=models.SET_NULL
    )
    response_due = models.DateTimeField(_("response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    next_sla_check = models.DateTimeField(_("next SLA check"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    pending_reason = models.CharField(_("pending reason"), max_length=16, choices=PendingReason.choices, blank=True)
    response_overdue_at = models.DateTimeField(_("response overdue at"), null=True, blank=True)
    sla_warned_at = models.DateTimeField(_("SLA warning at"), null=True, blank=True)
    sla_overdue_at = models.DateTimeField(_("SLA overdue at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)

    # Complaints (S1 §4.2.2)
    is_repeat_complaint = models.BooleanField(_("repeat complaint"), default=False)
    is_secondary_complaint = models.BooleanField(_("secondary complaint"), default=False)
    related_order = models.ForeignKey(
        "self", verbose_name=_("about order"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )

    # Business requests (S1 §4.2.3)
    payment_flow = models.CharField(
        _("payment flow"), max_length=16, choices=PaymentFlow.choices, default=PaymentFlow.NONE
    )
    fee = models.DecimalField(_("fee"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    charged_at = models.DateTimeField(_("charged"), null=True, blank=True)

    resolution = models.TextField(_("result"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    return_count = models.PositiveSmallIntegerField(_("times returned"), default=0)
    dispatch_count = models.PositiveSmallIntegerField(_("times dispatched"), default=0)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["service_area", "resolution_due"],
                name="order_open_area_due_idx",
                condition=models.Q(status__in=["new", "dispatched", "accepted", "in_progress", "pending", "returned"]),
            ),
            models.Index(
                fields=["next_sla_check"],
                name="order_next_sla_check_idx",
                condition=models.Q(next_sla_check__isnull=False),
            ),
            models.Index(fields=["assignee", "status"], name="order_assignee_status_idx"),
            models.Index(fields=["team", "status"], name="order_team_status_idx"),
            models.Index(fields=["status", "created_at"], name="order_status_created_idx"),
            models.Index(fields=["customer", "category", "created_at"], name="order_customer_idx"),
        ]
        # A constraint, not `unique=True`: PostgreSQL would get a second, LIKE-capable index on
        # the number too, and nothing searches numbers by prefix. Every index costs each new order.
        constraints = [models.UniqueConstraint(fields=["number"], name="order_number_unique")]
        permissions = [
            ("dispatch_workorder", _("Dispatch and re-dispatch work orders")),
            ("work_workorder", _("Accept and complete work orders assigned to the team")),
            ("callback_workorder", _("Call customers back and close work orders")),
            ("supervise_workorder", _("Escalate, reopen, merge and cancel any work order")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)


class OrderEvent(models.Model):
    """One thing that happened to an order (工单轨迹): immutable, in order, with who/when/why."""

    order = models.ForeignKey(
        WorkOrder,
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # order_event_order_at_idx starts with it
    )
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("by (name)"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    from_status = models.CharField(_("from"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Status.choices, blank=True)
    reason = models.TextField(_("reason or note"), blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.DESK)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order history")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="order_event_order_at_idx")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


def attachment_path(instance: OrderAttachment, filename: str) -> str:
    return f"orders/{instance.order_id}/{filename}"


class OrderAttachment(models.Model):
    """A photo or document on an order (附件), e.g. the engineer's photo of the repaired line."""

    order = models.ForeignKey(WorkOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.name
