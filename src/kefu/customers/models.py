"""Customers (客户), how to reach them, where they live, and the services they hold."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.customers.choices import (
    CustomerKind,
    DeviceKind,
    IdType,
    NumberKind,
    ServiceKind,
    SubscriptionStatus,
    Tier,
)


class Customer(models.Model):
    """A person or an enterprise (个人客户 / 集团客户) that holds services with the operator."""

    number = models.CharField(_("customer number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.INDIVIDUAL)
    name = models.CharField(_("name"), max_length=100)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT_ID)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    brand = models.CharField(_("brand"), max_length=32, blank=True)
    points = models.PositiveIntegerField(_("points"), default=0)
    email = models.EmailField(_("email"), blank=True)
    service_area = models.ForeignKey(
        "accounts.ServiceArea",
        verbose_name=_("service area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    vip_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("VIP manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vip_customers",
    )
    is_blacklisted = models.BooleanField(_("blacklisted"), default=False)
    blacklist_reason = models.CharField(_("blacklist reason"), max_length=200, blank=True)
    do_not_disturb = models.BooleanField(_("do not disturb"), default=False)
    service_password = models.CharField(_("service password"), max_length=128, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["number"]
        indexes = [
            models.Index(fields=["name"], name="customer_name_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["id_number"], name="customer_id_number_idx", opclasses=["varchar_pattern_ops"]),
        ]
        permissions = [
            ("view_customer_pii", _("See full phone and ID numbers")),
            ("manage_flags", _("Set blacklist and VIP flags")),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class ContactNumber(models.Model):
    """A phone number at which the customer can be reached, stored in national digits (13812345678)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="numbers")
    number = models.CharField(_("number"), max_length=20)
    kind = models.CharField(_("kind"), max_length=16, choices=NumberKind.choices, default=NumberKind.MOBILE)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("contact number")
        verbose_name_plural = _("contact numbers")
        ordering = ["-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["customer", "number"], name="contact_number_once")]
        indexes = [
            # Exact match (caller ID) and prefix search ("138…") both use this one index;
            # the pattern opclass lets PostgreSQL use it for LIKE 'x%' in any collation.
            models.Index(fields=["number"], name="contact_number_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.number


class Address(models.Model):
    """An installation or billing address, with the service area (片区) that serves it."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="addresses"
    )
    text = models.CharField(_("address"), max_length=200)
    service_area = models.ForeignKey(
        "accounts.ServiceArea",
        verbose_name=_("service area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="addresses",
    )
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.text


class Subscription(models.Model):
    """One service the customer holds (用户/业务): a mobile line, a broadband access, a TV service."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="subscriptions"
    )
    service = models.CharField(_("service"), max_length=20, choices=ServiceKind.choices)
    identifier = models.CharField(
        _("service number"),
        max_length=40,
        unique=True,
        help_text=_("Phone number, broadband account or smart-card number."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    address = models.ForeignKey(
        Address,
        verbose_name=_("installation address"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subscriptions",
    )
    started_on = models.DateField(_("since"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["service", "identifier"]

    def __str__(self) -> str:
        return f"{self.get_service_display()} {self.identifier}"


class Device(models.Model):
    """Equipment at the customer's premises: set-top box, smart card, modem (终端)."""

    subscription = models.ForeignKey(
        Subscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="devices"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DeviceKind.choices)
    serial_number = models.CharField(_("serial number"), max_length=40, unique=True)
    model_name = models.CharField(_("model"), max_length=64, blank=True)
    installed_on = models.DateField(_("installed"), null=True, blank=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["kind", "serial_number"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial_number}"
