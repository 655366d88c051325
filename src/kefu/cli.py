"""The `kefu` command: demo, serve, worker, migrate, seed — and any Django management command.

kefu demo                 migrate, load demo data, serve web + WebSocket + worker on :8000
kefu serve [--host H] [--port P] [--workers N]
kefu worker               run background tasks (SLA scans, notifications, ...)
kefu migrate              apply database migrations
kefu seed [--customers N] load the demo operator (safe to re-run)
kefu smpp                 hold the SMPP bind: customers' SMS and delivery receipts in
kefu smtpd                receive customers' mail (SMTP/LMTP)
kefu imap-poll [--once]   fetch mail from the mailboxes configured for IMAP
kefu voice                the SIP user agent (IVR, queues) or the Asterisk ARI application
kefu deadletters list     inbound items that failed; retry or discard them
kefu <command> ...        any other Django management command (createsuperuser, shell, ...)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence


def _django(argv: Sequence[str]) -> None:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kefu", *argv])


def _serve(host: str, port: int, workers: int) -> int:
    """uvicorn with uvloop and httptools: pages, the REST API and the WebSockets of one node.

    Django has no lifespan protocol (off). `--workers N` runs N processes on one port; the
    proxy's X-Forwarded-* headers are trusted from 127.0.0.1 (KEFU_FORWARDED_ALLOW_IPS)."""
    print(f"Kefu is serving on http://{host}:{port}/  (Ctrl+C stops)", flush=True)
    command = [
        sys.executable, "-m", "uvicorn", "kefu.config.asgi:application",
        "--host", host, "--port", str(port), "--lifespan", "off", "--no-access-log",
        "--proxy-headers", "--forwarded-allow-ips", os.environ.get("KEFU_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "--log-level", os.environ.get("KEFU_SERVER_LOG_LEVEL", "warning"),
    ]  # fmt: skip
    if workers > 1:
        command += ["--workers", str(workers)]
    return subprocess.call(command)


def _worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "kefu.cli", "worker"])


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.config.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    command, rest = args[0], args[1:]

    if command in {"serve", "demo"}:
        parser = argparse.ArgumentParser(prog=f"kefu {command}")
        parser.add_argument("--host", default=os.environ.get("KEFU_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KEFU_PORT", "8000")))
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("KEFU_SERVER_WORKERS", "1")), help="server processes"
        )
        options = parser.parse_args(rest)
        if command == "demo":
            _django(["migrate", "--no-input", "-v", "1"])
            _django(["seed"])
        worker = None if options.no_worker or command == "serve" else _worker()
        try:
            return _serve(options.host, options.port, options.workers)
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=10)
    if command == "smtpd":
        import time

        import django

        django.setup()
        from kefu.connectors.email.server import start

        parser = argparse.ArgumentParser(prog="kefu smtpd")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        options = parser.parse_args(rest)
        controller = start(options.host, options.port)
        print(f"Kefu receives mail on {options.host}:{options.port} (Ctrl+C stops)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            controller.stop()
        return 0
    if command == "smpp":
        import threading

        import django

        django.setup()
        from kefu.connectors.sms.smpp import run

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        print("Kefu holds the SMPP bind (KEFU_SMPP_*); Ctrl+C stops", flush=True)
        try:
            run(stop)
        except KeyboardInterrupt:
            stop.set()
        return 0
    if command == "worker":
        import django

        django.setup()
        scheduler = None
        if "--no-scheduler" in rest:
            rest.remove("--no-scheduler")
        else:
            from kefu.config.scheduler import start_scheduler

            scheduler = start_scheduler()
        try:
            _django(["task_worker", *rest])
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
        return 0
    _django([command, *rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
