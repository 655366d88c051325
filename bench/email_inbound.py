"""Inbound email: how many customers' mails per second Kefu receives over SMTP, parses, stores
once and turns into queued contacts (or adds to their thread).

    .venv/bin/python bench/email_inbound.py                           # 2,000 mails over SMTP, PostgreSQL
    .venv/bin/python bench/email_inbound.py --database-url sqlite:////tmp/kefu-bench-email.sqlite3
    .venv/bin/python bench/email_inbound.py --via direct              # no SMTP: receive_mail in processes
    .venv/bin/python bench/email_inbound.py --small                   # 400 mails: a smoke run

Uses (creates, migrates) the PostgreSQL database `kefu_bench_email` (or the SQLite file given)
and an "EMAIL" queue. The mails are what a service mailbox gets: multipart text + HTML (the
HTML sanitised by nh3), a third in GB18030 with an encoded Chinese subject, some with a small
PDF attachment; `--replies` of them answer an earlier mail (In-Reply-To: they join its contact)
and `--repeats` are sent again (the sending MTA retrying: each must be a no-op).

- `--via smtp` (default): `--servers` `kefu smtpd` processes (aiosmtpd, the real receiver) on
  127.0.0.1 and `--concurrency` client threads, each an SMTP session sending its share.
- `--via direct`: `receive_mail(raw)` in `--workers` forked processes (what a mail costs Kefu
  without the SMTP dialogue: parse, store first, thread, open, queue, commit).

Target: at least 100 mails/s. Checks afterwards that every mail was stored once and processed,
that each new thread has one contact and each reply joined it. Exits 1 when either fails.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import smtplib
import socket
import subprocess
import sys
import threading
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common

TARGET_PER_SECOND = 100.0
DB = "kefu_bench_email"
SUBJECTS = ("宽带断网了", "机顶盒一直黑屏", "光猫红灯在闪", "账单多扣了钱", "要求上门维修", "套餐变更咨询")
BODIES = (
    "你好，我家宽带从昨晚开始就上不了网，光猫的 LOS 灯一直红，麻烦尽快安排师傅。",
    "电视开机后一直黑屏，换了 HDMI 线也不行，请帮忙看看。",
    "这个月账单比上个月多了 30 元，我没有订过任何增值业务，请核实。",
)
PDF = b"%PDF-1.4\n" + b"0" * 2048 + b"\n%%EOF\n"


def setup(url: str) -> None:
    """PostgreSQL through the shared helper; a SQLite file is migrated in place."""
    if url.startswith("sqlite:"):
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.config.settings")
        os.environ.setdefault("KEFU_DATA_DIR", "/tmp/kefu-bench")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return
    common.setup(url)


def prepare() -> None:
    from kefu.accounts.models import Skill
    from kefu.routing.models import Queue

    skill = Skill.objects.get_or_create(code="EMAIL-BENCH", defaults={"name": "邮件（压测）"})[0]
    Queue.objects.get_or_create(code="EMAIL", defaults={"name": "邮件", "channels": ["email"], "skill": skill})


def mail(rng: random.Random, run: str, index: int, sender: str, reply_to: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = f"客户{index} <{sender}>"
    message["To"] = "service@kefu.example.cn"
    subject = rng.choice(SUBJECTS)
    message["Subject"] = f"Re: {subject}" if reply_to else subject
    message["Message-ID"] = f"<{run}.{index}@mail.example.cn>"
    if reply_to:
        message["In-Reply-To"] = message["References"] = reply_to
    body = rng.choice(BODIES)
    charset = "gb18030" if index % 3 == 0 else "utf-8"
    message.set_content(body, charset=charset)
    message.add_alternative(f"<html><body><p>{body}</p><script>alert(1)</script></body></html>", subtype="html")
    if index % 10 == 0:
        message.add_attachment(PDF, maintype="application", subtype="pdf", filename="账单截图.pdf")
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as on the wire


def mails(count: int, replies: int, repeats: int, seed: int) -> tuple[list[bytes], str, int]:
    """`count` distinct mails (`replies` of them answering an earlier one), then `repeats` again."""
    rng = random.Random(seed)
    run = f"bench{seed}"
    raw: list[bytes] = []
    threads = count - replies
    for index in range(threads):
        raw.append(mail(rng, run, index, f"c{seed}.{index}@example.cn"))
    for index in range(threads, count):
        answered = rng.randrange(threads)
        raw.append(mail(rng, run, index, f"c{seed}.{answered}@example.cn", f"<{run}.{answered}@mail.example.cn>"))
    # A reply must not overtake its thread's first mail: new threads first, replies after, in order.
    return raw + rng.sample(raw[:threads], min(repeats, threads)), run, threads


def run_direct(batch: list[bytes]) -> list[float]:
    from kefu.connectors.email.inbound import receive_mail

    samples = []
    for raw in batch:
        began = time.perf_counter()
        receive_mail(raw)
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def run_direct_workers(raw: list[bytes], workers: int, threads: int) -> list[float]:
    """New threads spread over forked processes; the replies after them (they need their thread)."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        first = pool.map(run_direct, [raw[:threads][index::workers] for index in range(workers)])
        rest = pool.map(run_direct, [raw[threads:][index::workers] for index in range(workers)])
    return [sample for part in (*first, *rest) for sample in part]


def start_receivers(count: int, env: dict[str, str]) -> list[tuple[subprocess.Popen[bytes], int]]:
    log_dir = common.RESULTS / "email_inbound-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    receivers = []
    for index in range(count):
        port = common.free_port()
        process = subprocess.Popen(
            [str(common.ROOT / ".venv" / "bin" / "kefu"), "smtpd", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env},
            stdout=(log_dir / f"smtpd-{index}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        receivers.append((process, port))
    deadline = time.monotonic() + 60
    for process, port in receivers:
        while True:
            if process.poll() is not None:
                common.stop_servers(receivers)
                raise SystemExit(f"kefu smtpd on port {port} exited; see {log_dir}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    common.stop_servers(receivers)
                    raise SystemExit(f"kefu smtpd on port {port} did not start") from None
                time.sleep(0.2)
    return receivers


def run_smtp(raw: list[bytes], threads: int, ports: list[int], concurrency: int) -> list[float]:
    samples: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def send(batches: list[list[bytes]]) -> None:
        def worker(index: int) -> None:
            mine = []
            with smtplib.SMTP("127.0.0.1", ports[index % len(ports)], timeout=60) as client:
                for data in batches[index]:
                    began = time.perf_counter()
                    try:
                        client.sendmail("customer@example.cn", ["service@kefu.example.cn"], data)
                    except smtplib.SMTPException as error:
                        failures.append(str(error))
                    mine.append((time.perf_counter() - began) * 1000)
            with lock:
                samples.extend(mine)

        workers = [threading.Thread(target=worker, args=(index,)) for index in range(len(batches))]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()

    send([raw[:threads][index::concurrency] for index in range(concurrency)])
    send([raw[threads:][index::concurrency] for index in range(concurrency)])
    if failures:
        raise SystemExit(f"{len(failures)} mails refused, e.g. {failures[0]}")
    return samples


def check(run: str, distinct: int, threads: int, replies: int) -> dict[str, int]:
    from kefu.contacts.models import Contact, InboundItem, Message

    stored = InboundItem.objects.filter(provider="email", provider_id__startswith=f"<{run}.")
    contacts = Contact.objects.filter(
        channel="email", identity__endswith="@example.cn", messages__external_id__startswith=f"<{run}."
    ).distinct()
    return {
        "stored": stored.count(),
        "processed": stored.filter(status="processed").count(),
        "contacts": contacts.count(),
        "messages": Message.objects.filter(external_id__startswith=f"<{run}.").count(),
        "expected_stored": distinct,
        "expected_contacts": threads,
        "expected_messages": threads + replies,
    }


def environment() -> dict[str, Any]:
    """The shared helper's description of the run (it asks PostgreSQL for its version)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return common.environment()
    import sqlite3

    return {
        "database": {
            "vendor": "sqlite",
            "server": sqlite3.sqlite_version,
            "name": str(connection.settings_dict["NAME"]),
        },
        "host": {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "load_average_at_end": list(os.getloadavg()),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=common.default_url(DB))
    parser.add_argument("--mails", type=int, default=2_000, help="distinct mails")
    parser.add_argument("--replies", type=int, default=400, help="of them, replies to an earlier mail")
    parser.add_argument("--repeats", type=int, default=200, help="mails sent a second time")
    parser.add_argument("--via", choices=("smtp", "direct"), default="smtp")
    parser.add_argument("--servers", type=int, default=2, help="kefu smtpd processes (--via smtp)")
    parser.add_argument("--concurrency", type=int, default=8, help="SMTP sessions (--via smtp)")
    parser.add_argument("--workers", type=int, default=2, help="processes (--via direct)")
    parser.add_argument("--small", action="store_true", help="400 mails: a smoke run")
    parser.add_argument("--output", type=Path, default=None)
    options = parser.parse_args(argv)
    if options.small:
        options.mails, options.replies, options.repeats = 400, 80, 40
    os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
    setup(options.database_url)
    prepare()

    seed = int(time.time())
    raw, run, threads = mails(options.mails, options.replies, options.repeats, seed)
    print(
        f"{len(raw):,} mails ({options.mails:,} distinct, {options.replies:,} replies, {options.repeats:,} repeats) via {options.via}"
    )
    receivers: list[Any] = []
    if options.via == "smtp":
        env = {"DATABASE_URL": options.database_url, "KEFU_LOG_LEVEL": "WARNING"}
        receivers = start_receivers(options.servers, env)
    cpu_before = common.server_cpu_seconds([process.pid for process, _port in receivers]) if receivers else 0.0
    began = time.perf_counter()
    try:
        if options.via == "direct":
            samples = run_direct_workers(raw[: options.mails], options.workers, threads)
            samples += run_direct(raw[options.mails :])
        else:
            samples = run_smtp(raw, threads, [port for _process, port in receivers], options.concurrency)
    finally:
        elapsed = time.perf_counter() - began
        cpu = (
            common.server_cpu_seconds([process.pid for process, _port in receivers]) - cpu_before if receivers else 0.0
        )
        if receivers:
            common.stop_servers(receivers)
    rate = len(raw) / elapsed
    counts = check(run, options.mails, threads, options.replies)
    correct = (
        counts["stored"] == counts["processed"] == counts["expected_stored"]
        and counts["contacts"] == counts["expected_contacts"]
        and counts["messages"] == counts["expected_messages"]
    )
    timing = common.percentiles(samples)
    print(common.TIMING_HEADER)
    print(common.timing_row("mail", timing))
    engine = "SQLite" if options.database_url.startswith("sqlite:") else "PostgreSQL"
    cpu_note = f"; receivers' CPU {cpu / len(raw) * 1000:.1f} ms per mail" if receivers else ""
    print(f"{len(raw):,} mails in {elapsed:.1f} s on {engine}: {rate:,.0f} mails/s{cpu_note} ({os.cpu_count()} CPUs)")
    print(f"stored {counts['stored']:,}/{counts['expected_stored']:,}, contacts {counts['contacts']:,}/{counts['expected_contacts']:,}, "
          f"messages {counts['messages']:,}/{counts['expected_messages']:,}")  # fmt: skip
    passed = rate >= TARGET_PER_SECOND and correct
    print(
        common.verdict(
            f">= {TARGET_PER_SECOND:.0f} mails/s, each stored once, replies threaded", passed, f"{rate:,.0f} mails/s"
        )
    )
    common.write_results(
        "email_inbound",
        {
            "via": options.via,
            "database": engine,
            "servers": options.servers if options.via == "smtp" else 0,
            "concurrency": options.concurrency if options.via == "smtp" else options.workers,
            "mails": len(raw),
            "seconds": round(elapsed, 2),
            "per_second": round(rate, 1),
            "timing": timing,
            "counts": counts,
            "passed": passed,
            **environment(),
        },
        options.output,
    )
    return common.fail_exit(passed)


if __name__ == "__main__":
    sys.exit(main())
