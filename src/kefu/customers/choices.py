from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    ENTERPRISE = "enterprise", _("Enterprise")


class Tier(models.TextChoices):
    """Customer value tier (S0 篇2): decides priority in queues and SLAs."""

    DIAMOND = "diamond", _("Diamond")
    GOLD = "gold", _("Gold")
    SILVER = "silver", _("Silver")
    STANDARD = "standard", _("Standard")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO_PERMIT = "hk_macao_permit", _("HK/Macao travel permit")
    BUSINESS_LICENSE = "business_license", _("Business licence")


class NumberKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    LANDLINE = "landline", _("Landline")


class ServiceKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile line")
    BROADBAND = "broadband", _("Broadband")
    DIGITAL_TV = "digital_tv", _("Digital TV")
    INTERACTIVE_TV = "interactive_tv", _("Interactive TV")


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting activation")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Disconnected")


class DeviceKind(models.TextChoices):
    SET_TOP_BOX = "stb", _("Set-top box")
    SMART_CARD = "smart_card", _("Smart card")
    MODEM = "modem", _("Modem / ONT")
    SIM = "sim", _("SIM card")
