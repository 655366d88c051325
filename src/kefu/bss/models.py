"""The built-in BSS: catalog, what each line holds, accounts, bills, usage (PRODUCT §2).

Small operators and the demo run on these tables; a large operator plugs its own BSS in
through `kefu.bss.adapters` and these stay empty.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.bss.choices import BillStatus, OfferingStatus, PaymentChannel, ProductKind, UsageKind
from kefu.customers.choices import ServiceKind

ZERO = Decimal("0.00")


class Product(models.Model):
    """A catalog entry (套餐/流量包/营销活动): a base package, an add-on pack or a campaign.

    Products that share a non-empty `exclusion_group`, or that name each other in
    `excludes`, cannot be held together on one line (互斥).
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ProductKind.choices)
    service = models.CharField(_("service"), max_length=20, choices=ServiceKind.choices)
    monthly_fee = models.DecimalField(_("monthly fee"), max_digits=10, decimal_places=2, default=ZERO)
    voice_minutes = models.PositiveIntegerField(_("voice minutes"), default=0)
    data_mb = models.PositiveIntegerField(_("data (MB)"), default=0)
    sms_count = models.PositiveIntegerField(_("SMS"), default=0)
    bandwidth_mbps = models.PositiveIntegerField(_("bandwidth (Mbit/s)"), default=0)
    channel_count = models.PositiveIntegerField(_("TV channels"), default=0)
    description = models.TextField(_("description"), blank=True)
    valid_from = models.DateField(_("on sale from"), null=True, blank=True)
    valid_until = models.DateField(_("on sale until"), null=True, blank=True)
    exclusion_group = models.CharField(_("exclusion group"), max_length=32, blank=True)
    excludes = models.ManyToManyField("self", verbose_name=_("cannot be combined with"), blank=True, symmetrical=True)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["service", "kind", "monthly_fee", "code"]

    def __str__(self) -> str:
        return self.name


class ValueAddedService(models.Model):
    """A value-added service in a tree (增值业务): groups with subscribable leaves.

    `parameters` lists what a subscriber must give, e.g.
    [{"name": "forward_to", "label": "转移号码", "kind": "phone"}].
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("group"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    service = models.CharField(_("service"), max_length=20, choices=ServiceKind.choices)
    monthly_fee = models.DecimalField(_("monthly fee"), max_digits=10, decimal_places=2, default=ZERO)
    parameters = models.JSONField(_("parameters"), default=list, blank=True)
    is_subscribable = models.BooleanField(_("subscribable"), default=True)

    class Meta:
        verbose_name = _("value-added service")
        verbose_name_plural = _("value-added services")
        ordering = ["service", "code"]

    def __str__(self) -> str:
        return self.name


class Offering(models.Model):
    """A product held on one line from a date (订购关系). Ended rows stay for history."""

    subscription = models.ForeignKey(
        "customers.Subscription", verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="offerings"
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="offerings")
    kind = models.CharField(_("kind"), max_length=16, choices=ProductKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=OfferingStatus.choices, default=OfferingStatus.ACTIVE)
    started_at = models.DateTimeField(_("started"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("offering")
        verbose_name_plural = _("offerings")
        ordering = ["kind", "-started_at"]
        indexes = [models.Index(fields=["subscription", "status"], name="offering_line_status_idx")]
        constraints = [
            # The database itself refuses a second active base package on one line.
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(kind="base", status="active"),
                name="one_active_base_package",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}: {self.product}"


class VasSubscription(models.Model):
    """A value-added service held on one line, with its parameters (e.g. call-forwarding number)."""

    subscription = models.ForeignKey(
        "customers.Subscription",
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="value_added_services",
    )
    service = models.ForeignKey(
        ValueAddedService, verbose_name=_("service"), on_delete=models.PROTECT, related_name="+"
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=OfferingStatus.choices, default=OfferingStatus.ACTIVE)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("value-added subscription")
        verbose_name_plural = _("value-added subscriptions")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "service"], condition=models.Q(status="active"), name="one_active_vas_each"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}: {self.service}"


class BillingAccount(models.Model):
    """The account a customer pays into (账户): funds, credit, and the lines billed to it.

    Funds: `available` is free money (可用余额), `frozen` is held (冻结, e.g. a deposit),
    `campaign` is gift money usable only on charges (活动款/赠款).
    """

    number = models.CharField(_("account number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="billing_accounts"
    )
    available = models.DecimalField(_("available funds"), max_digits=12, decimal_places=2, default=ZERO)
    frozen = models.DecimalField(_("frozen funds"), max_digits=12, decimal_places=2, default=ZERO)
    campaign = models.DecimalField(_("campaign funds"), max_digits=12, decimal_places=2, default=ZERO)
    credit_limit = models.DecimalField(_("credit limit"), max_digits=12, decimal_places=2, default=ZERO)
    subscriptions = models.ManyToManyField(
        "customers.Subscription", verbose_name=_("lines billed here"), blank=True, related_name="billing_accounts"
    )

    class Meta:
        verbose_name = _("billing account")
        verbose_name_plural = _("billing accounts")
        ordering = ["number"]
        permissions = [
            ("view_billing", _("See balances, bills and usage")),
            ("change_offerings", _("Change packages, add-ons and value-added services")),
        ]

    def __str__(self) -> str:
        return self.number


class Payment(models.Model):
    """Money received into an account (缴费/充值). `reference` is the payment system's id."""

    account = models.ForeignKey(
        BillingAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="payments"
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    channel = models.CharField(_("channel"), max_length=16, choices=PaymentChannel.choices)
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    paid_at = models.DateTimeField(_("paid at"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_at"]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"


class Bill(models.Model):
    """A monthly bill (月账单). Its total is the sum of its top-level items."""

    account = models.ForeignKey(
        BillingAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="bills"
    )
    period = models.DateField(_("period"), help_text=_("First day of the billed month."))
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=16, choices=BillStatus.choices, default=BillStatus.UNPAID)
    issued_on = models.DateField(_("issued"))
    due_on = models.DateField(_("due"))

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-period"]
        constraints = [models.UniqueConstraint(fields=["account", "period"], name="one_bill_per_month")]

    def __str__(self) -> str:
        return f"{self.account.number} {self.period:%Y-%m}"


class BillItem(models.Model):
    """A line of a bill, in a tree: 套餐及固定费 → 基本月租; 语音通信费 → 国内通话 ... ."""

    bill = models.ForeignKey(Bill, verbose_name=_("bill"), on_delete=models.CASCADE, related_name="items")
    parent = models.ForeignKey(
        "self", verbose_name=_("parent item"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(_("item"), max_length=100)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("bill item")
        verbose_name_plural = _("bill items")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.amount}"


class UsageRecord(models.Model):
    """One call, data session, SMS or value-added charge on a line (详单).

    `quantity` is seconds for calls, KB for data, messages for SMS, 1 for value-added.
    """

    subscription = models.ForeignKey(
        "customers.Subscription", verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="usage"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=UsageKind.choices)
    started_at = models.DateTimeField(_("time"))
    quantity = models.PositiveIntegerField(_("quantity"))
    charge = models.DecimalField(_("charge"), max_digits=10, decimal_places=2, default=ZERO)
    counterpart = models.CharField(_("other party"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["subscription", "kind", "started_at"], name="usage_line_kind_time_idx")]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.kind} {self.started_at:%Y-%m-%d %H:%M}"


class Charge(models.Model):
    """A one-off charge on an account (一次性费用), e.g. an installation or relocation fee.

    `reference` makes raising it idempotent: the same work order is never charged twice.
    """

    account = models.ForeignKey(
        BillingAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="charges"
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    description = models.CharField(_("description"), max_length=100)
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    charged_at = models.DateTimeField(_("charged at"))

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        ordering = ["-charged_at"]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"
