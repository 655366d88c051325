"""Creating work orders through the REST API, with a million orders in the database.

    .venv/bin/python bench/orders_api.py             # 1,000,000 orders, 4 servers, 30 s of load
    .venv/bin/python bench/orders_api.py --small     # 50,000 orders, 8 s: a quick smoke run

Uses (creates, migrates, loads with COPY) the PostgreSQL database `kefu_bench_orders`, shared
with orders_overdue_list.py and sla_scan.py. Starts `--servers` processes of `kefu serve`
(uvicorn, the real ASGI application, as production runs it, with REDIS_URL for the shared
cache and sessions; a psycopg connection pool per
process, `--db-connections`) on free ports, and drives them from one light asyncio client:
`--connections` keep-alive HTTP/1.1 connections spread over the servers, each signed in
as one of the hotline agents with a session cookie and sending the CSRF token header, each
POSTing `/api/v1/orders` back to back (closed loop) with a realistic mix — faults with their
symptom (60 %), complaints (15 %, repeat detection runs), business requests (25 %) — for
random customers of all areas, so every order is dispatched to its area's team and engineer,
with the SMS and in-app notices that go with it.

Prints orders/s over the timed window, latency p50/p95/p99, errors, and the CPU the servers
and the client used. Orders made by the run are deleted afterwards (`--keep` keeps them), so
the database stays at its size. Target: at least 300 orders/s. Exits 1 when missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common

TARGET_ORDERS_PER_SECOND = 300.0
FAULTS = ("FAULT_DTV", "FAULT_BB", "FAULT_ITV")
COMPLAINTS = ("CMP_NETWORK", "CMP_PRODUCT", "CMP_SERVICE", "CMP_BILLING")
BUSINESS = ("BIZ_ACTIVATE", "BIZ_SUSPEND", "BIZ_RESUME", "BIZ_PROGRAM", "BIZ_SIGNAL")


def order_body(rng: random.Random, customer_id: int) -> dict[str, Any]:
    pick = rng.random()
    if pick < 0.60:
        code = rng.choice(FAULTS)
        return {
            "order_type": code,
            "title": "用户报障：" + rng.choice(common.SYMPTOMS),
            "customer_id": customer_id,
            "fields": {"symptom": rng.choice(common.SYMPTOMS), "device": rng.choice(("机顶盒", "光猫", "路由器"))},
            "description": "客户来电反映故障，已做远程排查，需上门。",
        }
    if pick < 0.75:
        return {
            "order_type": rng.choice(COMPLAINTS),
            "title": "客户投诉",
            "customer_id": customer_id,
            "fields": {"details": "多次报修未解决，要求尽快处理", "expectation": "今天内上门"},
        }
    return {"order_type": rng.choice(BUSINESS), "title": "业务受理", "customer_id": customer_id}


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON and reads Content-Length answers."""

    def __init__(self, port: int, cookie: str, csrf: str) -> None:
        self.port = port
        self.head = (
            f"POST /api/v1/orders HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Cookie: sessionid={cookie}; csrftoken={csrf}\r\nX-CSRFToken: {csrf}\r\nAccept: application/json\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def post(self, body: bytes) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            await self.open()
        assert self.writer is not None and self.reader is not None
        self.writer.write(self.head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        payload = await self.reader.readexactly(length) if length else b""
        if close:
            self.writer.close()
            self.reader = self.writer = None
        return status, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def drive(
    connections: list[Connection], bodies: list[bytes], warmup_s: float, duration_s: float
) -> dict[str, Any]:
    """Closed loop: each connection posts back to back; only the timed window is counted."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    created = 0
    started = time.perf_counter()
    window_start = started + warmup_s
    window_end = window_start + duration_s
    counter = iter(range(10**9))

    async def worker(connection: Connection) -> None:
        nonlocal created
        while True:
            now = time.perf_counter()
            if now >= window_end:
                return
            body = bodies[next(counter) % len(bodies)]
            began = time.perf_counter()
            try:
                status, payload = await connection.post(body)
            except (OSError, asyncio.IncompleteReadError) as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                connection.close()
                connection.reader = connection.writer = None
                await asyncio.sleep(0.05)
                continue
            ended = time.perf_counter()
            if began >= window_start and ended <= window_end:
                if status == 201:
                    created += 1
                    latencies.append((ended - began) * 1000)
                else:
                    key = f"{status}: {payload[:120].decode('utf-8', 'replace')}"
                    errors[key] = errors.get(key, 0) + 1

    await asyncio.gather(*(c.open() for c in connections))
    await asyncio.gather(*(worker(c) for c in connections))
    for connection in connections:
        connection.close()
    return {"created": created, "latencies": latencies, "errors": errors, "seconds": duration_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=common.default_url(common.ORDERS_DB))
    parser.add_argument("--orders", type=int, default=1_000_000, help="work orders in the database")
    parser.add_argument("--open", type=int, default=200_000, help="how many of them are open")
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--servers", type=int, default=4, help="kefu serve (uvicorn) processes")
    parser.add_argument("--connections", type=int, default=24, help="concurrent client connections in all")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of timed load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5", help="the servers' REDIS_URL")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before timing")
    parser.add_argument(
        "--db-connections",
        choices=("per-request", "pool"),
        default="pool",
        help="servers' database connections: Django's default (a new one per request), or a psycopg pool "
        "per server process (DATABASE_URL ...?pool=true; needs psycopg-pool)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the orders the run created")
    parser.add_argument("--small", action="store_true", help="50,000 orders, 2 servers, 8 s: a smoke run")
    parser.add_argument("--output", type=Path, default=None)
    options = parser.parse_args(argv)
    if options.small:
        options.orders, options.open, options.customers = 50_000, 10_000, 20_000
        options.duration, options.warmup = min(options.duration, 8.0), min(options.warmup, 2.0)
        if options.database_url == common.default_url(common.ORDERS_DB):
            options.database_url = common.default_url(common.ORDERS_DB + "_small")

    common.setup(options.database_url)
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.models import Max

    from kefu.accounts.models import User
    from kefu.customers.models import Customer
    from kefu.messaging.models import OutboundMessage
    from kefu.tickets.models import OrderEvent, WorkOrder

    data = common.ensure_orders(options.orders, options.open, options.customers)
    agents = list(User.objects.filter(groups__in=Group.objects.filter(name="agent"), is_active=True).order_by("pk"))
    sessions = common.bulk_sessions([agents[i % len(agents)] for i in range(options.connections)])
    csrf = common.csrf_secret()
    rng = random.Random(2026)
    customer_ids = list(Customer.objects.values_list("pk", flat=True))
    bodies = [json.dumps(order_body(rng, rng.choice(customer_ids))).encode() for _ in range(20_000)]
    with connection.cursor() as cursor:  # orders left by an interrupted run (the loaded ones came by phone or desk)
        cursor.execute(
            "DELETE FROM tickets_orderevent WHERE order_id IN (SELECT id FROM tickets_workorder WHERE channel = 'api')"
        )
        cursor.execute("DELETE FROM tickets_workorder WHERE channel = 'api'")
        # Each run inserts and then deletes thousands of rows; a production server's autovacuum
        # would clean up behind it (this machine's has autovacuum off), so do it here: the
        # indexes a new order goes into are otherwise full of dead entries from earlier runs.
        for table in ("tickets_workorder", "tickets_orderevent", "messaging_outboundmessage"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    marks = {
        "order": WorkOrder.objects.aggregate(m=Max("id"))["m"] or 0,
        "event": OrderEvent.objects.aggregate(m=Max("id"))["m"] or 0,
        "message": OutboundMessage.objects.aggregate(m=Max("id"))["m"] or 0,
    }
    connection.close()  # the servers need the connections, not this process

    # Persistent connections (KEFU_DB_CONN_MAX_AGE) are not for ASGI: Django runs each request's
    # sync code in a thread of its own, so each request would leave a connection open.
    server_url = options.database_url + ("?pool=true" if options.db_connections == "pool" else "")
    env = {
        "KEFU_DB_CONN_MAX_AGE": "0",
        "KEFU_LOG_LEVEL": "WARNING",
        "DATABASE_URL": server_url,
        "REDIS_URL": options.redis_url,  # shared cache: sessions read from it, as on a production node
    }
    servers = common.start_servers(options.servers, env, common.RESULTS / "logs" / "orders_api")
    ports = [port for _process, port in servers]
    try:
        clients = [Connection(ports[i % len(ports)], sessions[i], csrf) for i in range(options.connections)]
        cpu_before = common.server_cpu_seconds([p.pid for p, _ in servers])
        own_before = resource.getrusage(resource.RUSAGE_SELF)
        wall_before = time.perf_counter()
        outcome = asyncio.run(drive(clients, bodies, options.warmup, options.duration))
        wall = time.perf_counter() - wall_before
        own_after = resource.getrusage(resource.RUSAGE_SELF)
        cpu_servers = common.server_cpu_seconds([p.pid for p, _ in servers]) - cpu_before
        # The servers' pools opened their connections during the run: their backends' CPU is
        # the database's share of it (warm-up included, as for the servers).
        cpu_database = common.server_cpu_seconds(common.database_backends(connection.settings_dict["NAME"]))
        connection.close()
    finally:
        common.stop_servers(servers)
    cpu_client = (own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime)

    made = WorkOrder.objects.filter(pk__gt=marks["order"])
    made_count = made.count()
    dispatched = made.filter(status="dispatched").count()
    per_second = outcome["created"] / outcome["seconds"]
    timings = common.percentiles(outcome["latencies"])
    if not options.keep:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM tickets_orderevent WHERE id > %s", [marks["event"]])
            cursor.execute("DELETE FROM messaging_outboundmessage WHERE id > %s", [marks["message"]])
            cursor.execute("DELETE FROM tickets_workorder WHERE id > %s", [marks["order"]])
            cursor.execute("DELETE FROM django_tasks_database_dbtaskresult")
            cursor.execute("DELETE FROM django_session WHERE session_key = ANY(%s)", [sessions])

    passed = per_second >= TARGET_ORDERS_PER_SECOND and not outcome["errors"]
    print(f"\norder creation through the API on {connection.vendor}: {data['orders']:,} orders "
          f"({data['open']:,} open) in the database")  # fmt: skip
    print(f"servers: {options.servers} x kefu serve (uvicorn), database connections {options.db_connections}; client: {options.connections} keep-alive connections, "
          f"closed loop; {options.warmup:.0f} s warm-up, {options.duration:.0f} s timed")  # fmt: skip
    print(common.TIMING_HEADER)
    print(common.timing_row("POST /api/v1/orders", timings))
    print(f"\ncreated {outcome['created']:,} in the window ({made_count:,} in all, {dispatched:,} dispatched at once): "
          f"{per_second:,.0f} orders/s")  # fmt: skip
    print(f"CPU over the whole run ({wall:.0f} s): servers {cpu_servers:.1f} s, PostgreSQL backends {cpu_database:.1f} s, "
          f"client {cpu_client:.1f} s of {wall * (os.cpu_count() or 1):.0f} s available")  # fmt: skip
    print(f"per order: servers {1000 * cpu_servers / made_count:.1f} ms, PostgreSQL {1000 * cpu_database / made_count:.1f} ms, "
          f"client {1000 * cpu_client / made_count:.2f} ms of CPU")  # fmt: skip
    if outcome["errors"]:
        print("errors:", json.dumps(outcome["errors"], ensure_ascii=False, indent=1))
    print(
        "\n"
        + common.verdict(
            f">= {TARGET_ORDERS_PER_SECOND:.0f} orders/s without errors", passed, f"{per_second:,.0f} orders/s"
        )
    )
    common.write_results(
        "orders_api",
        {
            **common.environment(),
            "data": data,
            "setup": {
                "servers": options.servers,
                "server": "kefu serve (uvicorn), REDIS_URL set",
                "db_connections": options.db_connections,
                "connections": options.connections,
                "warmup_s": options.warmup,
                "duration_s": options.duration,
            },
            "target": {"orders_per_second": TARGET_ORDERS_PER_SECOND, "passed": passed},
            "results": {
                "orders_per_second": round(per_second, 1),
                "created_in_window": outcome["created"],
                "created_in_all": made_count,
                "dispatched_at_once": dispatched,
                "latency": timings,
                "errors": outcome["errors"],
                "cpu_seconds": {
                    "servers": round(cpu_servers, 1),
                    "database": round(cpu_database, 1),
                    "client": round(cpu_client, 1),
                    "wall": round(wall, 1),
                },
            },
        },
        options.output,
    )
    return common.fail_exit(passed)


if __name__ == "__main__":
    sys.exit(main())
