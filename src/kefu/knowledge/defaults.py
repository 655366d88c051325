"""The category tree a new Kefu starts with (editable in admin), as plain data for the migration."""

from __future__ import annotations

from typing import Any

# (code, name, children: (code, name))
CATEGORIES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("services", "业务介绍", (
        ("services-mobile", "移动业务"),
        ("services-broadband", "宽带业务"),
        ("services-tv", "数字电视"),
        ("services-itv", "互动电视"),
        ("services-vas", "增值业务"),
    )),
    ("tariffs", "资费套餐", (
        ("tariffs-mobile", "手机套餐"),
        ("tariffs-broadband", "宽带资费"),
        ("tariffs-tv", "电视节目包"),
        ("tariffs-campaigns", "优惠活动"),
    )),
    ("processes", "业务流程", (
        ("processes-account", "开户与变更"),
        ("processes-billing", "缴费与账单"),
        ("processes-aftersales", "售后服务"),
    )),
    ("outlets", "营业网点", (
        ("outlets-nanjing", "南京营业厅"),
        ("outlets-suzhou", "苏州营业厅"),
    )),
    ("faults", "故障处理", (
        ("faults-broadband", "宽带故障"),
        ("faults-tv", "电视故障"),
        ("faults-mobile", "手机故障"),
    )),
    ("policies", "服务政策", (
        ("policies-service", "服务规范"),
        ("policies-charges", "收费政策"),
        ("policies-privacy", "实名与隐私"),
    )),
)  # fmt: skip


def load_categories(category_model: Any) -> None:
    """Create the categories that are missing; never rename what an administrator changed."""
    for position, (code, name, children) in enumerate(CATEGORIES):
        parent, _ = category_model.objects.get_or_create(code=code, defaults={"name": name, "position": position})
        for child_position, (child_code, child_name) in enumerate(children):
            category_model.objects.get_or_create(
                code=child_code, defaults={"name": child_name, "parent": parent, "position": child_position}
            )
