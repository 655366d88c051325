"""The "overdue in my area" list of an area manager, with a million work orders.

    .venv/bin/python bench/orders_overdue_list.py            # 1,000,000 orders, 200,000 open
    .venv/bin/python bench/orders_overdue_list.py --small    # 50,000 orders: a quick smoke run

Uses (creates, migrates, loads with COPY) the PostgreSQL database `kefu_bench_orders`, shared
with orders_api.py and sla_scan.py. Times, as the demo's `manager` (area manager of 鼓楼区,
a district of five service areas, about a sixth of all orders):

- `overdue_in_my_areas`: `kefu.tickets.queries.overdue_in_my_areas(manager)`, the field
  manager's first screen (50 most overdue);
- `saved_view_page`: the desk list / API with `saved_view(manager, "overdue")`: its count and
  its first page of 50 newest first, with the related rows the page shows;
- `view_counts`: the tab counts of the list page (`view_counts(manager)`), for information.

Target: p95 of the first two under 100 ms. Exits 1 when missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common

TARGET_P95_MS = 100.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=common.default_url(common.ORDERS_DB))
    parser.add_argument("--orders", type=int, default=1_000_000, help="work orders in the database")
    parser.add_argument("--open", type=int, default=200_000, help="how many of them are open")
    parser.add_argument("--customers", type=int, default=200_000, help="customers they belong to")
    parser.add_argument("--repeat", type=int, default=300, help="timed calls of each kind")
    parser.add_argument("--small", action="store_true", help="50,000 orders (10,000 open), 100 calls: a smoke run")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the queries")
    parser.add_argument("--output", type=Path, default=None)
    options = parser.parse_args(argv)
    if options.small:
        options.orders, options.open, options.customers, options.repeat = 50_000, 10_000, 20_000, 100
        if options.database_url == common.default_url(common.ORDERS_DB):
            options.database_url = common.default_url(common.ORDERS_DB + "_small")

    common.setup(options.database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kefu.tickets.queries import overdue_in_my_areas, saved_view, view_counts

    data = common.ensure_orders(options.orders, options.open, options.customers)
    manager = common.district_manager()

    def page() -> Any:
        orders = saved_view(manager, "overdue")
        total = orders.count()
        rows = list(
            orders.select_related("order_type", "service_area", "team", "assignee").order_by("-created_at", "-id")[:50]
        )
        return total, rows

    def first_screen() -> Any:
        return overdue_in_my_areas(manager)

    def counts() -> Any:
        return view_counts(manager)

    kinds = {"overdue_in_my_areas": first_screen, "saved_view_page": page, "view_counts": counts}
    if options.explain:
        explain(connection, kinds)
    for call in kinds.values():  # warm up caches and the connection
        for _ in range(5):
            call()
    results: dict[str, Any] = {}
    for name, call in kinds.items():
        with CaptureQueriesContext(connection) as captured:
            call()
        repeat = options.repeat if name != "view_counts" else max(10, options.repeat // 10)
        timings = []
        for _ in range(repeat):
            began = time.perf_counter()
            call()
            timings.append((time.perf_counter() - began) * 1000)
        results[name] = common.percentiles(timings) | {"queries": len(captured.captured_queries)}
    overdue_rows = len(overdue_in_my_areas(manager, limit=10**9))
    now = timezone.now()
    total_overdue = saved_view(manager, "overdue", now).count()

    print(f"\noverdue list on {connection.vendor}: {data['orders']:,} orders, {data['open']:,} open; "
          f"manager '{manager.username}' sees {total_overdue:,} overdue ({overdue_rows:,} in their areas)")  # fmt: skip
    print(common.TIMING_HEADER + f"{'queries':>9}")
    for name, row in results.items():
        print(common.timing_row(name, row) + f"{row['queries']:>9}")
    worst = max(results["overdue_in_my_areas"]["p95_ms"], results["saved_view_page"]["p95_ms"])
    passed = worst < TARGET_P95_MS
    print(
        "\n"
        + common.verdict(
            f"p95 of overdue_in_my_areas and saved_view_page < {TARGET_P95_MS:.0f} ms", passed, f"worst {worst:.2f} ms"
        )
    )
    common.write_results(
        "orders_overdue_list",
        {
            **common.environment(),
            "data": data | {"overdue_visible_to_manager": total_overdue, "overdue_in_manager_areas": overdue_rows},
            "user": manager.username,
            "target": {"p95_ms": TARGET_P95_MS, "passed": passed},
            "results": results,
        },
        options.output,
    )
    return common.fail_exit(passed)


def explain(connection: Any, kinds: dict[str, Any]) -> None:
    from django.test.utils import CaptureQueriesContext

    for name, call in kinds.items():
        with CaptureQueriesContext(connection) as captured:
            call()
        print(f"\n=== {name} ({len(captured.captured_queries)} queries)")
        for query in captured.captured_queries:
            statement = query["sql"]
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
                plan = "\n".join("  " + row[0] for row in cursor.fetchall())
            print(f"-- {statement[:400]}{' ...' if len(statement) > 400 else ''}\n{plan}")


if __name__ == "__main__":
    sys.exit(main())
