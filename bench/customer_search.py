"""Customer search benchmark: how fast an agent finds a caller among N customers.

    DATABASE_URL=postgres://postgres@127.0.0.1/kefu_bench \\
        .venv/bin/python bench/customer_search.py --customers 1000000

Creates the database if it is missing, migrates it, loads `kefu seed --lean` up to N
customers, then times `kefu.customers.queries.search_customers` as the demo `agent`:
full phone numbers (the caller-ID lookup on every call), phone prefixes, unknown numbers
and names. Prints p50/p95/p99 per kind, writes bench/results/customer_search.json and
exits 1 when the p95 of the phone search is over the target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1/kefu_bench"
TARGET_PHONE_P95_MS = 50.0


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in the URL when it does not exist yet."""
    import psycopg
    from psycopg import sql

    parts = urlparse(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        return
    name = parts.path.lstrip("/")
    with psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password,
        dbname="postgres", autocommit=True,
    ) as admin:  # fmt: skip
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            print(f"creating database {name}")
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    count = len(samples_ms)
    if count < 2:
        samples_ms = samples_ms * 2 or [0.0, 0.0]  # quantiles need two points
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {
        "count": count,
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(samples_ms), 2),
        "mean_ms": round(statistics.fmean(samples_ms), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers the database should hold")
    parser.add_argument("--phone", type=int, default=1_000, help="searches by a full phone number")
    parser.add_argument("--prefix", type=int, default=500, help="searches by a phone prefix")
    parser.add_argument("--prefix-digits", type=int, default=7, help="digits in a prefix search (default 7)")
    parser.add_argument("--unknown", type=int, default=200, help="searches by a number no customer has")
    parser.add_argument("--name", type=int, default=300, help="searches by a customer's name")
    parser.add_argument("--explain", action="store_true", help="print the query plan of one search per kind")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "customer_search.json")
    options = parser.parse_args(argv)

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.config.settings")
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Max, Min

    from kefu.accounts.models import User
    from kefu.customers.models import ContactNumber, Customer
    from kefu.customers.queries import search_customers

    call_command("migrate", verbosity=0)
    have = Customer.objects.count()
    if have < options.customers:
        print(f"{have:,} customers; seeding up to {options.customers:,} (lean) ...", flush=True)
        began = time.monotonic()
        call_command("seed", customers=options.customers, lean=True)
        print(f"seeded in {time.monotonic() - began:.0f} s", flush=True)
    customers = Customer.objects.count()
    agent = User.objects.get(username="agent")

    rng = random.Random(2026)  # the same searches every run
    bounds = ContactNumber.objects.aggregate(low=Min("id"), high=Max("id"))
    low, high = bounds["low"], bounds["high"]
    wanted = rng.sample(range(low, high + 1), min(high - low + 1, 3 * (options.phone + options.prefix)))
    numbers = list(ContactNumber.objects.filter(id__in=wanted, number__startswith="1").values_list("number", flat=True))
    rng.shuffle(numbers)
    phones = numbers[: options.phone]
    prefixes = [n[: options.prefix_digits] for n in numbers[options.phone : options.phone + options.prefix]]
    unknown = [f"19{rng.randrange(10**9):09d}" for _ in range(options.unknown)]  # 19x: prefixes we never hand out
    name_ids = rng.sample(range(1, customers + 1), min(customers, options.name))
    names = list(Customer.objects.filter(number__in=[f"KH{n:09d}" for n in name_ids]).values_list("name", flat=True))
    kinds: dict[str, list[str]] = {"phone": phones, "phone_prefix": prefixes, "phone_unknown": unknown, "name": names}

    if options.explain:
        explain(connection, search_customers, agent, {kind: texts[0] for kind, texts in kinds.items() if texts})

    warm_up = numbers[options.phone + options.prefix :][:50] + names[:10]
    for text in warm_up:  # the connection, the reader's permissions, PostgreSQL's buffers
        search_customers(agent, text)
    results: dict[str, Any] = {}
    empty: dict[str, int] = {}
    for kind, texts in kinds.items():
        timings, misses = [], 0
        for text in texts:
            began = time.perf_counter()
            hits = search_customers(agent, text)
            timings.append((time.perf_counter() - began) * 1000)
            misses += not hits
        results[kind] = percentiles(timings) | {"empty_results": misses}
        empty[kind] = misses

    phone_p95 = results["phone"]["p95_ms"]
    passed = phone_p95 <= TARGET_PHONE_P95_MS
    print(f"\ncustomer search on {connection.vendor} with {customers:,} customers, as user '{agent.username}'")
    print(f"{'kind':<15}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}{'empty':>7}")
    for kind, row in results.items():
        print(
            f"{kind:<15}{row['count']:>6}{row['p50_ms']:>10.2f}{row['p95_ms']:>10.2f}{row['p99_ms']:>10.2f}"
            f"{row['max_ms']:>10.2f}{row['empty_results']:>7}"
        )
    verdict = "PASS" if passed else "FAIL"
    print(f"\ntarget: phone search p95 <= {TARGET_PHONE_P95_MS:.0f} ms -> {verdict} (p95 {phone_p95:.2f} ms)")
    if empty["phone"] or empty["phone_prefix"]:
        print("warning: some searches for existing numbers found nothing")

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        server = cursor.fetchone()[0]
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(
        json.dumps(
            {
                "benchmark": "customer_search",
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "database": {"vendor": connection.vendor, "server": server},
                "host": {
                    "python": platform.python_version(),
                    "machine": platform.machine(),
                    "cpus": os.cpu_count(),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()],  # other work skews the numbers
                },
                "customers": customers,
                "contact_numbers": ContactNumber.objects.count(),
                "user": agent.username,
                "prefix_digits": options.prefix_digits,
                "target": {"phone_p95_ms": TARGET_PHONE_P95_MS, "passed": passed},
                "results": results,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"written {options.output.relative_to(ROOT) if options.output.is_relative_to(ROOT) else options.output}")
    return 0 if passed else 1


def explain(connection: Any, search: Callable[..., Any], user: Any, examples: dict[str, str]) -> None:
    """EXPLAIN ANALYZE the queries one search of each kind runs."""
    from django.test.utils import CaptureQueriesContext

    for kind, text in examples.items():
        search(user, text)  # the reader's permissions are cached after the first search
        with CaptureQueriesContext(connection) as captured:
            search(user, text)
        print(f"\n=== {kind}: {text!r} ({len(captured.captured_queries)} queries)")
        for query in captured.captured_queries:
            statement = query["sql"]
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
            with connection.cursor() as cursor:
                cursor.execute(prefix + statement)
                plan = "\n".join("  " + " ".join(str(c) for c in row) for row in cursor.fetchall())
            print(f"-- {statement[:300]}{' ...' if len(statement) > 300 else ''}\n{plan}")


if __name__ == "__main__":
    sys.exit(main())
