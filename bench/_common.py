"""Shared helpers of the benchmarks: a database of their own, fast loading, percentiles, results.

Every benchmark script starts with `setup(url)`: it creates the PostgreSQL database named in
the URL when it is missing (or drops and recreates it with `recreate=True`), points Django
at it, sets Django up and migrates. Bulk data goes in with `copy_rows` (PostgreSQL COPY;
model instances and bulk_create cost more than the insert itself at a million rows).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_SERVER = "postgres://postgres@127.0.0.1"


def default_url(name: str) -> str:
    """postgres://postgres@127.0.0.1/<name>, unless KEFU_BENCH_PG (a server URL) says otherwise."""
    return f"{os.environ.get('KEFU_BENCH_PG', PG_SERVER).rstrip('/')}/{name}"


def _admin_connect(url: str) -> Any:
    import psycopg

    parts = urlparse(url)
    return psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password,
        dbname="postgres", autocommit=True,
    )  # fmt: skip


def ensure_database(url: str, *, recreate: bool = False) -> None:
    """Create the PostgreSQL database named in the URL (drop it first when `recreate`)."""
    from psycopg import sql

    parts = urlparse(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"the benchmarks run on PostgreSQL; got {url}")
    name = parts.path.lstrip("/")
    with _admin_connect(url) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if exists and recreate:
            print(f"dropping database {name}", flush=True)
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = False
        if not exists:
            print(f"creating database {name}", flush=True)
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup(url: str, *, recreate: bool = False, redis_url: str | None = None) -> None:
    """Create/migrate the bench database and set Django up on it (in this process)."""
    ensure_database(url, recreate=recreate)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.config.settings")
    os.environ.setdefault("KEFU_DATA_DIR", "/tmp/kefu-bench")
    os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
    if redis_url is not None:
        os.environ["REDIS_URL"] = redis_url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed_operator(customers: int) -> None:
    """The demo operator (areas, teams, staff, catalog) and `customers` lean customers.

    `kefu seed --lean` creates only what is missing, so a second run is quick."""
    from django.core.management import call_command

    from kefu.customers.models import Customer

    have = Customer.objects.count()
    if have < customers:
        print(f"{have:,} customers; seeding the demo operator up to {customers:,} (lean) ...", flush=True)
    began = time.monotonic()
    call_command("seed", customers=customers, lean=True, verbosity=0)
    if have < customers:
        print(f"  seeded in {time.monotonic() - began:.0f} s", flush=True)


def copy_rows(model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows (tuples in the order of `columns`) into the model's table; returns the count.

    Columns not named get their field's default (auto_now fields: now)."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    fields = {f.column: f for f in model._meta.concrete_fields}
    rest = [f for column, f in fields.items() if column not in columns and not f.primary_key]
    fixed: tuple[Any, ...] = ()
    for field in rest:
        value: Any
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        else:
            value = field.get_default()
        if isinstance(value, dict | list):
            value = json.dumps(value)
        fixed += (value,)
    names = ", ".join(connection.ops.quote_name(c) for c in [*columns, *(f.column for f in rest)])
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row, *fixed))
            count += 1
    return count


def reserve_ids(model: Any, count: int) -> list[int]:
    """`count` ids from the table's own sequence (safe beside other writers)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def analyze(*models: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    if not samples_ms:
        return {"count": 0}
    if len(samples_ms) == 1:
        value = round(samples_ms[0], 2)
        return {"count": 1, "p50_ms": value, "p95_ms": value, "p99_ms": value, "max_ms": value, "mean_ms": value}
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {
        "count": len(samples_ms),
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(samples_ms), 2),
        "mean_ms": round(statistics.fmean(samples_ms), 2),
    }


def timing_row(name: str, row: dict[str, Any]) -> str:
    return (
        f"{name:<28}{row.get('count', 0):>8}{row.get('p50_ms', 0):>10.2f}{row.get('p95_ms', 0):>10.2f}"
        f"{row.get('p99_ms', 0):>10.2f}{row.get('max_ms', 0):>10.2f}"
    )


TIMING_HEADER = f"{'':<28}{'n':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}"


def environment() -> dict[str, Any]:
    """What the numbers depend on: the database server, the machine and how busy it was."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0]
    return {
        "database": {"vendor": connection.vendor, "server": server, "name": connection.settings_dict["NAME"]},
        "host": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
    }


def write_results(name: str, payload: dict[str, Any], output: Path | None = None) -> Path:
    output = output or RESULTS / f"{name}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {"benchmark": name, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **payload}
    output.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    shown = output.relative_to(ROOT) if output.is_relative_to(ROOT) else output
    print(f"written {shown}")
    return output


def verdict(label: str, passed: bool, detail: str) -> str:
    return f"target: {label} -> {'PASS' if passed else 'FAIL'} ({detail})"


# --- signed-in browsers without logging in: sessions made in bulk ---------------------------


def bulk_sessions(users: Sequence[Any], hours: int = 12) -> list[str]:
    """A Django session key per user (as the login view would leave), written in one INSERT."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    backend = settings.AUTHENTICATION_BACKENDS[-1]
    store = SessionStore()
    expires = timezone.now() + dt.timedelta(hours=hours)
    keys, rows = [], []
    for user in users:
        key = secrets.token_hex(16)
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: backend, HASH_SESSION_KEY: user.get_session_auth_hash()}
        keys.append(key)
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
    Session.objects.bulk_create(rows, batch_size=5_000)
    return keys


def csrf_secret() -> str:
    """A CSRF cookie value; Django also accepts the unmasked secret in the X-CSRFToken header."""
    from django.middleware.csrf import _get_new_csrf_string

    return str(_get_new_csrf_string())


# --- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_servers(count: int, env: dict[str, str], log_dir: Path) -> list[tuple[subprocess.Popen[bytes], int]]:
    """`kefu serve` (uvicorn, the real ASGI app) on `count` free ports; waits until they answer."""
    log_dir.mkdir(parents=True, exist_ok=True)
    servers = []
    for index in range(count):
        port = free_port()
        log = (log_dir / f"server-{index}.log").open("wb")
        process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "kefu"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        servers.append((process, port))
    deadline = time.monotonic() + 60
    for process, port in servers:
        while True:
            if process.poll() is not None:
                stop_servers(servers)
                raise SystemExit(f"server on port {port} exited; see {log_dir}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    stop_servers(servers)
                    raise SystemExit(f"server on port {port} did not start; see {log_dir}") from None
                time.sleep(0.2)
    return servers


def stop_servers(servers: Sequence[tuple[subprocess.Popen[bytes], int]]) -> None:
    for process, _port in servers:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process, _port in servers:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def server_cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU of processes (and their children) so far, from /proc."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        for target in [pid, *_children(pid)]:
            try:
                fields = Path(f"/proc/{target}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    result = [int(child) for child in found]
    for child in list(result):
        result += _children(child)
    return result


def database_backends(database: str) -> list[int]:
    """The PostgreSQL backends connected to the bench database, other than this process's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'",
            [database],
        )
        return [int(row[0]) for row in cursor.fetchall()]


def fail_exit(passed: bool) -> int:
    return 0 if passed else 1


def python() -> str:
    return sys.executable


# --- a million work orders ------------------------------------------------------------------------

ORDERS_DB = "kefu_bench_orders"
OPEN_STATES = ("new", "dispatched", "accepted", "in_progress", "pending", "returned")
# open orders by status (sums to 1) and finished ones
OPEN_MIX = (("new", 0.04), ("dispatched", 0.20), ("accepted", 0.16), ("in_progress", 0.35), ("pending", 0.15),
            ("returned", 0.10))  # fmt: skip
FINISHED_MIX = (("closed", 0.80), ("resolved", 0.15), ("cancelled", 0.05))
# which leaf types orders are of, by weight
TYPE_MIX = (("FAULT_DTV", 20), ("FAULT_BB", 18), ("FAULT_ITV", 8), ("FAULT_LINE", 5), ("FAULT_TRUNK", 1),
            ("FAULT_EMERGENCY", 1), ("FAULT_CHASE", 2), ("CMP_NETWORK", 3), ("CMP_PRODUCT", 2), ("CMP_SERVICE", 3),
            ("CMP_BILLING", 2), ("BIZ_INSTALL", 6), ("BIZ_ACTIVATE", 4), ("BIZ_SUSPEND", 3), ("BIZ_RESUME", 3),
            ("BIZ_RELOCATE", 3), ("BIZ_STB", 4), ("BIZ_PACKAGE", 5), ("BIZ_PROGRAM", 2), ("SUGGESTION", 1),
            ("INQUIRY", 2), ("CALLBACK", 1))  # fmt: skip
# wall-clock resolution spans (hours) per category/priority: a rough stand-in for the calendars
SPAN_HOURS = {"urgent": (2, 6), "high": (8, 30), "fault": (16, 60), "complaint": (60, 200), "business": (48, 160),
              "other": (72, 240)}  # fmt: skip
OVERDUE_SHARE = 0.2  # of the open orders
SYMPTOMS = ("无信号", "画面卡顿", "网速慢", "频繁掉线", "无法开机", "遥控失灵", "光猫红灯", "部分频道无节目")


def _weighted(rng: Any, mix: Sequence[tuple[Any, float]]) -> Any:
    total = sum(weight for _, weight in mix)
    pick = rng.random() * total
    for value, weight in mix:
        pick -= weight
        if pick <= 0:
            return value
    return mix[-1][0]


class OrderWorld:
    """What the loaded orders point at: types, policies, customers, teams and staff."""

    def __init__(self) -> None:
        from kefu.accounts.models import ServiceArea, Team, User
        from kefu.customers.models import ContactNumber, Customer
        from kefu.tickets.models import OrderType, SlaPolicy

        self.types = {t.code: t for t in OrderType.objects.all()}
        policies = {p.name: p.pk for p in SlaPolicy.objects.all()}
        self.policy = {
            ("fault", "normal"): policies.get("报修·一般"), ("fault", "high"): policies.get("报修·高"),
            ("fault", "urgent"): policies.get("报修·紧急（7×24）"), ("complaint", ""): policies.get("投诉·一般"),
            ("business", ""): policies.get("业务受理"), ("", ""): policies.get("默认"),
        }  # fmt: skip
        self.areas = {a.pk: a for a in ServiceArea.objects.all()}
        self.leaf_areas = [a.pk for a in self.areas.values() if a.level == "area"]
        self.teams = {t.code: t for t in Team.objects.all()}
        # (id, service area or None for customers not placed yet, tier)
        self.customers: list[tuple[int, int | None, str]] = list(
            Customer.objects.values_list("pk", "service_area_id", "tier")
        )
        primary = dict(ContactNumber.objects.filter(is_primary=True).values_list("customer_id", "number"))
        self.phones = primary
        staff = User.objects.prefetch_related("areas", "groups")
        self.engineers_of_area: dict[int, list[int]] = {}
        self.field_team_of_area: dict[int, int] = {}
        self.agents: list[int] = []
        self.back_office: list[int] = []
        for user in staff:
            roles = {g.name for g in user.groups.all()}
            if "agent" in roles:
                self.agents.append(user.pk)
            if "back_office" in roles:
                self.back_office.append(user.pk)
            if "field_engineer" in roles:
                for area in user.areas.all():
                    for leaf in self.leaf_areas:
                        if self.areas[leaf].path.startswith(area.path):
                            self.engineers_of_area.setdefault(leaf, []).append(user.pk)
        for team in self.teams.values():
            if team.kind == "field":
                for area in team.areas.all():
                    for leaf in self.leaf_areas:
                        if self.areas[leaf].path.startswith(area.path):
                            self.field_team_of_area[leaf] = team.pk
        self.back_office_team = self.teams["BO1"].pk if "BO1" in self.teams else None


def bulk_staff(prefix: str, count: int, role: str, team: Any = None, areas_of: Any = None) -> list[Any]:
    """`count` staff members `<prefix>0001`... with a role (group), a team and areas; made in bulk
    with an unusable password (benchmarks sign them in with sessions made by `bulk_sessions`)."""
    from django.contrib.auth.models import Group

    from kefu.accounts.models import User

    existing = {u.username: u for u in User.objects.filter(username__startswith=prefix)}
    wanted = [f"{prefix}{i:04d}" for i in range(1, count + 1)]
    new = [
        User(
            username=name,
            password="!",
            display_name=f"{prefix}{i}",
            mobile=f"1380000{i % 10000:04d}",
            team=team,
            is_on_duty=True,
        )  # fmt: skip
        for i, name in enumerate(wanted, start=1)
        if name not in existing
    ]
    if new:
        User.objects.bulk_create(new, batch_size=2_000)
        made = list(User.objects.filter(username__in=[u.username for u in new]).order_by("username"))
        group = Group.objects.get(name=role)
        User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=group.pk) for u in made])
        if areas_of is not None:
            User.areas.through.objects.bulk_create(
                [User.areas.through(user_id=u.pk, servicearea_id=areas_of(i)) for i, u in enumerate(made)]
            )
    return list(User.objects.filter(username__in=wanted).order_by("username"))


def ensure_order_staff(per_area: int = 10, back_office: int = 40) -> None:
    """Field engineers for every service area and a back office of the size a million orders need
    (the demo's nine engineers would carry 20,000 open orders each)."""
    from kefu.accounts.models import ServiceArea, Team

    teams = {t.code: t for t in Team.objects.all()}
    for area in ServiceArea.objects.filter(level="area").select_related("parent"):
        district = area.parent.code.split("-", 1)[1] if area.parent else ""
        bulk_staff(
            f"fe-{area.code}-", per_area, "field_engineer", teams.get(f"FLD-{district}"), lambda _i, a=area: a.pk
        )
    bulk_staff("bo-", back_office, "back_office", teams.get("BO1"))


def district_manager() -> Any:
    """The area manager of 鼓楼区 (`manager` in the demo), the persona of the overdue list."""
    from kefu.accounts.models import User

    return User.objects.get(username="manager")


def ensure_orders(total: int, open_orders: int, customers: int, *, seed: int = 2026) -> dict[str, int]:
    """Top the database up to `total` work orders, `open_orders` of them open, with COPY.

    Spread over two years (open ones mostly from the last ten days, a fifth of them past their
    resolution deadline), the demo's 30 service areas (by the customers'), types, statuses and
    SLA states consistent with now; one
    `created` event each. Order numbers follow the per-day sequences, which are advanced so
    orders created later through the API get fresh numbers."""
    import random

    from django.db import connection, transaction
    from django.db.models import Q
    from django.utils import timezone

    from kefu.tickets.models import OrderEvent, OrderSequence, WorkOrder

    seed_operator(customers)
    ensure_order_staff()
    have = WorkOrder.objects.count()
    have_open = WorkOrder.objects.filter(status__in=OPEN_STATES).count()
    if have >= total:
        return {"orders": have, "open": have_open, "loaded": 0}
    missing = total - have
    missing_open = min(missing, max(0, open_orders - have_open))
    print(f"{have:,} work orders ({have_open:,} open); loading {missing:,} ({missing_open:,} open) with COPY ...",
          flush=True)  # fmt: skip
    began = time.monotonic()
    world = OrderWorld()
    rng = random.Random(seed + have)
    now = timezone.now()
    zone = timezone.get_current_timezone()
    sequences = dict(OrderSequence.objects.values_list("day", "last"))
    type_mix = [(world.types[code], weight) for code, weight in TYPE_MIX if code in world.types]
    order_columns = (
        "id", "number", "order_type_id", "category", "status", "priority", "channel", "title", "description", "fields",
        "customer_id", "contact_phone", "address", "service_area_id", "team_id", "assignee_id", "created_by_id",
        "created_at", "updated_at", "dispatched_at", "responded_at", "resolved_at", "closed_at", "sla_policy_id",
        "response_due", "resolution_due", "warn_at", "next_sla_check", "paused_at", "pending_reason",
        "response_overdue_at", "sla_warned_at", "sla_overdue_at", "escalated_at", "escalation_level",
        "payment_flow", "fee", "resolution", "satisfaction", "return_count", "dispatch_count",
    )  # fmt: skip
    event_columns = ("order_id", "at", "actor_id", "actor_label", "kind", "from_status", "to_status", "reason",
                     "channel", "data")  # fmt: skip
    chunk = 100_000
    loaded = 0
    minute = dt.timedelta(minutes=1)
    while loaded < missing:
        size = min(chunk, missing - loaded)
        ids = reserve_ids(WorkOrder, size)
        plans = []
        for index in range(size):
            is_open = (loaded + index) < missing_open
            if is_open:
                age = rng.uniform(0, 10 * 86400) if rng.random() < 0.8 else rng.uniform(0, 120 * 86400)
            else:
                age = rng.uniform(86400, 730 * 86400)
            plans.append((now - dt.timedelta(seconds=age), is_open))
        plans.sort(key=lambda plan: plan[0])  # numbers in time order, as the sequences hand them out
        orders, events = [], []
        for order_id, (created, is_open) in zip(ids, plans, strict=True):
            order_type = _weighted(rng, type_mix)
            category, priority = order_type.category, order_type.default_priority
            customer_id, area_id, _tier = world.customers[rng.randrange(len(world.customers))]
            if area_id is None:
                area_id = rng.choice(world.leaf_areas)
            field = order_type.handled_by == "field"
            team_id = world.field_team_of_area.get(area_id) if field else world.back_office_team
            people = world.engineers_of_area.get(area_id, []) if field else world.back_office
            day = created.astimezone(zone).date()
            sequences[day] = sequences.get(day, 0) + 1
            number = f"GD{day:%Y%m%d}{sequences[day]:06d}"
            span_key = priority if priority in ("urgent", "high") else category
            low, high = SPAN_HOURS.get(span_key, SPAN_HOURS["other"])
            span = dt.timedelta(hours=rng.uniform(low, high))
            if is_open:  # about OVERDUE_SHARE of the open orders are past their deadline, the rest due soon
                if rng.random() < OVERDUE_SHARE:
                    span = (now - created) * rng.uniform(0.3, 0.95)
                elif created + span <= now:
                    span = now - created + dt.timedelta(hours=rng.uniform(0.5, 72))
            response_due, resolution_due, warn_at = created + span / 10, created + span, created + span * 4 / 5
            status = _weighted(rng, OPEN_MIX if is_open else FINISHED_MIX)
            assignee = rng.choice(people) if people and status not in ("new", "returned") else None
            team = team_id if status != "new" else None
            dispatched = created + dt.timedelta(minutes=rng.uniform(0.1, 30)) if status != "new" else None
            responded = None
            if status in ("accepted", "in_progress", "pending", "resolved", "closed"):
                responded = (dispatched or created) + span / 20 * rng.uniform(0.1, 3)
            resolved = closed = None
            paused = None
            pending_reason = ""
            flags: list[dt.datetime | None] = [None, None, None, None]  # response overdue, warned, overdue, escalated
            next_check = None
            satisfaction = None
            if is_open:
                if status == "pending":
                    paused = min(now, (responded or created) + dt.timedelta(hours=rng.uniform(0.5, 24)))
                    pending_reason = rng.choice(("customer", "parts", "third_party"))
                moment = paused or now
                if responded is None and response_due <= moment:
                    flags[0] = response_due + minute
                if warn_at <= moment:
                    flags[1] = warn_at + minute
                if resolution_due <= moment:
                    flags[2] = resolution_due + minute
                if resolution_due + dt.timedelta(minutes=120) <= moment:
                    flags[3] = resolution_due + dt.timedelta(minutes=121)
                if paused is None:
                    upcoming = []
                    if responded is None and flags[0] is None:
                        upcoming.append(response_due)
                    if flags[1] is None:
                        upcoming.append(warn_at)
                    if flags[2] is None:
                        upcoming.append(resolution_due)
                    elif flags[3] is None:
                        upcoming.append(resolution_due + dt.timedelta(minutes=120))
                    next_check = min(upcoming, default=None)
            elif status != "cancelled":
                resolved = (responded or created) + span * rng.uniform(0.2, 1.3)
                if status == "closed":
                    closed = resolved + dt.timedelta(hours=rng.uniform(2, 72))
                    satisfaction = rng.choices((5, 4, 3, 2, 1), (60, 25, 8, 4, 3))[0]
            policy = world.policy.get((category, priority if category == "fault" else "")) or world.policy[("", "")]
            flow, fee = order_type.payment_flow, order_type.fee
            title = f"{order_type.name}：{rng.choice(SYMPTOMS)}" if category == "fault" else order_type.name
            area = world.areas[area_id]
            last = closed or resolved or responded or dispatched or created
            orders.append((
                order_id, number, order_type.pk, category, status, priority, rng.choice(("phone", "phone", "desk")),
                title, "", "{}", customer_id, world.phones.get(customer_id, ""), f"{area.name}{rng.randint(1, 300)}号",
                area_id, team, assignee, rng.choice(world.agents) if world.agents else None,
                created, last, dispatched, responded, resolved, closed, policy,
                response_due, resolution_due, warn_at, next_check, paused, pending_reason,
                flags[0], flags[1], flags[2], flags[3], 1 if flags[3] else 0,
                flow, fee, "已处理" if resolved else "", satisfaction, 1 if status == "returned" else 0,
                1 if dispatched else 0,
            ))  # fmt: skip
            events.append((order_id, created, None, "system", "created", "", "new", "", "phone", "{}"))
        with transaction.atomic():
            copy_rows(WorkOrder, order_columns, orders)
            copy_rows(OrderEvent, event_columns, events)
        loaded += size
        rate = loaded / (time.monotonic() - began)
        print(f"  work orders {loaded:,}/{missing:,} ({rate:,.0f}/s)", flush=True)
    with transaction.atomic():
        existing = set(OrderSequence.objects.filter(day__in=list(sequences)).values_list("day", flat=True))
        OrderSequence.objects.bulk_create(
            [OrderSequence(day=day, last=count) for day, count in sequences.items() if day not in existing]
        )
        for sequence_day, count in sequences.items():
            if sequence_day in existing:
                OrderSequence.objects.filter(Q(day=sequence_day), Q(last__lt=count)).update(last=count)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tickets_workorder")
        cursor.execute("VACUUM ANALYZE tickets_orderevent")
    print(f"  loaded in {time.monotonic() - began:.0f} s", flush=True)
    return {
        "orders": WorkOrder.objects.count(),
        "open": WorkOrder.objects.filter(status__in=OPEN_STATES).count(),
        "loaded": missing,
    }
