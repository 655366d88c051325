"""The demo operator's queues and wrap-up codes (safe to run again)."""

from __future__ import annotations

from kefu.accounts.models import Skill
from kefu.contacts.models import WrapUpCode
from kefu.routing.models import Queue

# code, name, channels, skill code, overflow to
QUEUES = (
    ("CHAT", "在线客服", ["chat", "im", "portal"], "mobile", None),
    ("VOICE", "10086热线", ["voice"], "mobile", None),
    ("BB", "宽带电视专席", ["chat", "voice"], "broadband", "CHAT"),
    ("EMAIL", "邮件受理", ["email"], "billing", None),
    ("SMS", "短信客服", ["sms"], "mobile", None),
)
WRAP_UP_CODES = (
    ("INQ-PLAN", "咨询·套餐资费", "inquiry"),
    ("INQ-BILL", "查询·话费余额", "billing"),
    ("FAULT-ORDER", "报障·已建工单", "fault"),
    ("FAULT-SOLVED", "报障·指导解决", "fault"),
    ("COMPLAINT", "投诉·已建工单", "complaint"),
    ("BIZ-DONE", "业务办理·已完成", "business"),
    ("OTHER", "其他", ""),
)


def seed_contact_center() -> int:
    """Create or update the demo queues and wrap-up codes; returns how many queues exist."""
    skills = {skill.code: skill for skill in Skill.objects.all()}
    queues: dict[str, Queue] = {}
    for code, name, channels, skill, _overflow in QUEUES:
        if skill not in skills:
            continue
        queues[code], _ = Queue.objects.update_or_create(
            code=code, defaults={"name": name, "channels": channels, "skill": skills[skill]}
        )
    for code, _name, _channels, _skill, overflow in QUEUES:
        if overflow and code in queues and overflow in queues:
            Queue.objects.filter(pk=queues[code].pk).update(overflow_queue=queues[overflow], overflow_after_seconds=120)
    for code, name, category in WRAP_UP_CODES:
        WrapUpCode.objects.update_or_create(code=code, defaults={"name": name, "category": category})
    return len(queues)
