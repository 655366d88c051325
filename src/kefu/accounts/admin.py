from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import AgentSkill, ServiceArea, Skill, Team, User


class AgentSkillInline(admin.TabularInline[AgentSkill, User]):
    model = AgentSkill
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    list_display = ("username", "display_name", "employee_number", "team", "is_active")
    list_filter = ("groups", "team", "is_active")
    search_fields = ("username", "display_name", "employee_number", "mobile")
    filter_horizontal = ("groups", "areas")
    inlines = [AgentSkillInline]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Kefu"), {"fields": ("display_name", "employee_number", "mobile", "team", "areas")}),
    )


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin[ServiceArea]):
    list_display = ("code", "name", "level", "parent", "manager")
    list_filter = ("level",)
    search_fields = ("code", "name")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ("code", "name", "kind", "lead")
    list_filter = ("kind",)
    filter_horizontal = ("areas",)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin[Skill]):
    list_display = ("code", "name")
