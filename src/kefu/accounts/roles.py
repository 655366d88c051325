"""What each role may do (PRODUCT §1): role → Django permissions, kept in step on every migrate.

Scope (which areas, which customers) is not a permission; it lives in the `queries` modules
(`customers_visible_to`, ...). This table only says *what kind* of thing a role may do.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from kefu.accounts.choices import Role

_VIEW_CUSTOMERS = ("customers.view_customer",)
_SERVE_CUSTOMERS = (
    "customers.view_customer",
    "customers.change_customer",
    "bss.view_billing",
    "bss.change_offerings",
)

_VIEW_ORDERS = ("tickets.view_workorder",)
_TAKE_ORDERS = (*_VIEW_ORDERS, "tickets.add_workorder", "tickets.callback_workorder")
_WORK_ORDERS = (*_VIEW_ORDERS, "tickets.work_workorder")
_ALL_ORDERS = (
    *_TAKE_ORDERS,
    "tickets.work_workorder",
    "tickets.dispatch_workorder",
    "tickets.supervise_workorder",
)

_HANDLE = ("routing.handle_contacts",)

# Staff read every published article, internal ones too; editors write, supervisors approve.
_READ_KNOWLEDGE = ("knowledge.view_article", "knowledge.view_faqentry", "knowledge.view_diagnosisguide")
_WRITE_KNOWLEDGE = (
    *_READ_KNOWLEDGE,
    "knowledge.add_article",
    "knowledge.change_article",
    "knowledge.add_faqentry",
    "knowledge.change_faqentry",
    "knowledge.add_diagnosisguide",
    "knowledge.change_diagnosisguide",
    "knowledge.view_failedsearch",
    "knowledge.change_failedsearch",
)
_APPROVE_KNOWLEDGE = (*_READ_KNOWLEDGE, "knowledge.publish_article", "knowledge.view_failedsearch")
_SUPERVISE = ("routing.handle_contacts", "routing.supervise_agents")

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.AGENT: (*_SERVE_CUSTOMERS, *_TAKE_ORDERS, *_HANDLE, *_READ_KNOWLEDGE),
    Role.TEAM_LEAD: (
        *_SERVE_CUSTOMERS,
        "customers.view_customer_pii",
        *_TAKE_ORDERS,
        "tickets.dispatch_workorder",
        "tickets.supervise_workorder",
        *_SUPERVISE,
        *_READ_KNOWLEDGE,
    ),
    Role.BACK_OFFICE: (
        *_SERVE_CUSTOMERS,
        "customers.view_customer_pii",
        *_TAKE_ORDERS,
        "tickets.work_workorder",
        *_READ_KNOWLEDGE,
    ),
    Role.DISPATCHER: (
        *_VIEW_CUSTOMERS,
        *_VIEW_ORDERS,
        "tickets.add_workorder",
        "tickets.dispatch_workorder",
        *_READ_KNOWLEDGE,
    ),
    Role.AREA_MANAGER: (*_VIEW_CUSTOMERS, *_WORK_ORDERS, "tickets.dispatch_workorder", *_READ_KNOWLEDGE),
    Role.FIELD_ENGINEER: (*_VIEW_CUSTOMERS, *_WORK_ORDERS, *_READ_KNOWLEDGE),
    Role.QA_INSPECTOR: (*_VIEW_CUSTOMERS, *_VIEW_ORDERS, *_READ_KNOWLEDGE),
    Role.KNOWLEDGE_EDITOR: _WRITE_KNOWLEDGE,
    Role.SUPERVISOR: (
        *_SERVE_CUSTOMERS,
        "customers.view_customer_pii",
        "customers.manage_flags",
        "core.view_auditentry",
        *_ALL_ORDERS,
        *_SUPERVISE,
        *_APPROVE_KNOWLEDGE,
    ),
    Role.ADMINISTRATOR: (
        *_SERVE_CUSTOMERS,
        "customers.view_customer_pii",
        "customers.manage_flags",
        "core.view_auditentry",
        *_ALL_ORDERS,
        *_READ_KNOWLEDGE,
        "knowledge.view_category",
        "knowledge.add_category",
        "knowledge.change_category",
        "tickets.view_ordertype",
        "tickets.add_ordertype",
        "tickets.change_ordertype",
        "tickets.view_slapolicy",
        "tickets.add_slapolicy",
        "tickets.change_slapolicy",
        "core.view_businesscalendar",
        "core.add_businesscalendar",
        "core.change_businesscalendar",
        "core.view_calendarday",
        "core.add_calendarday",
        "core.change_calendarday",
        *_SUPERVISE,
        "messaging.view_messagetemplate",
        "messaging.change_messagetemplate",
        "messaging.view_channelaccount",
        "messaging.add_channelaccount",
        "messaging.change_channelaccount",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_team",
        "accounts.add_team",
        "accounts.change_team",
        "accounts.view_servicearea",
        "accounts.add_servicearea",
        "accounts.change_servicearea",
        "accounts.view_skill",
        "accounts.add_skill",
        "accounts.change_skill",
        "bss.view_product",
        "bss.add_product",
        "bss.change_product",
    ),
}

# Roles whose scope is limited to the service areas they are assigned (分级别分工位).
AREA_SCOPED_ROLES = frozenset({Role.AREA_MANAGER, Role.FIELD_ENGINEER})


def _permissions(codes: tuple[str, ...]) -> list[Permission]:
    query = Q()
    for code in codes:
        app_label, codename = code.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(query)) if codes else []
    missing = set(codes) - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise LookupError(f"role table names unknown permissions: {sorted(missing)}")
    return found


def sync_roles() -> None:
    """Create the role groups and give each exactly the permissions of the table."""
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=str(role))
        group.permissions.set(_permissions(codes))


def sync_roles_after_migrate(sender: Any, **kwargs: Any) -> None:
    sync_roles()
