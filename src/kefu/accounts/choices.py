from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The staff roles of PRODUCT §1. Each is a Django group of the same name."""

    AGENT = "agent", _("Agent")
    TEAM_LEAD = "team_lead", _("Team lead")
    BACK_OFFICE = "back_office", _("Back-office handler")
    DISPATCHER = "dispatcher", _("Dispatcher")
    AREA_MANAGER = "area_manager", _("Area manager")
    FIELD_ENGINEER = "field_engineer", _("Field engineer")
    QA_INSPECTOR = "qa_inspector", _("QA inspector")
    KNOWLEDGE_EDITOR = "knowledge_editor", _("Knowledge editor")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMINISTRATOR = "administrator", _("Administrator")


class AreaLevel(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    AREA = "area", _("Service area")


class TeamKind(models.TextChoices):
    CALL_CENTER = "call_center", _("Call center")
    BACK_OFFICE = "back_office", _("Back office")
    FIELD = "field", _("Field team")
    QUALITY = "quality", _("Quality")
