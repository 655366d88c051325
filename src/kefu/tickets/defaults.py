"""The order types, SLA policies and calendars a new Kefu starts with (all editable in admin).

Written as plain data so the data migration and the demo seed load the same thing.
"""

from __future__ import annotations

from typing import Any

SYMPTOM: dict[str, Any] = {"name": "symptom", "label": "故障现象", "kind": "text", "required": True}
DEVICE: dict[str, Any] = {
    "name": "device",
    "label": "相关设备",
    "kind": "choice",
    "choices": ["机顶盒", "智能卡", "光猫", "路由器", "电视机", "线路", "其他"],
}
SINCE = {"name": "since", "label": "开始时间", "kind": "text"}
COMPLAINT_FIELDS: list[dict[str, Any]] = [
    {"name": "details", "label": "投诉内容", "kind": "text", "required": True},
    {"name": "promised", "label": "此前承诺", "kind": "text"},
    {"name": "expectation", "label": "客户诉求", "kind": "text"},
]
APPOINTMENT: dict[str, Any] = {"name": "appointment", "label": "预约时间", "kind": "text"}
TARGET_PACKAGE: dict[str, Any] = {"name": "target_package", "label": "目标套餐编码", "kind": "text", "required": True}

# (code, name, category, parent, priority, handled_by, payment_flow, fee, fulfilment, form_fields)
TYPES: list[tuple[str, str, str, str | None, str, str, str, str, str, list[dict[str, Any]]]] = [
    ("FAULT", "报修", "fault", None, "normal", "field", "none", "0", "none", []),
    ("FAULT_DTV", "数字电视故障", "fault", "FAULT", "normal", "field", "none", "0", "none", [SYMPTOM, DEVICE, SINCE]),
    ("FAULT_ITV", "互动电视故障", "fault", "FAULT", "normal", "field", "none", "0", "none", [SYMPTOM, DEVICE, SINCE]),
    ("FAULT_BB", "宽带故障", "fault", "FAULT", "normal", "field", "none", "0", "none", [SYMPTOM, DEVICE, SINCE]),
    ("FAULT_LINE", "线路故障", "fault", "FAULT", "high", "field", "none", "0", "none", [SYMPTOM, SINCE]),
    ("FAULT_TRUNK", "干线故障", "fault", "FAULT", "urgent", "field", "none", "0", "none", [SYMPTOM, SINCE]),
    ("FAULT_EMERGENCY", "应急抢修", "fault", "FAULT", "urgent", "field", "none", "0", "none", [SYMPTOM, SINCE]),
    ("FAULT_CHASE", "催装", "fault", "FAULT", "high", "field", "none", "0", "none", [APPOINTMENT]),
    ("COMPLAINT", "投诉", "complaint", None, "normal", "back_office", "none", "0", "none", []),
    (
        "CMP_NETWORK",
        "网络质量投诉",
        "complaint",
        "COMPLAINT",
        "high",
        "back_office",
        "none",
        "0",
        "none",
        COMPLAINT_FIELDS,
    ),
    (
        "CMP_PRODUCT",
        "产品质量投诉",
        "complaint",
        "COMPLAINT",
        "normal",
        "back_office",
        "none",
        "0",
        "none",
        COMPLAINT_FIELDS,
    ),
    (
        "CMP_SERVICE",
        "服务质量投诉",
        "complaint",
        "COMPLAINT",
        "high",
        "back_office",
        "none",
        "0",
        "none",
        COMPLAINT_FIELDS,
    ),
    (
        "CMP_BILLING",
        "计费争议投诉",
        "complaint",
        "COMPLAINT",
        "normal",
        "back_office",
        "none",
        "0",
        "none",
        COMPLAINT_FIELDS,
    ),
    ("BUSINESS", "业务受理", "business", None, "normal", "back_office", "none", "0", "none", []),
    (
        "BIZ_INSTALL",
        "新装",
        "business",
        "BUSINESS",
        "normal",
        "field",
        "pay_first",
        "100.00",
        "activate",
        [APPOINTMENT],
    ),
    ("BIZ_ACTIVATE", "开通", "business", "BUSINESS", "normal", "back_office", "none", "0", "activate", []),
    ("BIZ_SUSPEND", "报停", "business", "BUSINESS", "normal", "back_office", "none", "0", "suspend", []),
    ("BIZ_RESUME", "复通", "business", "BUSINESS", "normal", "back_office", "none", "0", "resume", []),
    ("BIZ_SIGNAL", "开信号", "business", "BUSINESS", "normal", "back_office", "none", "0", "none", []),
    ("BIZ_RELOCATE", "移机", "business", "BUSINESS", "normal", "field", "serve_first", "50.00", "none", [APPOINTMENT]),
    ("BIZ_TRANSFER", "更名过户", "business", "BUSINESS", "normal", "back_office", "none", "0", "none", []),
    ("BIZ_DISCONNECT", "拆机下网", "business", "BUSINESS", "normal", "back_office", "none", "0", "disconnect", []),
    ("BIZ_STB", "机顶盒售后", "business", "BUSINESS", "normal", "field", "none", "0", "none", [DEVICE, APPOINTMENT]),
    ("BIZ_PROGRAM", "节目订购", "business", "BUSINESS", "low", "back_office", "none", "0", "none", []),
    (
        "BIZ_PACKAGE",
        "套餐变更",
        "business",
        "BUSINESS",
        "normal",
        "back_office",
        "none",
        "0",
        "change_package",
        [TARGET_PACKAGE],
    ),
    ("SUGGESTION", "建议", "suggestion", None, "low", "back_office", "none", "0", "none", []),
    ("INQUIRY", "咨询跟进", "inquiry", None, "normal", "back_office", "none", "0", "none", []),
    ("AUDIT_REPORT", "稽查举报", "audit_report", None, "normal", "back_office", "none", "0", "none", []),
    ("CALLBACK", "回访任务", "callback", None, "normal", "back_office", "none", "0", "none", []),
]

OFFICE_WEEK = {str(day): [["08:30", "12:00"], ["13:30", "17:30"]] for day in range(1, 6)}
FIELD_WEEK = {str(day): [["08:00", "20:00"]] for day in range(1, 8)}
CALENDARS = [
    # code, name, always_open, weekly_hours, observes_public_holidays
    ("office", "办公时间（周一至周五）", False, OFFICE_WEEK, True),
    ("field", "外勤时间（每天 8:00–20:00）", False, FIELD_WEEK, False),
    ("24x7", "全天候（7×24）", True, {}, False),
]

# name, type code or None, category, priority, tier, response, resolution (working minutes), calendar
POLICIES: list[tuple[str, str | None, str, str, str, int, int, str | None]] = [
    ("默认", None, "", "", "", 480, 4800, None),
    ("报修·一般", None, "fault", "", "", 120, 960, None),
    ("报修·高", None, "fault", "high", "", 60, 480, None),
    ("报修·紧急（7×24）", None, "fault", "urgent", "", 30, 240, "24x7"),
    ("报修·钻石客户", None, "fault", "", "diamond", 30, 360, None),
    ("报修·金卡客户", None, "fault", "", "gold", 60, 480, None),
    ("投诉·一般", None, "complaint", "", "", 120, 2400, None),
    ("投诉·钻石客户", None, "complaint", "", "diamond", 60, 960, None),
    ("业务受理", None, "business", "", "", 240, 2400, None),
]


def load(order_type_model: Any, policy_model: Any, calendar_model: Any) -> None:
    """Create what is missing; never overwrite what an administrator has edited."""
    calendars = {}
    for code, name, always_open, weekly, observes in CALENDARS:
        calendars[code], _ = calendar_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "always_open": always_open,
                "weekly_hours": weekly,
                "observes_public_holidays": observes,
            },
        )
    types: dict[str, Any] = {}
    for position, (code, name, category, parent, priority, handled_by, flow, fee, fulfilment, fields) in enumerate(
        TYPES
    ):
        types[code], _ = order_type_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "category": category,
                "parent": types.get(parent) if parent else None,
                "default_priority": priority,
                "handled_by": handled_by,
                "payment_flow": flow,
                "fee": fee,
                "fulfilment": fulfilment,
                "form_fields": fields,
                "position": position,
            },
        )
    for name, type_code, category, priority, tier, response, resolution, calendar in POLICIES:
        policy_model.objects.get_or_create(
            name=name,
            defaults={
                "order_type": types.get(type_code) if type_code else None,
                "category": category,
                "priority": priority,
                "tier": tier,
                "response_minutes": response,
                "resolution_minutes": resolution,
                "calendar": calendars.get(calendar) if calendar else None,
            },
        )
