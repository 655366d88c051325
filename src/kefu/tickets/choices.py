from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Category(models.TextChoices):
    """The families of work orders of PRODUCT §5."""

    FAULT = "fault", _("Fault report")
    COMPLAINT = "complaint", _("Complaint")
    BUSINESS = "business", _("Business request")
    SUGGESTION = "suggestion", _("Suggestion")
    INQUIRY = "inquiry", _("Inquiry")
    AUDIT_REPORT = "audit_report", _("Audit report")
    CALLBACK = "callback", _("Callback task")


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class Status(models.TextChoices):
    """States of a work order's lifecycle (受理 → 派单 → 接单 → 处理 → 回单 → 回访 → 归档)."""

    NEW = "new", _("New")
    DISPATCHED = "dispatched", _("Dispatched")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING = "pending", _("Pending")
    RETURNED = "returned", _("Returned")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (
    Status.NEW,
    Status.DISPATCHED,
    Status.ACCEPTED,
    Status.IN_PROGRESS,
    Status.PENDING,
    Status.RETURNED,
)
FINISHED_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)


class PendingReason(models.TextChoices):
    CUSTOMER = "customer", _("Waiting for the customer")
    PARTS = "parts", _("Waiting for parts")
    PAYMENT = "payment", _("Waiting for payment")
    THIRD_PARTY = "third_party", _("Waiting for a third party")


class PaymentFlow(models.TextChoices):
    """S1 §4.2.3: pay first then serve, or serve first and charge on completion."""

    NONE = "none", _("No charge")
    PAY_FIRST = "pay_first", _("Pay first, then serve")
    SERVE_FIRST = "serve_first", _("Serve first, then charge")


class Fulfilment(models.TextChoices):
    """What completing a business request does to the customer's services."""

    NONE = "none", _("Nothing automatic")
    ACTIVATE = "activate", _("Activate the line")
    SUSPEND = "suspend", _("Suspend the line")
    RESUME = "resume", _("Resume the line")
    DISCONNECT = "disconnect", _("Disconnect the line")
    CHANGE_PACKAGE = "change_package", _("Change the base package")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    NOTE = "note", _("Note")
    PROGRESS = "progress", _("Progress report")
    ATTACHMENT = "attachment", _("Attachment")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_OVERDUE = "sla_overdue", _("SLA overdue")
    ESCALATED = "escalated", _("Escalated")
    PAYMENT = "payment", _("Payment")
    CALLBACK = "callback", _("Callback")
    MERGED = "merged", _("Merged")
    LINKED = "linked", _("Linked")


class Channel(models.TextChoices):
    PHONE = "phone", pgettext_lazy("channel", "Phone")
    DESK = "desk", _("Desk")
    PORTAL = "portal", _("Portal")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Web chat")
    API = "api", _("API")
    FIELD = "field", _("Field app")
    SYSTEM = "system", _("System")
