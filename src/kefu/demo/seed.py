"""The demo operator (`kefu seed`): areas, staff, catalog and believable customers.

Everything is repeatable: reference data is written by natural key (area code, user name,
product code ...), and each customer is generated from its own sequence number with a
random stream seeded from SEED, so customer KH000000042 is the same person whether it was
created in a run of 40+20 or of 60. A run only creates the customers KH000000001..N that
are missing, so running it again creates nothing and a larger `--customers` adds the rest.

`lean=True` writes only customers, contact numbers and addresses (for the search
benchmark with a million customers); on PostgreSQL those go in with COPY.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.utils import timezone
from faker import Faker
from faker.providers.company.zh_CN import Provider as ChineseCompanies
from faker.providers.person.zh_CN import Provider as ChinesePeople
from faker.providers.ssn.zh_CN import Provider as ChineseIds

from kefu.accounts.choices import AreaLevel, Role, TeamKind
from kefu.accounts.models import AgentSkill, ServiceArea, Skill, Team, User
from kefu.accounts.roles import sync_roles
from kefu.bss.choices import BillStatus, OfferingStatus, PaymentChannel, ProductKind, UsageKind
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
from kefu.customers.choices import (
    CustomerKind,
    DeviceKind,
    IdType,
    NumberKind,
    ServiceKind,
    SubscriptionStatus,
    Tier,
)
from kefu.customers.models import Address, ContactNumber, Customer, Device, Subscription

DEMO_PASSWORD = "Kefu!2026demo"  # noqa: S105 - the published demo password (README "Demo logins")
SEED = 2026
DEFAULT_CUSTOMERS = 5_000
BATCH_FULL = 500
BATCH_LEAN = 20_000
BILL_MONTHS = 6
USAGE_MONTHS = 3  # this month so far and the two before

Progress = Callable[[str], None]

# --- Geography: city → district → service area (片区) with the streets it covers -------------
_Area = tuple[str, tuple[str, ...]]  # name, streets
_District = tuple[str, str, str, tuple[_Area, ...]]  # code, name, ID-card area code, areas
_City = tuple[str, str, str, str, tuple[_District, ...]]  # code, name, in addresses, phone area code, districts
_GEOGRAPHY: tuple[_City, ...] = (
    ("NJ", "南京", "南京市", "025", (
        ("XW", "玄武区", "320102", (
            ("梅园新村", ("长江路", "汉府街", "竹桥")),
            ("玄武湖", ("龙蟠路", "北京东路", "台城路")),
            ("孝陵卫", ("中山门大街", "孝陵卫街", "钟灵街")),
            ("锁金村", ("锁金村路", "板仓街", "蒋王庙街")),
            ("红山", ("红山路", "和燕路", "北苑路")),
        )),
        ("QH", "秦淮区", "320104", (
            ("夫子庙", ("贡院街", "瞻园路", "平江府路")),
            ("中华门", ("中华路", "长干街", "集庆路")),
            ("光华路", ("光华路", "石门坎", "大光路")),
            ("月牙湖", ("苜蓿园大街", "后标营路", "友谊河路")),
            ("红花", ("卡子门大街", "大明路", "应天大街")),
        )),
        ("GL", "鼓楼区", "320106", (
            ("湖南路", ("湖南路", "马台街", "湖北路")),
            ("宁海路", ("宁海路", "北京西路", "颐和路")),
            ("华侨路", ("华侨路", "广州路", "上海路")),
            ("江东", ("江东北路", "草场门大街", "凤凰西街")),
            ("挹江门", ("中山北路", "热河路", "建宁路")),
        )),
    )),
    ("SZ", "苏州", "苏州市", "0512", (
        ("GS", "姑苏区", "320508", (
            ("观前", ("观前街", "临顿路", "人民路")),
            ("平江", ("平江路", "白塔东路", "干将东路")),
            ("石路", ("石路", "广济南路", "金门路")),
            ("胥江", ("胥江路", "三香路", "盘胥路")),
            ("葑门", ("葑门路", "十全街", "凤凰街")),
        )),
        ("WZ", "吴中区", "320506", (
            ("长桥", ("宝带西路", "东吴北路", "吴中西路")),
            ("木渎", ("金山路", "中山东路", "珠江南路")),
            ("甪直", ("甫澄路", "晓市路", "鸭池路")),
            ("郭巷", ("郭巷街", "东方大道", "尹山湖路")),
            ("越溪", ("吴中大道", "苏旺路", "旺山路")),
        )),
        ("HQ", "虎丘区", "320505", (
            ("狮山", ("狮山路", "玉山路", "长江路")),
            ("枫桥", ("枫桥路", "何山路", "塔园路")),
            ("浒墅关", ("浒杨路", "阳山环路", "青花路")),
            ("通安", ("通安路", "华通路", "真山路")),
            ("东渚", ("东渚街", "龙景路", "华山路")),
        )),
    )),
)  # fmt: skip
_COMMUNITIES = (
    "阳光新村", "金色家园", "翠竹园", "幸福里", "锦绣花苑", "御景湾", "东方名苑", "香樟园", "紫金华府",
    "梧桐公寓", "和平小区", "新城花园", "春江花月", "朗诗国际", "银河湾", "书香门第", "颐和家园", "东方之门",
)  # fmt: skip


@dataclass(frozen=True)
class AreaInfo:
    id: int
    code: str
    city_code: str
    city_text: str
    district: str
    district_id_code: str
    phone_area: str
    streets: tuple[str, ...]


def seed_areas() -> list[AreaInfo]:
    """Cities, districts and service areas, by code."""
    result = []
    for city_code, city_name, city_text, phone_area, districts in _GEOGRAPHY:
        city = _upsert_area(city_code, city_name, AreaLevel.CITY, None)
        for district_code, district_name, id_code, areas in districts:
            district = _upsert_area(f"{city_code}-{district_code}", district_name, AreaLevel.DISTRICT, city)
            for index, (area_name, streets) in enumerate(areas, start=1):
                area = _upsert_area(f"{district.code}-{index:02d}", f"{area_name}片区", AreaLevel.AREA, district)
                result.append(
                    AreaInfo(area.pk, area.code, city_code, city_text, district_name, id_code, phone_area, streets)
                )
    return result


def _upsert_area(code: str, name: str, level: str, parent: ServiceArea | None) -> ServiceArea:
    area = ServiceArea.objects.filter(code=code).first() or ServiceArea(code=code)
    if area.pk is None or (area.name, area.level, area.parent_id) != (name, level, parent and parent.pk):
        area.name, area.level, area.parent = name, level, parent
        area.save()
    return area


# --- Staff -------------------------------------------------------------------------------------
_TEAMS = (
    # code, name, kind, areas served (codes)
    ("HOT1", "南京热线一组", TeamKind.CALL_CENTER, ("NJ",)),
    ("HOT2", "苏州热线组", TeamKind.CALL_CENTER, ("SZ",)),
    ("HOT3", "宽带电视专席组", TeamKind.CALL_CENTER, ("NJ", "SZ")),
    ("BO1", "后台处理组", TeamKind.BACK_OFFICE, ("NJ", "SZ")),
    ("DSP", "派单中心", TeamKind.BACK_OFFICE, ("NJ", "SZ")),
    ("QA1", "质检组", TeamKind.QUALITY, ("NJ", "SZ")),
    *(
        (f"FLD-{district}", f"{name}装维班", TeamKind.FIELD, (f"{city}-{district}",))
        for city, _, _, _, districts in _GEOGRAPHY
        for district, name, _, _ in districts
    ),
)
_SKILLS = (
    ("mobile", "移动业务"), ("broadband", "宽带业务"), ("digital_tv", "数字电视"),
    ("interactive_tv", "互动电视"), ("billing", "账务与缴费"), ("complaint", "投诉处理"),
    ("vip", "VIP客户服务"), ("english", "英语服务"), ("webchat", "在线客服"), ("email", "邮件受理"),
)  # fmt: skip
_TEAM_SKILLS = {"HOT1": ("mobile", "billing"), "HOT2": ("mobile", "billing"), "HOT3": ("broadband", "digital_tv")}


@dataclass(frozen=True)
class StaffPlan:
    username: str
    role: str
    team: str | None = None
    areas: tuple[str, ...] = ()
    is_staff: bool = False


def staff_plan() -> list[StaffPlan]:
    """The 60 demo staff: fixed logins (agent, lead, ...) and numbered colleagues (agent01 ...)."""
    hotlines = ("HOT1", "HOT2", "HOT3")
    plan = [StaffPlan("agent", Role.AGENT, "HOT1")]
    plan += [StaffPlan(f"agent{i:02d}", Role.AGENT, hotlines[i % 3]) for i in range(1, 28)]
    plan += [
        StaffPlan(name, Role.TEAM_LEAD, team) for name, team in zip(("lead", "lead01", "lead02"), hotlines, strict=True)
    ]
    plan += [
        StaffPlan(n, Role.BACK_OFFICE, "BO1") for n in ("backoffice", "backoffice01", "backoffice02", "backoffice03")
    ]
    plan += [StaffPlan(n, Role.DISPATCHER, "DSP") for n in ("dispatcher", "dispatcher01")]
    # One area manager per district; `manager` has 鼓楼区. Engineers per district: areas split among them.
    districts = [f"{c}-{d}" for c, _, _, _, ds in _GEOGRAPHY for d, _, _, _ in ds]
    managers = ["manager01", "manager02", "manager", "manager03", "manager04", "manager05"]
    engineers = {"NJ-XW": 2, "NJ-QH": 2, "NJ-GL": 1, "SZ-GS": 2, "SZ-WZ": 1, "SZ-HQ": 1}
    number = 0
    for district, manager in zip(districts, managers, strict=True):
        plan.append(StaffPlan(manager, Role.AREA_MANAGER, f"FLD-{district[3:]}", (district,)))
        areas = [f"{district}-{i:02d}" for i in range(1, 6)]
        if district == "NJ-GL":  # `engineer` works 鼓楼 area 01 only
            plan.append(StaffPlan("engineer", Role.FIELD_ENGINEER, "FLD-GL", (areas.pop(0),)))
        crew = engineers[district]
        for k in range(crew):
            number += 1
            plan.append(
                StaffPlan(f"engineer{number:02d}", Role.FIELD_ENGINEER, f"FLD-{district[3:]}", tuple(areas[k::crew]))
            )
    plan += [StaffPlan(n, Role.QA_INSPECTOR, "QA1") for n in ("qa", "qa01")]
    plan += [StaffPlan(n, Role.KNOWLEDGE_EDITOR) for n in ("editor", "editor01")]
    plan += [StaffPlan(n, Role.SUPERVISOR) for n in ("supervisor", "supervisor01")]
    plan.append(StaffPlan("admin", Role.ADMINISTRATOR, is_staff=True))
    return plan


_TEAM_LEADS = {
    "HOT1": "lead",
    "HOT2": "lead01",
    "HOT3": "lead02",
    "BO1": "backoffice",
    "DSP": "dispatcher",
    "QA1": "qa",
}


def seed_staff(fake: Faker) -> dict[str, User]:
    """Teams, skills and the 60 staff with their roles, teams, areas and skills."""
    if Group.objects.filter(name__in=Role.values).count() < len(Role.values):
        sync_roles()  # migrate creates the role groups; this keeps the seed safe on its own
    areas = {a.code: a for a in ServiceArea.objects.all()}
    teams = {}
    for code, name, kind, served in _TEAMS:
        team, _ = Team.objects.update_or_create(code=code, defaults={"name": name, "kind": kind})
        team.areas.set([areas[c] for c in served])
        teams[code] = team
    skills = {code: Skill.objects.update_or_create(code=code, defaults={"name": name})[0] for code, name in _SKILLS}
    groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
    existing = {u.username: u for u in User.objects.filter(username__in=[p.username for p in staff_plan()])}
    password_hash = make_password(DEMO_PASSWORD) if len(existing) < len(staff_plan()) else ""  # argon2 is slow: once
    levels: dict[tuple[int, int], int] = {}
    users: dict[str, User] = {}
    rng = random.Random(SEED)
    for index, plan in enumerate(staff_plan()):
        display_name = fake.name()  # drawn for everyone, so each user keeps the same name across runs
        user = existing.get(plan.username) or User(username=plan.username, password=password_hash)
        wanted = {
            "display_name": user.display_name or display_name, "employee_number": f"GH{10001 + index}",
            "mobile": f"1390250{index + 1:04d}", "team_id": teams[plan.team].pk if plan.team else None,
            "is_staff": plan.is_staff, "is_superuser": False,
        }  # fmt: skip
        if user.pk is None or any(getattr(user, k) != v for k, v in wanted.items()):
            for key, value in wanted.items():
                setattr(user, key, value)
            user.save()
        user.groups.set([groups[plan.role]])
        user.areas.set([areas[c] for c in plan.areas])
        users[plan.username] = user
        if plan.role in (Role.AGENT, Role.TEAM_LEAD) and plan.team:
            own = _TEAM_SKILLS[plan.team]
            extra = rng.sample([c for c, _ in _SKILLS if c not in own], k=rng.randint(1, 3))
            for code in (*own, *extra):
                level = 5 if plan.role == Role.TEAM_LEAD else (rng.randint(3, 5) if code in own else rng.randint(1, 3))
                levels[(user.pk, skills[code].pk)] = level
    have = {(s.agent_id, s.skill_id): s for s in AgentSkill.objects.filter(agent__in=users.values())}
    AgentSkill.objects.bulk_create(
        [AgentSkill(agent_id=a, skill_id=s, level=level) for (a, s), level in levels.items() if (a, s) not in have]
    )
    changed = [have[key] for key, level in levels.items() if key in have and have[key].level != level]
    for skill in changed:
        skill.level = levels[(skill.agent_id, skill.skill_id)]
    AgentSkill.objects.bulk_update(changed, ["level"])
    for code, username in _TEAM_LEADS.items():
        Team.objects.filter(code=code).update(lead=users[username])
    for plan in staff_plan():
        if plan.role == Role.AREA_MANAGER:
            district = plan.areas[0]
            Team.objects.filter(code=f"FLD-{district[3:]}").update(lead=users[plan.username])
            ServiceArea.objects.filter(path__startswith=areas[district].path).update(manager=users[plan.username])
    return users


# --- Catalog -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProductPlan:
    code: str
    name: str
    kind: str
    service: str
    fee: str
    voice: int = 0
    data_gb: int = 0
    sms: int = 0
    mbps: int = 0
    channels: int = 0
    description: str = ""
    group: str = ""
    on_sale: bool = True


_B, _A, _C = ProductKind.BASE, ProductKind.ADDON, ProductKind.CAMPAIGN
_MOB, _BB, _TV, _ITV = ServiceKind.MOBILE, ServiceKind.BROADBAND, ServiceKind.DIGITAL_TV, ServiceKind.INTERACTIVE_TV
_PRODUCTS = (
    ProductPlan("MOB-18", "神州行经典套餐18元", _B, _MOB, "18", 30, 1, 0, description="老套餐，已停售",
                on_sale=False),
    ProductPlan("MOB-58", "畅享套餐58元", _B, _MOB, "58", 100, 10, 0, description="通话100分钟，流量10GB"),
    ProductPlan("MOB-88", "畅享套餐88元", _B, _MOB, "88", 200, 20, 50, description="通话200分钟，流量20GB，短信50条"),
    ProductPlan("MOB-128", "畅享套餐128元", _B, _MOB, "128", 500, 40, 100, description="通话500分钟，流量40GB"),
    ProductPlan("MOB-188", "畅享套餐188元", _B, _MOB, "188", 1000, 80, 200, description="通话1000分钟，流量80GB"),
    ProductPlan("DATA-10G", "10GB流量月包", _A, _MOB, "30", data_gb=10, description="同类流量月包只能订一个",
                group="data_month"),
    ProductPlan("DATA-20G", "20GB流量月包", _A, _MOB, "50", data_gb=20, description="同类流量月包只能订一个",
                group="data_month"),
    ProductPlan("DATA-NIGHT", "夜间流量包20GB", _A, _MOB, "10", data_gb=20, description="23:00-7:00可用"),
    ProductPlan("VOICE-100", "100分钟语音包", _A, _MOB, "10", voice=100, group="voice_month"),
    ProductPlan("VOICE-300", "300分钟语音包", _A, _MOB, "25", voice=300, group="voice_month"),
    ProductPlan("SMS-100", "100条短信包", _A, _MOB, "5", sms=100),
    ProductPlan("CMP-NEWYEAR", "新春流量狂欢", _C, _MOB, "0", data_gb=20, description="春节每月加赠20GB",
                on_sale=False),
    ProductPlan("CMP-PREPAY", "预存话费送流量", _C, _MOB, "0", data_gb=5, description="预存200元，每月加赠5GB"),
    ProductPlan("CMP-5GTRIAL", "5G升级尝鲜", _C, _MOB, "0", voice=100, data_gb=10,
                description="不可与预存话费送流量同时参加"),
    ProductPlan("CMP-SUMMER", "暑期青春流量", _C, _MOB, "0", data_gb=30, description="即将上线"),
    ProductPlan("BB-100M", "家庭宽带100M", _B, _BB, "50", mbps=100),
    ProductPlan("BB-300M", "家庭宽带300M", _B, _BB, "80", mbps=300),
    ProductPlan("BB-1000M", "千兆宽带1000M", _B, _BB, "120", mbps=1000),
    ProductPlan("TV-BASIC", "数字电视基本包", _B, _TV, "26", channels=120, description="基本收视维护费"),
    ProductPlan("TV-MOVIE", "影视包", _A, _TV, "30", channels=12),
    ProductPlan("TV-KIDS", "少儿包", _A, _TV, "20", channels=8),
    ProductPlan("TV-SPORTS", "体育包", _A, _TV, "30", channels=6),
    ProductPlan("ITV-BASIC", "互动电视基础包", _B, _ITV, "20", channels=150, description="含回看、点播"),
    ProductPlan("ITV-VIP", "点播会员包", _A, _ITV, "15"),
)  # fmt: skip
_EXCLUDES = (("CMP-PREPAY", "CMP-5GTRIAL"),)

# (code, name, parent, service, fee, parameters); parameters None: a group one cannot subscribe to.
_VAS: tuple[tuple[str, str, str | None, str, str, list[dict[str, str]] | None], ...] = (
    ("VAS-CALL", "通话管理", None, _MOB, "0", None),
    ("VAS-CLIP", "来电显示", "VAS-CALL", _MOB, "5", []),
    ("VAS-CFU", "呼叫转移", "VAS-CALL", _MOB, "0", [{"name": "forward_to", "label": "转移号码", "kind": "phone"}]),
    ("VAS-CW", "呼叫等待", "VAS-CALL", _MOB, "0", []),
    ("VAS-FAMILY", "亲情号码", "VAS-CALL", _MOB, "10", [
        {"name": "family_1", "label": "亲情号码1", "kind": "phone"},
        {"name": "family_2", "label": "亲情号码2", "kind": "phone"},
    ]),
    ("VAS-MSG", "消息与铃音", None, _MOB, "0", None),
    ("VAS-RBT", "彩铃", "VAS-MSG", _MOB, "5", [{"name": "ring_tone", "label": "铃音编号", "kind": "text"}]),
    ("VAS-VMAIL", "语音信箱", "VAS-MSG", _MOB, "3", []),
    ("VAS-MISSED", "来电提醒", "VAS-MSG", _MOB, "2", []),
    ("VAS-SAFE", "安全服务", None, _MOB, "0", None),
    ("VAS-ANTISPAM", "防骚扰拦截", "VAS-SAFE", _MOB, "0", []),
    ("VAS-TV", "电视增值业务", None, _TV, "0", None),
    ("VAS-TV-REPLAY", "时移回看", "VAS-TV", _TV, "10", []),
    ("VAS-TV-PVR", "节目录制", "VAS-TV", _TV, "5", []),
)  # fmt: skip


def _month(day: dt.date, months: int) -> dt.date:
    """First day of the month `months` after (negative: before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def campaign_windows(today: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    """One campaign over, two running, one not started yet — relative to today."""
    return {
        "CMP-NEWYEAR": (dt.date(today.year - 1, 1, 15), dt.date(today.year - 1, 2, 28)),
        "CMP-PREPAY": (_month(today, -3), _month(today, 7) - dt.timedelta(days=1)),
        "CMP-5GTRIAL": (_month(today, -2), _month(today, 4) - dt.timedelta(days=1)),
        "CMP-SUMMER": (_month(today, 2), _month(today, 5) - dt.timedelta(days=1)),
    }


def seed_catalog(today: dt.date) -> tuple[dict[str, Product], dict[str, ValueAddedService]]:
    windows = campaign_windows(today)
    products = {}
    for plan in _PRODUCTS:
        valid_from, valid_until = windows.get(plan.code, (None, None))
        products[plan.code], _ = Product.objects.update_or_create(
            code=plan.code,
            defaults={
                "name": plan.name, "kind": plan.kind, "service": plan.service, "monthly_fee": Decimal(plan.fee),
                "voice_minutes": plan.voice, "data_mb": plan.data_gb * 1024, "sms_count": plan.sms,
                "bandwidth_mbps": plan.mbps, "channel_count": plan.channels, "description": plan.description,
                "valid_from": valid_from, "valid_until": valid_until, "exclusion_group": plan.group,
                "is_active": plan.on_sale,
            },
        )  # fmt: skip
    for one, other in _EXCLUDES:
        products[one].excludes.add(products[other])
    services: dict[str, ValueAddedService] = {}
    for code, name, parent, service, fee, parameters in _VAS:
        services[code], _ = ValueAddedService.objects.update_or_create(
            code=code,
            defaults={
                "name": name, "parent": services[parent] if parent else None, "service": service,
                "monthly_fee": Decimal(fee), "parameters": parameters or [], "is_subscribable": parameters is not None,
            },
        )  # fmt: skip
    return products, services


# --- Customers: pure generation from a sequence number -------------------------------------------
_OWN_PREFIXES = (  # mobile lines of ours
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159", "182", "187", "188",
    "198",
)  # fmt: skip
_OTHER_PREFIXES = ("130", "131", "132", "133", "153", "155", "156", "166", "180", "181", "185", "186", "189", "199")
_ALL_PREFIXES = _OWN_PREFIXES + _OTHER_PREFIXES
_LANDLINE = {"025": ("258", "255", "256"), "0512": ("5126", "5125", "5128")}
_ID_AREAS = [c for c in ChineseIds.area_codes if not c.endswith("00")]
_LAST_NAMES = list(ChinesePeople.last_names)
# "数字100", "MBP软件": a name with digits or Latin letters would read as an address or an account in search
_COMPANY_NAMES = [p for p in ChineseCompanies.company_prefixes if all("\u4e00" <= ch <= "\u9fff" for ch in p)]
_LAST_WEIGHTS = list(itertools.accumulate(ChinesePeople.last_names.values()))
_BLACKLIST_REASONS = ("多次恶意骚扰热线", "辱骂座席人员", "恶意欠费拒缴", "冒用他人身份办理业务")
_CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_TIER_WEIGHTS = {CustomerKind.INDIVIDUAL: (2, 7, 15, 76), CustomerKind.ENTERPRISE: (20, 50, 30, 0)}
_TIERS = (Tier.DIAMOND, Tier.GOLD, Tier.SILVER, Tier.STANDARD)
_POINTS = {
    Tier.DIAMOND: (20_000, 80_000),
    Tier.GOLD: (6_000, 25_000),
    Tier.SILVER: (2_000, 8_000),
    Tier.STANDARD: (0, 3_000),
}


def customer_number(seq: int) -> str:
    return f"KH{seq:09d}"


def _permuted(index: int, prefixes: Sequence[str]) -> str:
    """A unique mobile number for each index: an affine bijection of 0..len(prefixes)*10^8."""
    space = len(prefixes) * 10**8
    value = (index * 1_234_567_891 + 77_777_777) % space  # multiplier coprime to 2, 3, 5 and 17
    return f"{prefixes[value // 10**8]}{value % 10**8:08d}"


def own_line_number(seq: int, slot: int) -> str:
    """The number of a mobile line of ours (slot 0 or 1 of customer `seq`)."""
    return _permuted(seq * 2 + slot, _OWN_PREFIXES)


def resident_id(rng: random.Random, area_code: str, born: dt.date, male: bool) -> str:
    """An 18-character resident ID (GB 11643) with a correct check character."""
    body = f"{area_code}{born:%Y%m%d}{rng.randrange(100):02d}{rng.randrange(0, 10, 2) + (1 if male else 0)}"
    return body + id_check_character(body)


def id_check_character(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _credit_code(rng: random.Random, area_code: str) -> str:
    """A unified social credit code (统一社会信用代码, GB 32100) with its check character."""
    body = "91" + area_code + "".join(rng.choice(_CREDIT_CODE_CHARS[:10] + "MA") for _ in range(9))
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(_CREDIT_CODE_CHARS.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + _CREDIT_CODE_CHARS[(31 - total % 31) % 31]


@dataclass
class CustomerPlan:
    """Everything about one customer that the lean seed writes, plus what services they hold."""

    seq: int
    kind: str
    name: str
    id_type: str
    id_number: str
    tier: str
    brand: str
    points: int
    email: str
    area: AreaInfo
    blacklist_reason: str
    do_not_disturb: bool
    vip_manager: int | None
    numbers: list[tuple[str, str]]  # (national digits, kind); the first is primary
    addresses: list[tuple[str, AreaInfo]]  # the first is primary
    mobile_lines: int
    broadband: bool
    digital_tv: bool
    interactive_tv: bool


class CustomerGenerator:
    """Makes customer `seq` the same way every time, from a stream seeded with (SEED, seq)."""

    def __init__(self, areas: Sequence[AreaInfo], vip_managers: Sequence[int], fake: Faker) -> None:
        self.areas = list(areas)
        self.area_weights = list(itertools.accumulate(6 if a.city_code == "NJ" else 4 for a in areas))
        self.vip_managers = list(vip_managers)
        self.rng = random.Random()
        self.fake = fake

    def _address(self, area: AreaInfo) -> str:
        draw = self.rng.random  # int(draw() * n) rather than randint: a million addresses add up
        street = area.streets[int(draw() * len(area.streets))]
        community = _COMMUNITIES[int(draw() * len(_COMMUNITIES))]
        return (
            f"江苏省{area.city_text}{area.district}{street}{1 + int(draw() * 400)}号{community}"
            f"{1 + int(draw() * 30)}栋{1 + int(draw() * 4)}单元{1 + int(draw() * 28)}{1 + int(draw() * 4):02d}室"
        )

    def _faker(self, rng: random.Random) -> Faker:
        """Faker, reseeded from the customer's own stream (so only the customer's seq decides)."""
        self.fake.seed_instance(rng.getrandbits(64))
        return self.fake

    def customer(self, seq: int) -> CustomerPlan:
        r = self.rng
        r.seed(SEED * 10**10 + seq)
        area = r.choices(self.areas, cum_weights=self.area_weights)[0]
        enterprise = r.random() < 0.03
        kind = CustomerKind.ENTERPRISE if enterprise else CustomerKind.INDIVIDUAL
        tier = r.choices(_TIERS, weights=_TIER_WEIGHTS[kind])[0]
        if enterprise:
            trade = r.choice(("科技", "贸易", "物流", "餐饮", "建设"))
            name = f"{area.city_text[:-1]}{r.choice(_COMPANY_NAMES)}{trade}有限公司"
            id_type, id_number, age = IdType.BUSINESS_LICENSE, _credit_code(r, area.district_id_code), 40
            mobile_lines, broadband, digital_tv, interactive_tv = 2, True, False, False
        else:
            male = r.random() < 0.5
            given = r.choice(ChinesePeople.first_names_male if male else ChinesePeople.first_names_female)
            name = r.choices(_LAST_NAMES, cum_weights=_LAST_WEIGHTS)[0] + given
            age = min(85, max(18, int(r.gauss(42, 14))))
            born = dt.date(2026 - age, 1, 1) + dt.timedelta(days=r.randrange(365))
            birthplace = area.district_id_code if r.random() < 0.6 else r.choice(_ID_AREAS)
            id_type, id_number = IdType.RESIDENT_ID, resident_id(r, birthplace, born, male)
            mobile_lines = (2 if r.random() < 0.15 else 1) if r.random() < 0.85 else 0
            broadband, digital_tv = r.random() < 0.45, r.random() < 0.4
            interactive_tv = broadband and r.random() < 0.2
            if mobile_lines + broadband + digital_tv + interactive_tv > 3:  # at most three lines
                interactive_tv = False
            if mobile_lines + broadband + digital_tv > 3:
                digital_tv = False
            if mobile_lines + broadband + digital_tv == 0:
                digital_tv = True
        if mobile_lines:
            primary = own_line_number(seq, 0)
            brand = (
                "全球通" if tier in (Tier.DIAMOND, Tier.GOLD) or enterprise else ("动感地带" if age < 30 else "神州行")
            )
        else:
            primary, brand = _permuted(seq, _OTHER_PREFIXES), ""
        numbers: list[tuple[str, str]] = [(primary, NumberKind.MOBILE)]
        if r.random() < 0.1 or enterprise:  # a landline: 25 8xxxxxxx (南京) or 512 6xxxxxxx (苏州)
            numbers.append((f"{r.choice(_LANDLINE[area.phone_area])}{seq % 10**7:07d}", NumberKind.LANDLINE))
        addresses = [(self._address(area), area)]
        if r.random() < 0.12:
            other = r.choices(self.areas, cum_weights=self.area_weights)[0]
            addresses.append((self._address(other), other))
        email = ""
        if enterprise:
            email = f"service@{self._faker(r).domain_word()}.com.cn"
        elif r.random() < 0.25:
            email = (
                f"{r.randint(10**7, 3 * 10**9)}@qq.com" if r.random() < 0.6 else f"{self._faker(r).user_name()}@163.com"
            )
        blacklisted = r.random() < 0.004
        low, high = _POINTS[tier]
        return CustomerPlan(
            seq=seq, kind=kind, name=name, id_type=id_type, id_number=id_number, tier=tier, brand=brand,
            points=r.randint(low, high), email=email, area=area,
            blacklist_reason=r.choice(_BLACKLIST_REASONS) if blacklisted else "",
            do_not_disturb=r.random() < 0.04,
            vip_manager=r.choice(self.vip_managers) if tier == Tier.DIAMOND and self.vip_managers else None,
            numbers=numbers, addresses=addresses, mobile_lines=mobile_lines, broadband=broadband,
            digital_tv=digital_tv, interactive_tv=interactive_tv,
        )  # fmt: skip


# --- Writing rows fast ---------------------------------------------------------------------------
class IdSource:
    """Primary keys handed out before insert, so parents and children go in one bulk write each.

    PostgreSQL: taken from the table's own sequence (safe beside other writers). SQLite has one
    writer at a time, so the next free id is read at the start of each batch.
    """

    def __init__(self, model: type[models.Model], chunk: int = 10_000) -> None:
        self.table = model._meta.db_table
        self.chunk = chunk
        self.pool: list[int] = []
        self.next_free = 0
        self.fetch = 64
        self.on_postgresql = connection.vendor == "postgresql"

    def start_batch(self) -> None:
        if not self.on_postgresql:
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(self.table)
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - our own table name
                self.next_free = int(cursor.fetchone()[0]) + 1

    def take(self) -> int:
        if not self.on_postgresql:
            self.next_free += 1
            return self.next_free - 1
        if not self.pool:
            self.fetch = min(self.chunk, self.fetch * 4)  # small runs take few ids, big ones few round trips
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, self.fetch],
                )
                self.pool = sorted((row[0] for row in cursor.fetchall()), reverse=True)
        return self.pool.pop()


def write_rows(model: Any, columns: Sequence[str], rows: list[tuple[Any, ...]], now: dt.datetime) -> None:
    """Insert plain tuples: COPY on PostgreSQL, one prepared INSERT on SQLite.

    Model instances and bulk_create cost more than the insert itself at this volume. Columns
    the seed does not name get their field default, so a new column with a default needs no
    change here.
    """
    if not rows:
        return
    fields = {f.column: f for f in model._meta.concrete_fields}
    rest = [f for column, f in fields.items() if column not in columns and not f.primary_key]
    if rest:
        fixed = tuple(_default(f, now) for f in rest)
        columns = [*columns, *(f.column for f in rest)]
        rows = [(*row, *fixed) for row in rows]
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # SQLite: dates and times as the text Django itself stores (times naive in the connection's zone)
        zone = connection.timezone or dt.UTC
        stamps = [i for i, c in enumerate(columns) if isinstance(fields[c], models.DateTimeField)]
        days = [i for i, c in enumerate(columns) if type(fields[c]) is models.DateField]
        if stamps or days:
            rows = [_as_sqlite_text(row, stamps, days, zone) for row in rows]
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)  # noqa: S608


def _default(field: Any, now: dt.datetime) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    value = field.get_default()
    return json.dumps(value) if isinstance(field, models.JSONField) else value


def _as_sqlite_text(row: tuple[Any, ...], stamps: list[int], days: list[int], zone: dt.tzinfo) -> tuple[Any, ...]:
    values = list(row)
    for i in stamps:
        if values[i] is not None:
            values[i] = values[i].astimezone(zone).replace(tzinfo=None).isoformat(" ")
    for i in days:
        if values[i] is not None:
            values[i] = values[i].isoformat()
    return tuple(values)


_CUSTOMER_COLUMNS = (
    "id", "number", "kind", "name", "id_type", "id_number", "tier", "brand", "points", "email", "service_area_id",
    "vip_manager_id", "is_blacklisted", "blacklist_reason", "do_not_disturb",
)  # fmt: skip


class CoreWriter:
    """Customers, contact numbers and addresses — all that the lean seed writes."""

    def __init__(self, chunk: int) -> None:
        self.ids = {model: IdSource(model, chunk) for model in (Customer, ContactNumber, Address)}

    def write(self, plans: Sequence[CustomerPlan], now: dt.datetime) -> list[tuple[int, int]]:
        """Insert the batch; returns (customer id, primary address id) per plan."""
        for source in self.ids.values():
            source.start_batch()
        customer_ids, number_ids, address_ids = (self.ids[m].take for m in (Customer, ContactNumber, Address))
        customers: list[tuple[Any, ...]] = []
        numbers: list[tuple[Any, ...]] = []
        addresses: list[tuple[Any, ...]] = []
        keys: list[tuple[int, int]] = []
        for plan in plans:
            customer = customer_ids()
            customers.append((
                customer, customer_number(plan.seq), plan.kind, plan.name, plan.id_type, plan.id_number, plan.tier,
                plan.brand, plan.points, plan.email, plan.area.id, plan.vip_manager, bool(plan.blacklist_reason),
                plan.blacklist_reason, plan.do_not_disturb,
            ))  # fmt: skip
            numbers += [(number_ids(), customer, n, kind, i == 0) for i, (n, kind) in enumerate(plan.numbers)]
            first = len(addresses)
            addresses += [(address_ids(), customer, t, a.id, i == 0) for i, (t, a) in enumerate(plan.addresses)]
            keys.append((customer, addresses[first][0]))
        write_rows(Customer, _CUSTOMER_COLUMNS, customers, now)
        write_rows(ContactNumber, ("id", "customer_id", "number", "kind", "is_primary"), numbers, now)
        write_rows(Address, ("id", "customer_id", "text", "service_area_id", "is_primary"), addresses, now)
        return keys


# --- What each customer holds: lines, packages, bills, usage -----------------------------------------
@dataclass
class Line:
    id: int
    service: str
    base: Product
    addons: list[Product] = field(default_factory=list)
    paid_vas: list[ValueAddedService] = field(default_factory=list)
    voice_minutes: int = 0
    data_mb: int = 0
    sms_count: int = 0
    activity: int = 0  # 0 light, 1 medium, 2 heavy
    calls_abroad: bool = False


@dataclass
class Charges:
    """What one line ran up in one month beyond its packages, in fen (分)."""

    voice: int = 0
    abroad: int = 0
    data: int = 0
    sms: int = 0
    collected: int = 0  # 代收费: third-party content bought on the phone bill


_TABLES: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (Subscription, ("id", "customer_id", "service", "identifier", "status", "address_id", "started_on")),
    (Device, ("subscription_id", "kind", "serial_number", "model_name", "installed_on")),
    (Offering, ("subscription_id", "product_id", "kind", "status", "started_at", "ends_at", "ended_at")),
    (VasSubscription, ("subscription_id", "service_id", "parameters", "started_at")),
    (BillingAccount, ("id", "number", "customer_id", "available", "frozen", "campaign", "credit_limit")),
    (BillingAccount.subscriptions.through, ("billingaccount_id", "subscription_id")),
    (Bill, ("id", "account_id", "period", "total", "status", "issued_on", "due_on")),
    (BillItem, ("id", "bill_id", "parent_id", "name", "amount", "position")),
    (Payment, ("account_id", "amount", "channel", "reference", "paid_at")),
    (UsageRecord, ("subscription_id", "kind", "started_at", "quantity", "charge", "counterpart", "description")),
)
_BASE_WEIGHTS = {  # MOB-18, 58, 88, 128, 188
    Tier.STANDARD: (8, 45, 30, 12, 5), Tier.SILVER: (0, 25, 40, 25, 10),
    Tier.GOLD: (0, 5, 30, 40, 25), Tier.DIAMOND: (0, 0, 10, 40, 50),
}  # fmt: skip
_MOBILE_BASES = ("MOB-18", "MOB-58", "MOB-88", "MOB-128", "MOB-188")
_MOBILE_VAS = (("VAS-CLIP", 0.55), ("VAS-CW", 0.3), ("VAS-MISSED", 0.2), ("VAS-ANTISPAM", 0.25), ("VAS-CFU", 0.05),
               ("VAS-FAMILY", 0.06), ("VAS-RBT", 0.15), ("VAS-VMAIL", 0.03))  # fmt: skip
_TV_VAS = (
    ("VAS-TV-REPLAY", 0.15),
    ("VAS-TV-PVR", 0.05),
)
_TV_PACKS = (("TV-MOVIE", 0.2), ("TV-KIDS", 0.12), ("TV-SPORTS", 0.08))
_PAY_CHANNELS = (PaymentChannel.WECHAT, PaymentChannel.ALIPAY, PaymentChannel.BANK, PaymentChannel.ONLINE,
                 PaymentChannel.COUNTER, PaymentChannel.CARD)  # fmt: skip
_PAY_WEIGHTS = (35, 30, 15, 10, 7, 3)
_CALLS, _SESSIONS, _TEXTS = (3, 8, 18), (2, 5, 8), (1, 2, 4)  # per month, by activity
_DATA_RATIO = ((0.05, 0.45), (0.3, 0.9), (0.7, 1.35))  # share of the data allowance used, by activity
_SP_CONTENT = (("手机阅读包月", 300), ("视频会员包月", 1500), ("游戏道具", 600))
_FIXED_FEE: dict[str, str] = {
    _MOB: "套餐月功能费",
    _BB: "宽带月租费",
    _TV: "数字电视基本收视维护费",
    _ITV: "互动电视月功能费",
}
_DEVICES: dict[str, tuple[tuple[str, str, str], ...]] = {
    _BB: ((DeviceKind.MODEM, "ZTEG", "中兴 F7610M"), (DeviceKind.MODEM, "HWTC", "华为 HN8145X6")),
    _TV: ((DeviceKind.SET_TOP_BOX, "STB", "创维 C6100"), (DeviceKind.SET_TOP_BOX, "STB", "九洲 DVC-7058")),
    _ITV: ((DeviceKind.SET_TOP_BOX, "IPTV", "中兴 B860AV3.2"),),
}


def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def _luhn(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


class ServiceBuilder:
    """Lines, devices, packages, value-added services, the account, 6 bills and 3 months of usage."""

    def __init__(self, products: dict[str, Product], services: dict[str, ValueAddedService], now: dt.datetime) -> None:
        self.products, self.services, self.now = products, services, now
        self.today, self.zone = now.date(), now.tzinfo
        self.windows = campaign_windows(self.today)
        self.rng = random.Random()
        self.ids = {model: IdSource(model) for model in (Subscription, BillingAccount, Bill, BillItem)}
        self.periods = [_month(self.today, -k) for k in range(BILL_MONTHS, 0, -1)]
        self.usage_from = _month(self.today, 1 - USAGE_MONTHS)
        self.rows: dict[Any, list[tuple[Any, ...]]] = {}

    def start_batch(self) -> None:
        for source in self.ids.values():
            source.start_batch()
        self.rows = {model: [] for model, _ in _TABLES}

    def write(self) -> None:
        for model, columns in _TABLES:
            write_rows(model, columns, self.rows[model], self.now)

    def _at(self, day: dt.date, second: int | None = None) -> dt.datetime:
        moment = dt.datetime.combine(day, dt.time(), self.zone)
        return moment + dt.timedelta(seconds=self.rng.randrange(8 * 3600, 22 * 3600) if second is None else second)

    def _mobile(self) -> str:
        return f"{self.rng.choice(_ALL_PREFIXES)}{self.rng.randrange(10**8):08d}"

    def _phone(self) -> str:
        """Someone the customer calls or texts: mostly mobiles, some landlines dialled with the trunk 0."""
        if self.rng.random() < 0.85:
            return self._mobile()
        return f"0{self.rng.choice(('258', '255', '5126', '5125'))}{self.rng.randrange(10**7):07d}"

    def build(self, plan: CustomerPlan, customer_id: int, address_id: int) -> None:
        r = self.rng
        r.seed(SEED * 10**10 + 7 * 10**9 + plan.seq)  # its own stream: the lean seed does not draw from it
        kinds = [_MOB] * plan.mobile_lines + [_BB] * plan.broadband + [_TV] * plan.digital_tv
        lines = [self._line(plan, service, slot, customer_id, address_id)
                 for slot, service in enumerate(kinds + [_ITV] * plan.interactive_tv)]  # fmt: skip
        account = self.ids[BillingAccount].take()
        account_number = f"ZH25{plan.seq:08d}"
        self.rows[BillingAccount.subscriptions.through] += [(account, line.id) for line in lines]
        charges = {period: [self._usage(line, period) for line in lines] for period in self.periods}
        for line in lines:  # this month so far: usage only, billed next month
            self._usage(line, self.today.replace(day=1))
        unpaid = self._bills(account, account_number, lines, charges)
        limits = {Tier.DIAMOND: 100_000, Tier.GOLD: 30_000, Tier.SILVER: 10_000, Tier.STANDARD: r.choice((0, 5_000))}
        self.rows[BillingAccount].append((
            account, account_number, customer_id,
            _yuan(r.randrange(0, 2_000) if unpaid else r.randrange(1_000, 30_000)),  # little left when a bill is open
            _yuan(r.choice((10_000, 20_000, 30_000)) if r.random() < 0.1 else 0),  # deposit (押金)
            _yuan(r.randrange(1_000, 10_000) if r.random() < 0.15 else 0),  # gift money (赠款)
            _yuan(limits[Tier(plan.tier)]),
        ))  # fmt: skip

    def _line(self, plan: CustomerPlan, service: str, slot: int, customer_id: int, address_id: int) -> Line:
        r, seq, area = self.rng, plan.seq, plan.area.phone_area
        line_id = self.ids[Subscription].take()
        started = self.periods[0] - dt.timedelta(days=r.randint(30, 4_300))
        if service == _MOB:
            identifier = own_line_number(seq, slot)
        elif service == _BB:
            identifier = f"AC{area}{seq:08d}"  # broadband account, e.g. AC02500001234
        elif service == _TV:
            identifier = f"8{area[-3:]}{seq:012d}"  # smart-card number
        else:
            identifier = f"ITV{area}{seq:08d}"
        status = SubscriptionStatus.SUSPENDED if r.random() < 0.015 else SubscriptionStatus.ACTIVE
        self.rows[Subscription].append((line_id, customer_id, service, identifier, status,
                                        None if service == _MOB else address_id, started))  # fmt: skip
        devices = self.rows[Device]
        if service == _MOB:
            iccid = f"898600{seq * 2 + slot:012d}"
            devices.append(
                (line_id, DeviceKind.SIM, iccid + _luhn(iccid), r.choice(("5G USIM卡", "4G USIM卡")), started)
            )
        else:
            kind, prefix, model_name = r.choice(_DEVICES[service])
            serial = f"{prefix}{seq:08X}" if service == _BB else f"{prefix}{seq:010d}"
            devices.append((line_id, kind, serial, model_name, started))
            if service == _TV:
                devices.append((line_id, DeviceKind.SMART_CARD, identifier, "永新视博CA卡", started))
        return self._packages(plan, Line(id=line_id, service=service, base=self.products["MOB-58"]), started)

    def _offer(self, line: Line, code: str, day: dt.date, status: str = OfferingStatus.ACTIVE,
               ends: dt.datetime | None = None, ended: dt.datetime | None = None) -> Product:  # fmt: skip
        product = self.products[code]
        self.rows[Offering].append((line.id, product.pk, product.kind, status, self._at(day), ends, ended))
        return product

    def _packages(self, plan: CustomerPlan, line: Line, started: dt.date) -> Line:
        r = self.rng
        changed = started + dt.timedelta(days=r.randrange(max(1, (self.periods[0] - started).days)))
        vas: tuple[tuple[str, float], ...] = ()
        if line.service == _MOB:
            weights = (0, 0, 0, 50, 50) if plan.kind == CustomerKind.ENTERPRISE else _BASE_WEIGHTS[Tier(plan.tier)]
            code = r.choices(_MOBILE_BASES, weights=weights)[0]
            if r.random() < 0.2 and code != "MOB-18":  # changed package once; the old one stays as history
                previous = _MOBILE_BASES[_MOBILE_BASES.index(code) - 1]
                self._offer(line, previous, started, OfferingStatus.ENDED, ended=self._at(changed, 0))
                line.base = self._offer(line, code, changed)
            else:
                line.base = self._offer(line, code, started)
            picks = [
                r.choices(("DATA-10G", "DATA-20G", ""), (14, 6, 80))[0],  # one of a family at most (互斥)
                "DATA-NIGHT" if r.random() < 0.05 else "",
                r.choices(("VOICE-100", "VOICE-300", ""), (6, 2, 92))[0],
                "SMS-100" if r.random() < 0.03 else "",
            ]
            line.addons = [self._offer(line, c, changed) for c in picks if c]
            self._campaigns(line)
            vas = _MOBILE_VAS
        elif line.service == _BB:
            choices = ("BB-1000M",) if plan.kind == CustomerKind.ENTERPRISE else ("BB-100M", "BB-300M", "BB-1000M")
            line.base = self._offer(line, r.choices(choices, (4, 4, 2)[: len(choices)])[0], started)
        elif line.service == _TV:
            line.base = self._offer(line, "TV-BASIC", started)
            line.addons = [self._offer(line, c, changed) for c, share in _TV_PACKS if r.random() < share]
            vas = _TV_VAS
        else:
            line.base = self._offer(line, "ITV-BASIC", started)
            line.addons = [self._offer(line, "ITV-VIP", changed)] if r.random() < 0.25 else []
        for code, share in vas:
            if r.random() < share:
                self._vas(line, code, changed)
        held = [line.base, *line.addons]
        line.voice_minutes = sum(p.voice_minutes for p in held)
        line.data_mb, line.sms_count = sum(p.data_mb for p in held), sum(p.sms_count for p in held)
        line.activity = r.choices((0, 1, 2), (60, 30, 10))[0]
        line.calls_abroad = r.random() < 0.05
        return line

    def _campaigns(self, line: Line) -> None:
        r = self.rng
        if r.random() < 0.1:  # took part in last year's campaign, now over
            start, end = self.windows["CMP-NEWYEAR"]
            over = self._at(end, 86_399)
            self._offer(line, "CMP-NEWYEAR", start, OfferingStatus.ENDED, ends=over, ended=over)
        code = r.choices(("CMP-PREPAY", "CMP-5GTRIAL", ""), (12, 6, 82))[0]  # never both: they exclude each other
        if code:
            start, end = self.windows[code]
            joined = start + dt.timedelta(days=r.randrange(max(1, (self.today - start).days)))
            self._offer(line, code, joined, ends=self._at(end, 86_399))

    def _vas(self, line: Line, code: str, since: dt.date) -> None:
        service = self.services[code]
        parameters: dict[str, str] = {}
        if code == "VAS-CFU":
            parameters = {"forward_to": self._mobile()}
        elif code == "VAS-FAMILY":
            parameters = {"family_1": self._mobile(), "family_2": self._mobile()}
        elif code == "VAS-RBT":
            parameters = {"ring_tone": f"600{self.rng.randrange(10**6):06d}"}
        self.rows[VasSubscription].append(
            (line.id, service.pk, json.dumps(parameters, ensure_ascii=False), self._at(since))
        )
        if service.monthly_fee:
            line.paid_vas.append(service)

    def _usage(self, line: Line, period: dt.date) -> Charges:
        """The month's calls, data and texts; written as records when inside the usage window."""
        r, charges = self.rng, Charges()
        if line.service not in (_MOB, _BB):
            return charges
        start = dt.datetime.combine(period, dt.time(), self.zone)
        month_end = dt.datetime.combine(_month(period, 1), dt.time(), self.zone)
        span = (min(month_end, self.now) - start).total_seconds()
        if span <= 0:
            return charges
        share = span / (month_end - start).total_seconds()
        keep = period >= self.usage_from
        records: list[tuple[Any, ...]] = []
        add = records.append if keep else (lambda row: None)

        def moments(per_month: int, least: int = 0) -> list[dt.datetime]:
            count = max(least, round(per_month * share * r.uniform(0.6, 1.4)))
            return sorted(start + dt.timedelta(seconds=int(r.random() * span)) for _ in range(count))

        if line.service == _BB:
            for moment in moments(3):
                add((line.id, UsageKind.DATA, moment, r.randint(2, 40) * 1_048_576, _yuan(0), "", "宽带上网"))
        else:
            used = 0
            for moment in moments(_CALLS[line.activity]):
                outgoing = r.random() < 0.62
                seconds = min(3_600, max(6, int(r.lognormvariate(5.4 if line.activity == 2 else 4.6, 0.9))))
                minutes, charge, description = math.ceil(seconds / 60), 0, "主叫" if outgoing else "被叫"
                if outgoing and line.calls_abroad and r.random() < 0.15:
                    charge, description = minutes * 199, "国际及港澳台主叫"
                    charges.abroad += charge
                elif outgoing:  # 0.15 元/min beyond the package
                    charge = 15 * (max(0, used + minutes - line.voice_minutes) - max(0, used - line.voice_minutes))
                    used += minutes
                    charges.voice += charge
                add(
                    (
                        line.id,
                        UsageKind.VOICE,
                        moment,
                        seconds,
                        _yuan(charge),
                        self._phone() if keep else "",
                        description,
                    )
                )
            allowance, used = line.data_mb * 1024, 0
            sessions = moments(_SESSIONS[line.activity], least=1)
            total = allowance * r.uniform(*_DATA_RATIO[line.activity]) * share
            weights = [r.random() + 0.2 for _ in sessions]
            for moment, weight in zip(sessions, weights, strict=True):
                kb = max(1, int(total * weight / sum(weights)))
                over = max(0, used + kb - allowance) - max(0, used - allowance)
                used += kb
                charge = round(over * 300 / 1_048_576)  # 3 元/GB beyond the package
                charges.data += charge
                add((line.id, UsageKind.DATA, moment, kb, _yuan(charge), "", "国内通用流量"))
            for number, moment in enumerate(moments(_TEXTS[line.activity]), start=1):
                charge = 10 if number > line.sms_count else 0
                charges.sms += charge
                add((line.id, UsageKind.SMS, moment, 1, _yuan(charge), self._phone() if keep else "", "点对点短信"))
            if r.random() < 0.03:
                name, fen = r.choice(_SP_CONTENT)
                charges.collected += fen
                add((line.id, UsageKind.VALUE_ADDED, moments(1, least=1)[0], 1, _yuan(fen),
                     f"10658{r.randrange(10**4):04d}", f"{name}信息费"))  # fmt: skip
        if keep:
            charged = start + dt.timedelta(seconds=r.randrange(60, 3_600))
            for vas in line.paid_vas if charged < self.now else ():
                add((line.id, UsageKind.VALUE_ADDED, charged, 1, vas.monthly_fee, "", f"{vas.name}月功能费"))
            self.rows[UsageRecord] += records
        return charges

    def _bills(self, account: int, number: str, lines: list[Line], charges: dict[dt.date, list[Charges]]) -> int:
        """Six monthly bills as item trees; returns what is still unpaid, in fen."""
        r, unpaid = self.rng, 0
        fixed: dict[str, int] = {}
        extras: dict[str, int] = {}
        for line in lines:
            name = _FIXED_FEE[line.service]
            fixed[name] = fixed.get(name, 0) + int(line.base.monthly_fee * 100)
            for addon in line.addons:
                name = "叠加包月功能费" if addon.service == _MOB else "付费频道包月费"
                fixed[name] = fixed.get(name, 0) + int(addon.monthly_fee * 100)
            for vas in line.paid_vas:
                extras[f"{vas.name}功能费"] = extras.get(f"{vas.name}功能费", 0) + int(vas.monthly_fee * 100)
        for period in self.periods:
            month = charges[period]
            tree = (
                ("套餐及固定费用", list(fixed.items())),
                ("语音通信费", [("国内通话费", sum(c.voice for c in month)),
                               ("国际及港澳台通话费", sum(c.abroad for c in month))]),
                ("上网费", [("国内流量费", sum(c.data for c in month))]),
                ("短信彩信费", [("短信费", sum(c.sms for c in month))]),
                ("增值业务费", list(extras.items())),
                ("代收费", [("代收信息费", sum(c.collected for c in month))]),
            )  # fmt: skip
            bill, total = self.ids[Bill].take(), 0
            for position, (name, children) in enumerate(tree):
                children = [(n, fen) for n, fen in children if fen]
                if children:
                    parent, subtotal = self.ids[BillItem].take(), sum(fen for _, fen in children)
                    self.rows[BillItem].append((parent, bill, None, name, _yuan(subtotal), position))
                    self.rows[BillItem] += [(self.ids[BillItem].take(), bill, parent, n, _yuan(fen), k)
                                            for k, (n, fen) in enumerate(children)]  # fmt: skip
                    total += subtotal
            issued = _month(period, 1)
            due = _month(issued, 1) - dt.timedelta(days=1)  # pay by the end of the month it is issued in
            # Older bills are paid; the latest one often not yet, the one before rarely (overdue, 欠费).
            pays = {self.periods[-1]: 0.65, self.periods[-2]: 0.98}.get(period, 1.0)
            paid_at = None
            if r.random() < pays:
                opened, deadline = self._at(issued, 8 * 3600), min(self._at(due, 86_399), self.now)
                if deadline > opened:
                    paid_at = opened + dt.timedelta(seconds=r.randrange(int((deadline - opened).total_seconds())))
            if paid_at:
                status = BillStatus.PAID
                channel = r.choices(_PAY_CHANNELS, _PAY_WEIGHTS)[0]
                self.rows[Payment].append((account, _yuan(total), channel, f"PAY{number[2:]}{period:%Y%m}", paid_at))
            else:
                status = BillStatus.OVERDUE if self.today > due else BillStatus.UNPAID
                unpaid += total
            self.rows[Bill].append((bill, account, period, _yuan(total), status, issued, due))
        month_start = self._at(self.today.replace(day=1), 0)
        if r.random() < 0.15 and self.now > month_start:  # topped up this month
            moment = month_start + dt.timedelta(seconds=r.randrange(int((self.now - month_start).total_seconds())))
            channel = r.choice((PaymentChannel.WECHAT, PaymentChannel.ALIPAY))
            self.rows[Payment].append((account, _yuan(r.choice((5_000, 10_000, 20_000))), channel,
                                       f"TOP{number[2:]}{self.today:%Y%m}", moment))  # fmt: skip
        return unpaid


# --- The whole operator ----------------------------------------------------------------------------
_COUNTED: tuple[Any, ...] = (
    ServiceArea, Team, Skill, User, AgentSkill, Product, ValueAddedService, Customer, ContactNumber, Address,
    Subscription, Device, Offering, VasSubscription, BillingAccount, Bill, BillItem, Payment, UsageRecord,
)  # fmt: skip


@dataclass
class SeedSummary:
    created: dict[str, int]
    customers_total: int
    seconds: float

    def __str__(self) -> str:
        made = ", ".join(f"{count:,} {name}" for name, count in self.created.items() if count) or "nothing new"
        return f"Demo operator ready: {self.customers_total:,} customers ({self.seconds:.1f} s). Created: {made}."


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in _COUNTED}


def missing_customers(up_to: int) -> list[int]:
    """Sequence numbers 1..up_to whose customer (KH + 9 digits) does not exist yet."""
    present = Customer.objects.filter(number__startswith="KH", number__lte=customer_number(up_to))
    have = {int(n[2:]) for n in present.values_list("number", flat=True).iterator(10_000) if n[2:].isdigit()}
    return [seq for seq in range(1, up_to + 1) if seq not in have]


def seed_demo(
    customers: int = DEFAULT_CUSTOMERS, *, lean: bool = False, now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> SeedSummary:  # fmt: skip
    """Create (or complete) the demo operator. Safe to run again; see the module docstring."""
    began = time.monotonic()
    now = timezone.localtime(now)
    before = _counts()
    Faker.seed(SEED)
    fake = Faker("zh_CN")
    with transaction.atomic():
        areas = seed_areas()
        users = seed_staff(fake)
        products, services = seed_catalog(now.date())
    vip_managers = sorted(u.pk for name, u in users.items() if name.startswith("backoffice"))
    generator = CustomerGenerator(areas, vip_managers, fake)
    todo = missing_customers(customers)
    batch = BATCH_LEAN if lean else BATCH_FULL
    core = CoreWriter(chunk=batch * 2)
    builder = None if lean else ServiceBuilder(products, services, now)
    report_every = max(batch, len(todo) // 10)
    for start in range(0, len(todo), batch):
        with transaction.atomic():  # a batch of customers is there completely or not at all
            plans = [generator.customer(seq) for seq in todo[start : start + batch]]
            keys = core.write(plans, now)
            if builder is not None:
                builder.start_batch()
                for plan, (customer_id, address_id) in zip(plans, keys, strict=True):
                    builder.build(plan, customer_id, address_id)
                builder.write()
        done = min(start + batch, len(todo))
        if progress and len(todo) > batch and (done % report_every < batch or done == len(todo)):
            progress(f"  customers {done:,}/{len(todo):,} ({done / (time.monotonic() - began):,.0f}/s)")
    if connection.vendor == "postgresql" and todo:
        with connection.cursor() as cursor:  # fresh statistics, or the planner guesses on a table that grew
            for model in (Customer, ContactNumber, Address):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    after = _counts()
    return SeedSummary(
        created={name: after[name] - before[name] for name in after},
        customers_total=after["Customer"],
        seconds=time.monotonic() - began,
    )
