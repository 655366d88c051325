"""Inbound SMS through Kannel's MO callback: how many customers' SMS per second Kefu stores,
turns into contacts and queues.

    .venv/bin/python bench/sms_inbound.py                  # 3,000 SMS through the Django test client
    .venv/bin/python bench/sms_inbound.py --via http       # the same against `kefu serve` processes
    .venv/bin/python bench/sms_inbound.py --small          # 600 SMS: a smoke run

Uses (creates, migrates) the PostgreSQL database `kefu_bench_sms` and an "SMS" queue. Each run
sends `--messages` MO callbacks exactly as smsbox's get-url makes them
(/hooks/sms/kannel/<secret>/mo?id=%I&from=%p&to=%P&text=%b&coding=%c&charset=%C...), UCS-2
Chinese text, from `--numbers` new numbers (so the first SMS of each number opens and queues a
contact and the next ones join it) plus `--repeats` of them sent again (Kannel retrying:
each must be a no-op). Every request goes through URL routing, the middleware, the secret
check, store-first and processing, and commits.

- `--via client` (default): Django's test client, no HTTP server and no network (what the
  callback itself costs Kefu), in `--workers` forked processes, each sending its share one
  request after another over its own database connection.
- `--via http`: `--servers` `kefu serve` processes (daphne, the real ASGI app) on 127.0.0.1 and
  `--concurrency` client threads with keep-alive connections, as smsbox's HTTP client would.

Target: at least 300 SMS/s. Checks afterwards that every SMS was stored once, that repeats
changed nothing and that each number has one contact. Exits 1 when either fails.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
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
SECRET = "bench-callback-secret"  # noqa: S105 — the benchmark's own callback secret
TEXTS = ("宽带断网了，麻烦尽快派人来修", "机顶盒一直黑屏", "光猫红灯在闪", "请问这个月话费多少", "好的谢谢")


def prepare() -> Any:
    from kefu.accounts.models import Skill
    from kefu.routing.models import Queue

    skill = Skill.objects.get_or_create(code="SMS-BENCH", defaults={"name": "短信（压测）"})[0]
    return Queue.objects.get_or_create(code="SMS", defaults={"name": "短信", "channels": ["sms"], "skill": skill})[0]


def callbacks(numbers: int, messages: int, repeats: int, seed: int) -> tuple[list[str], list[str]]:
    """The request paths smsbox would make: `messages` distinct SMS, then `repeats` of them again."""
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
    return paths, senders


def run_client(paths: list[str]) -> list[float]:
    """One after another through Django's test client, in this process."""
    from django.test import Client

    client = Client()
    samples = []
    for path in paths:
        began = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:200]!r}")
    return samples


def run_clients(paths: list[str], workers: int) -> tuple[list[float], float]:
    """`workers` forked copies of this process, each with its test client and database connection
    (threads would share one interpreter lock); returns the samples and the CPU seconds used."""
    from django.db import connections

    if workers <= 1:
        began = time.process_time()
        return run_client(paths), time.process_time() - began
    connections.close_all()  # each child opens its own
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        results = pool.map(_child, [paths[index::workers] for index in range(workers)])
    return [sample for samples, _cpu in results for sample in samples], sum(cpu for _samples, cpu in results)


def _child(paths: list[str]) -> tuple[list[float], float]:
    began = time.process_time()
    samples = run_client(paths)
    return samples, time.process_time() - began


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


def check(senders: list[str], distinct: int) -> dict[str, int]:
    from kefu.contacts.models import Contact, InboundItem

    stored = InboundItem.objects.filter(provider="sms.kannel", payload__extra__from__in=senders)
    contacts = Contact.objects.filter(channel="sms", identity__in=senders)
    return {
        "stored": stored.count(),
        "processed": stored.filter(status="processed").count(),
        "contacts": contacts.count(),
        "expected_stored": distinct,
        "expected_contacts": len(senders),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=common.default_url(DB))
    parser.add_argument("--messages", type=int, default=3_000, help="distinct SMS")
    parser.add_argument("--numbers", type=int, default=1_000, help="customers sending them")
    parser.add_argument("--repeats", type=int, default=300, help="SMS sent a second time (Kannel retrying)")
    parser.add_argument("--via", choices=("client", "http"), default="client")
    parser.add_argument("--workers", type=int, default=4, help="client processes (--via client)")
    parser.add_argument("--servers", type=int, default=4, help="kefu serve processes (--via http)")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (--via http)")
    parser.add_argument("--small", action="store_true", help="600 SMS from 200 numbers: a smoke run")
    parser.add_argument("--output", type=Path, default=None)
    options = parser.parse_args(argv)
    if options.small:
        options.messages, options.numbers, options.repeats = 600, 200, 60
    os.environ["KEFU_SMS_CALLBACK_SECRET"] = SECRET
    os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
    common.setup(options.database_url)
    prepare()

    seed = int(time.time())
    paths, senders = callbacks(options.numbers, options.messages, options.repeats, seed)
    rng = random.Random(seed + 1)
    paths = paths + rng.sample(paths, min(options.repeats, len(paths)))
    servers: list[Any] = []
    cpu_seconds = 0.0
    print(f"{len(paths):,} MO callbacks ({options.messages:,} SMS, {options.repeats:,} repeats) via {options.via}")
    began = time.perf_counter()
    try:
        if options.via == "client":
            samples, cpu_seconds = run_clients(paths, options.workers)
        else:
            env = {"DATABASE_URL": options.database_url, "KEFU_SMS_CALLBACK_SECRET": SECRET}
            env["KEFU_LOG_LEVEL"] = "WARNING"
            servers = common.start_servers(options.servers, env, common.RESULTS / "sms_inbound-logs")
            began = time.perf_counter()
            cpu_before = common.server_cpu_seconds([process.pid for process, _port in servers])
            samples = run_http(paths, [port for _process, port in servers], options.concurrency)
            cpu_seconds = common.server_cpu_seconds([process.pid for process, _port in servers]) - cpu_before
    finally:
        elapsed = time.perf_counter() - began
        if servers:
            common.stop_servers(servers)
    rate = len(paths) / elapsed
    counts = check(senders, options.messages)
    correct = (
        counts["stored"] == counts["processed"] == counts["expected_stored"]
        and counts["contacts"] == counts["expected_contacts"]
    )
    timing = common.percentiles(samples)
    print(common.TIMING_HEADER)
    print(common.timing_row("mo_callback", timing))
    cpu_per_callback = cpu_seconds / len(paths) * 1000
    print(f"{len(paths):,} callbacks in {elapsed:.1f} s: {rate:,.0f} SMS/s; Kefu's CPU {cpu_per_callback:.1f} ms each "
          f"({os.cpu_count()} CPUs)")  # fmt: skip
    print(f"stored {counts['stored']:,} (expected {counts['expected_stored']:,}), contacts {counts['contacts']:,} "
          f"(expected {counts['expected_contacts']:,})")  # fmt: skip
    passed = rate >= TARGET_PER_SECOND and correct
    print(common.verdict(f">= {TARGET_PER_SECOND:.0f} SMS/s, each stored once", passed, f"{rate:,.0f} SMS/s"))
    common.write_results(
        "sms_inbound",
        {
            "via": options.via,
            "workers": options.workers if options.via == "client" else 0,
            "servers": options.servers if options.via == "http" else 0,
            "cpu_ms_per_callback": round(cpu_per_callback, 2),
            "concurrency": options.concurrency if options.via == "http" else 1,
            "callbacks": len(paths),
            "seconds": round(elapsed, 2),
            "per_second": round(rate, 1),
            "timing": timing,
            "counts": counts,
            "passed": passed,
            **common.environment(),
        },
        options.output,
    )
    return common.fail_exit(passed)


if __name__ == "__main__":
    sys.exit(main())
