"""Inbound SMS through Kannel's MO callback: how many customers' SMS per second Kefu stores,
turns into contacts and queues, and what each one costs in CPU and statements.

    .venv/bin/python bench/sms_inbound.py                  # both ways below, 3,300 callbacks each
    .venv/bin/python bench/sms_inbound.py --via client     # only in-process (the callback's own cost)
    .venv/bin/python bench/sms_inbound.py --via http       # only against `kefu serve` processes
    .venv/bin/python bench/sms_inbound.py --small          # 600 SMS each: a smoke run

Uses (creates, migrates) the PostgreSQL database `kefu_bench_sms` and an "SMS" queue. Each run
sends `--messages` MO callbacks exactly as smsbox's get-url makes them
(/hooks/sms/kannel/<secret>/mo?id=%I&from=%p&to=%P&text=%b&coding=%c&charset=%C...), UCS-2
Chinese text, from `--numbers` new numbers (so the first SMS of each number opens and queues a
contact and the next ones join it) plus `--repeats` of them sent again (Kannel retrying:
each must be a no-op). Every request goes through URL routing, the middleware, the secret
check, store-first and processing, and commits.

- `--via client`: Django's test client, no HTTP server and no network (what the callback itself
  costs Kefu), in `--workers` forked processes, each sending its share one request after another
  over its own database connection. First, in this process, the statements per SMS are counted.
- `--via http`: `--servers` `kefu serve` processes (uvicorn, the real ASGI app; a psycopg pool
  each) on 127.0.0.1 and `--concurrency` client threads with keep-alive connections, as
  smsbox's HTTP client would. Production-shaped: with 4 servers (two per core, as a site runs
  `kefu serve --workers`) on the 2-core machine the servers, PostgreSQL and this load generator
  (whose CPU is reported) share the cores.
- `--via both` (default): one run each, with their own new numbers.

Both use the Redis channel layer and cache (`--redis-url`; "" for the in-memory ones), as a node
of a production site with more than one process must. CPU is reported per callback for Kefu
(the client workers, or the servers) and for the PostgreSQL backends serving them.

Target: at least 300 SMS/s, judged on the http run when there is one (how Kannel calls Kefu).
Checks afterwards that every SMS was stored once, that repeats changed nothing and that each
number has one contact. Exits 1 when either fails.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import resource
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common

TARGET_PER_SECOND = 300.0
DB = "kefu_bench_sms"
REDIS = "redis://127.0.0.1:6379/5"  # not the default 0: other programs on this Redis use that
SECRET = "bench-callback-secret"  # noqa: S105 — the benchmark's own callback secret
TEXTS = ("宽带断网了，麻烦尽快派人来修", "机顶盒一直黑屏", "光猫红灯在闪", "请问这个月话费多少", "好的谢谢")
COUNTED = 300  # SMS whose statements are counted (--via client), before the timed run


def prepare() -> Any:
    from kefu.accounts.models import Skill
    from kefu.routing.models import Queue

    skill = Skill.objects.get_or_create(code="SMS-BENCH", defaults={"name": "短信（压测）"})[0]
    return Queue.objects.get_or_create(code="SMS", defaults={"name": "短信", "channels": ["sms"], "skill": skill})[0]


def callbacks(numbers: int, messages: int, repeats: int, seed: int) -> tuple[list[str], list[str]]:
    """The request paths smsbox would make: `messages` distinct SMS from `numbers` new numbers,
    then `repeats` of them again, shuffled in among the others' later part."""
    rng = random.Random(seed)
    prefix = f"19{rng.randrange(10, 99)}"
    senders = [f"{prefix}{index:07d}" for index in rng.sample(range(10_000_000), numbers)]
    paths = []
    for index in range(messages):
        text = rng.choice(TEXTS)
        query = urllib.parse.urlencode(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "from": senders[index % numbers],
                "to": "10086",
                "text": text.encode("utf-16-be"),
                "coding": "2",
                "charset": "UTF-16BE",
                "smsc": "bench",
                "at": str(int(time.time())),
            }
        )
        paths.append(f"/hooks/sms/kannel/{SECRET}/mo?{query}")
    return paths + rng.sample(paths, min(repeats, len(paths))), senders


def _backend_cpu_seconds(pids: list[int]) -> float:
    """CPU of PostgreSQL backends (on this machine) so far."""
    return common.server_cpu_seconds(pids)


def _own_backend() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def count_statements(paths: list[str]) -> float:
    """Statements per callback, through the test client in this process (routing's prepared
    statement, run on the raw connection after the commit, is not among them)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with CaptureQueriesContext(connection) as captured:
        for path in paths:
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}: {response.content[:200]!r}")
    return len(captured.captured_queries) / len(paths)


def run_client(paths: list[str]) -> tuple[list[float], float, float]:
    """One after another through Django's test client, in this process; returns the samples,
    this process's CPU seconds and its database backend's."""
    from django.test import Client

    client = Client()
    backend = [_own_backend()]
    samples = []
    began, backend_began = time.process_time(), _backend_cpu_seconds(backend)
    for path in paths:
        sent = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - sent) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:200]!r}")
    return samples, time.process_time() - began, _backend_cpu_seconds(backend) - backend_began


def run_clients(paths: list[str], workers: int) -> tuple[list[float], float, float]:
    """`workers` forked copies of this process, each with its test client and database connection
    (threads would share one interpreter lock); returns the samples and the CPU seconds used by
    the workers and by their database backends."""
    from django.db import connections

    if workers <= 1:
        return run_client(paths)
    connections.close_all()  # each child opens its own
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        results = pool.map(run_client, [paths[index::workers] for index in range(workers)])
    samples = [sample for result in results for sample in result[0]]
    return samples, sum(result[1] for result in results), sum(result[2] for result in results)


def run_http(paths: list[str], ports: list[int], concurrency: int) -> list[float]:
    samples: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []
    chunks = [paths[index::concurrency] for index in range(concurrency)]

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", ports[index % len(ports)], timeout=30)
        mine = []
        for path in chunks[index]:
            began = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - began) * 1000)
            if response.status != 200:
                failures.append(f"{path} answered {response.status}")
        connection.close()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} callbacks failed, e.g. {failures[0]}")
    return samples


def check(senders: list[str], paths: list[str]) -> dict[str, int]:
    """What this run stored, found by its own provider ids (a sender drawn at random may have
    sent in an earlier run too), and the contacts of its senders."""
    from kefu.contacts.models import Contact, InboundItem

    ids = sorted({urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["id"][0] for path in paths})
    stored = InboundItem.objects.filter(provider="sms.kannel", provider_id__in=ids)
    contacts = Contact.objects.filter(channel="sms", identity__in=senders)
    return {
        "stored": stored.count(),
        "processed": stored.filter(status="processed").count(),
        "contacts": contacts.count(),
        "expected_stored": len(ids),
        "expected_contacts": len(senders),
    }


def measure(via: str, options: argparse.Namespace, seed: int) -> dict[str, Any]:
    """One run: new numbers, the callbacks timed, the CPU they cost, and the check."""
    from django.db import connection

    paths, senders = callbacks(options.numbers, options.messages, options.repeats, seed)
    shown = "client" if via == "client" else f"http, {options.servers} servers"
    print(f"\n{len(paths):,} MO callbacks ({options.messages:,} SMS, {options.repeats:,} repeats) via {shown}")
    result: dict[str, Any] = {"via": via}
    if via == "client":
        # The same mix at a tenth of the size, with numbers of its own, outside the timing.
        scale = max(1, options.messages // COUNTED)
        sample, _ = callbacks(max(1, options.numbers // scale), COUNTED, options.repeats // scale, seed + 1_000)
        result["statements_per_callback"] = round(count_statements(sample), 2)
        timed = paths
        began = time.perf_counter()
        samples, cpu_kefu, cpu_database = run_clients(timed, options.workers)
        elapsed = time.perf_counter() - began
        result.update(workers=options.workers, cpu_client_ms_per_callback=None)
    else:
        warm, timed = paths[: 20 * options.servers], paths[20 * options.servers :]
        # Persistent connections (KEFU_DB_CONN_MAX_AGE) are not for ASGI: Django runs each
        # request's sync code in a thread of its own; without the pool each request connects.
        url = options.database_url + ("?pool=true" if options.db_connections == "pool" else "")
        env = {"DATABASE_URL": url, "KEFU_SMS_CALLBACK_SECRET": SECRET, "KEFU_LOG_LEVEL": "WARNING"}
        env |= {"KEFU_DB_CONN_MAX_AGE": "0", "REDIS_URL": options.redis_url}
        servers = common.start_servers(options.servers, env, common.RESULTS / "sms_inbound-logs")
        try:
            ports = [port for _process, port in servers]
            run_http(warm, ports, len(ports))  # pools open, code paths warm
            backends = common.database_backends(connection.settings_dict["NAME"])
            pids = [process.pid for process, _port in servers]
            cpu_before, database_before = common.server_cpu_seconds(pids), _backend_cpu_seconds(backends)
            own_before = resource.getrusage(resource.RUSAGE_SELF)
            began = time.perf_counter()
            samples = run_http(timed, ports, options.concurrency)
            elapsed = time.perf_counter() - began
            own_after = resource.getrusage(resource.RUSAGE_SELF)
            cpu_kefu = common.server_cpu_seconds(pids) - cpu_before
            cpu_database = _backend_cpu_seconds(backends) - database_before
        finally:
            common.stop_servers(servers)
        cpu_client = (own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime)
        result.update(
            servers=options.servers,
            concurrency=options.concurrency,
            db_connections=options.db_connections,
            cpu_client_ms_per_callback=round(cpu_client / len(timed) * 1000, 2),
        )
    counts = check(senders, paths)
    result.update(
        callbacks=len(timed),
        seconds=round(elapsed, 2),
        per_second=round(len(timed) / elapsed, 1),
        cpu_kefu_ms_per_callback=round(cpu_kefu / len(timed) * 1000, 2),
        cpu_database_ms_per_callback=round(cpu_database / len(timed) * 1000, 2),
        timing=common.percentiles(samples),
        counts=counts,
        correct=counts["stored"] == counts["processed"] == counts["expected_stored"]
        and counts["contacts"] == counts["expected_contacts"],
        load_average=[round(x, 2) for x in os.getloadavg()],
    )
    print(common.TIMING_HEADER)
    print(common.timing_row("mo_callback", result["timing"]))
    print(f"{len(timed):,} callbacks in {elapsed:.1f} s: {result['per_second']:,.0f} SMS/s; CPU per callback: Kefu "
          f"{result['cpu_kefu_ms_per_callback']:.2f} ms, PostgreSQL backends {result['cpu_database_ms_per_callback']:.2f} ms"
          + (f", load generator {result['cpu_client_ms_per_callback']:.2f} ms" if via == "http" else "")
          + (f"; {result['statements_per_callback']:.1f} statements each" if via == "client" else "")
          + f" (load {result['load_average'][0]:.1f}, {os.cpu_count()} CPUs)")  # fmt: skip
    print(f"stored {counts['stored']:,} (expected {counts['expected_stored']:,}), contacts {counts['contacts']:,} "
          f"(expected {counts['expected_contacts']:,})")  # fmt: skip
    return result


def _redis_reachable(url: str) -> bool:
    parts = urllib.parse.urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=common.default_url(DB))
    parser.add_argument("--messages", type=int, default=3_000, help="distinct SMS")
    parser.add_argument("--numbers", type=int, default=1_000, help="customers sending them")
    parser.add_argument("--repeats", type=int, default=300, help="SMS sent a second time (Kannel retrying)")
    parser.add_argument("--via", choices=("client", "http", "both"), default="both")
    parser.add_argument("--workers", type=int, default=4, help="client processes (--via client)")
    # Two server processes per core, as for orders_api.py: a process runs one request's Python at
    # a time, and a second one keeps the core busy while the first waits on the database.
    parser.add_argument("--servers", type=int, default=4, help="kefu serve processes (--via http)")
    parser.add_argument("--concurrency", type=int, default=12, help="client threads (--via http)")
    parser.add_argument(
        "--db-connections",
        choices=("per-request", "pool"),
        default="pool",
        help="servers' database connections: a psycopg pool per server process, or Django's default",
    )
    parser.add_argument("--redis-url", default=REDIS, help='channel layer and cache; "" for the in-memory ones')
    parser.add_argument("--small", action="store_true", help="600 SMS from 200 numbers: a smoke run")
    parser.add_argument("--output", type=Path, default=None)
    options = parser.parse_args(argv)
    if options.small:
        options.messages, options.numbers, options.repeats = 600, 200, 60
    if options.redis_url and not _redis_reachable(options.redis_url):
        raise SystemExit(f"Redis at {options.redis_url} does not answer; start it or pass --redis-url ''")
    os.environ["KEFU_SMS_CALLBACK_SECRET"] = SECRET
    os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
    common.setup(options.database_url, redis_url=options.redis_url)
    prepare()

    seed = int(time.time())
    ways = ["client", "http"] if options.via == "both" else [options.via]
    runs = [measure(via, options, seed + index) for index, via in enumerate(ways)]
    judged = runs[-1]  # the http run when there is one
    passed = all(run["correct"] for run in runs) and judged["per_second"] >= TARGET_PER_SECOND
    print()
    print(common.verdict(f">= {TARGET_PER_SECOND:.0f} SMS/s via {judged['via']}, each stored once", passed,
                         f"{judged['per_second']:,.0f} SMS/s"))  # fmt: skip
    common.write_results(
        "sms_inbound",
        {"runs": runs, "redis": bool(options.redis_url), "passed": passed, **common.environment()},
        options.output,
    )
    return common.fail_exit(passed)


if __name__ == "__main__":
    sys.exit(main())
