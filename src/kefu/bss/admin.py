"""Data maintenance for the built-in BSS: catalog, value-added services, accounts, bills."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kefu.bss.models import (
    Bill,
    BillingAccount,
    BillItem,
    Offering,
    Payment,
    Product,
    UsageRecord,
    ValueAddedService,
    VasSubscription,
)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    list_display = (
        "code",
        "name",
        "kind",
        "service",
        "monthly_fee",
        "valid_from",
        "valid_until",
        "exclusion_group",
        "is_active",
    )
    list_filter = ("kind", "service", "is_active", "exclusion_group")
    search_fields = ("code", "name")
    filter_horizontal = ("excludes",)
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "service", "monthly_fee", "description")}),
        (
            _("Allowances"),
            {
                "fields": (
                    "voice_minutes",
                    "data_mb",
                    "sms_count",
                    "bandwidth_mbps",
                    "channel_count",
                )
            },
        ),
        (_("Sale"), {"fields": ("is_active", "valid_from", "valid_until")}),
        (_("Cannot be combined"), {"fields": ("exclusion_group", "excludes")}),
    )


class ValueAddedServiceChildInline(admin.TabularInline[ValueAddedService, ValueAddedService]):
    model = ValueAddedService
    fk_name = "parent"
    fields = ("code", "name", "monthly_fee", "is_subscribable")
    extra = 0
    show_change_link = True


@admin.register(ValueAddedService)
class ValueAddedServiceAdmin(admin.ModelAdmin[ValueAddedService]):
    list_display = ("code", "name", "parent", "service", "monthly_fee", "is_subscribable")
    list_filter = ("service", "is_subscribable")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    inlines = [ValueAddedServiceChildInline]


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin[Offering]):
    list_display = ("subscription", "product", "kind", "status", "started_at", "ended_at")
    list_filter = ("kind", "status", "product__service")
    search_fields = ("subscription__identifier", "product__code", "product__name")
    list_select_related = ("subscription", "product")
    raw_id_fields = ("subscription",)
    autocomplete_fields = ("product",)
    date_hierarchy = "started_at"


@admin.register(VasSubscription)
class VasSubscriptionAdmin(admin.ModelAdmin[VasSubscription]):
    list_display = ("subscription", "service", "status", "started_at", "ended_at")
    list_filter = ("status", "service__service")
    search_fields = ("subscription__identifier", "service__code", "service__name")
    list_select_related = ("subscription", "service")
    raw_id_fields = ("subscription",)
    autocomplete_fields = ("service",)


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin[BillingAccount]):
    list_display = ("number", "customer", "available", "frozen", "campaign", "credit_limit")
    search_fields = ("number", "customer__number", "customer__name")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "subscriptions")


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin[Payment]):
    list_display = ("reference", "account", "amount", "channel", "paid_at")
    list_filter = ("channel",)
    search_fields = ("reference", "account__number")
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    date_hierarchy = "paid_at"


class BillItemInline(admin.TabularInline[BillItem, Bill]):
    model = BillItem
    fields = ("position", "name", "amount", "parent")
    raw_id_fields = ("parent",)  # a bill's items only; a dropdown would list every bill's items
    extra = 0


@admin.register(Bill)
class BillAdmin(admin.ModelAdmin[Bill]):
    list_display = ("account", "period", "total", "status", "issued_on", "due_on")
    list_filter = ("status",)
    search_fields = ("account__number", "account__customer__name")
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    date_hierarchy = "period"
    inlines = [BillItemInline]


@admin.register(UsageRecord)
class UsageRecordAdmin(admin.ModelAdmin[UsageRecord]):
    list_display = ("subscription", "kind", "started_at", "quantity", "charge", "counterpart")
    list_filter = ("kind",)
    search_fields = ("subscription__identifier", "counterpart")
    list_select_related = ("subscription",)
    raw_id_fields = ("subscription",)
    date_hierarchy = "started_at"
