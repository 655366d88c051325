"""Who hears about what happens to a work order, and in which words.

Texts are registered as defaults; an administrator can override each in the admin
(Message templates) without a release.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from kefu.accounts import directory
from kefu.accounts.choices import Role
from kefu.accounts.models import ServiceArea
from kefu.messaging.models import Channel
from kefu.messaging.services import queue_message, register_default_template
from kefu.tickets.choices import Priority
from kefu.tickets.models import WorkOrder

TEMPLATES = {
    ("order_created_customer", Channel.SMS): (
        "",
        "【客服】您的{{ type }}工单{{ number }}已受理，我们会尽快处理。查询进度请回复CX{{ number }}。",
    ),
    ("order_dispatched_manager", Channel.SMS): (
        "",
        "【派单】{{ number }} {{ type }} {{ priority }}，{{ area }}，{{ address }}，处理人{{ assignee }}，"
        "时限{{ due }}。",
    ),
    ("order_assigned", Channel.IN_APP): ("新工单 {{ number }}", "{{ type }}：{{ title }}（时限 {{ due }}）"),
    ("order_urgent", Channel.IN_APP): ("紧急工单 {{ number }}", "{{ type }}：{{ title }}，{{ area }}"),
    ("order_urgent", Channel.SMS): ("", "【紧急】{{ number }} {{ type }}：{{ title }}，{{ area }}。请关注。"),
    ("order_returned", Channel.IN_APP): ("工单退回 {{ number }}", "{{ actor }} 退单：{{ reason }}"),
    ("sla_warning", Channel.IN_APP): ("即将超时 {{ number }}", "{{ type }}：{{ title }}，将于 {{ due }} 到期"),
    ("sla_overdue", Channel.IN_APP): ("已超时 {{ number }}", "{{ type }}：{{ title }}，已于 {{ due }} 超时"),
    ("sla_overdue", Channel.SMS): ("", "【超时】工单{{ number }}（{{ area }}）已于{{ due }}超时，请尽快处理。"),
    ("sla_escalated", Channel.IN_APP): ("超时升级 {{ number }}", "{{ type }}：{{ title }}，超时未处理，已升级"),
    ("order_resolved_customer", Channel.SMS): (
        "",
        "【客服】您的工单{{ number }}已处理完毕：{{ resolution }}。如有疑问请致电客服热线。",
    ),
}


def register_templates() -> None:
    for (code, channel), (subject, body) in TEMPLATES.items():
        register_default_template(code, channel, subject, body)


def order_context(order: WorkOrder, **extra: Any) -> dict[str, Any]:
    from django.utils import timezone

    due = timezone.localtime(order.resolution_due).strftime("%m-%d %H:%M") if order.resolution_due else "—"
    return {
        "number": order.number,
        "type": order.order_type.name,
        "title": order.title,
        "priority": _priority_label(order.priority),
        "area": order.service_area.name if order.service_area else "",
        "address": order.address,
        "assignee": str(order.assignee) if order.assignee else "—",
        "due": due,
        "resolution": order.resolution[:60],
        **extra,
    }


def _priority_label(value: str) -> str:
    """`get_priority_display()` without its per-call work (three notices per new order ask)."""
    try:
        return str(Priority(value).label)
    except ValueError:
        return value


def area_manager_of(area: ServiceArea | None) -> Any:
    """The nearest manager up the area tree (片区经理, else the district's, else the city's)."""
    return directory.area_manager(area.pk if area is not None else None)


def senior_staff(order: WorkOrder) -> list[Any]:
    """Who must know at once about an urgent fault: the team lead and the supervisors."""
    user_model = get_user_model()
    people = list(user_model.objects.filter(groups__name=Role.SUPERVISOR, is_active=True))
    if order.team and order.team.lead and order.team.lead not in people:
        people.append(order.team.lead)
    return people


def _link(order: WorkOrder) -> str:
    """The order's desk page ("" where the desk is not installed)."""
    try:
        return reverse("desk:order_detail", args=[order.number])
    except NoReverseMatch:
        return ""


def notify_staff(order: WorkOrder, template: str, people: Iterable[Any], key: str, **extra: Any) -> None:
    context = order_context(order, **extra)
    about = ("tickets.workorder", str(order.pk))
    for person in people:
        if person is None:
            continue
        queue_message(
            channel=Channel.IN_APP,
            template_code=template,
            context=context,
            recipient_user=person,
            link=_link(order),
            about=about,
            dedupe_key=f"order:{order.pk}:{key}:inapp:{person.pk}",
        )


def sms_staff(order: WorkOrder, template: str, people: Iterable[Any], key: str, **extra: Any) -> None:
    context = order_context(order, **extra)
    for person in people:
        if person is None or not person.mobile:
            continue
        queue_message(
            channel=Channel.SMS,
            template_code=template,
            context=context,
            address=person.mobile,
            about=("tickets.workorder", str(order.pk)),
            dedupe_key=f"order:{order.pk}:{key}:sms:{person.pk}",
        )


def sms_customer(order: WorkOrder, template: str, key: str) -> None:
    if not order.contact_phone:
        return
    queue_message(
        channel=Channel.SMS,
        template_code=template,
        context=order_context(order),
        address=order.contact_phone,
        about=("tickets.workorder", str(order.pk)),
        dedupe_key=f"order:{order.pk}:{key}:customer",
    )
