from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductKind(models.TextChoices):
    BASE = "base", _("Base package")
    ADDON = "addon", _("Add-on pack")
    CAMPAIGN = "campaign", _("Marketing campaign")


class OfferingStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class BillStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")


class UsageKind(models.TextChoices):
    VOICE = "voice", _("Calls")
    DATA = "data", _("Data")
    SMS = "sms", _("SMS")
    VALUE_ADDED = "vas", _("Value-added")


class PaymentChannel(models.TextChoices):
    COUNTER = "counter", _("Business hall")
    ONLINE = "online", _("Online")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    BANK = "bank", _("Bank deduction")
    CARD = "card", _("Top-up card")
