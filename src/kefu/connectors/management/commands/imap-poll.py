"""`kefu imap-poll [--once]`: fetch the configured mailboxes' unseen mail (IMAP) into Kefu."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.connectors.email.imap import poll_all
from kefu.connectors.email.tasks import imap_configured


class Command(BaseCommand):
    help = (
        "Poll every mailbox configured as an IMAP channel account (else KEFU_IMAP_*): unseen mail is stored "
        "once under its Message-ID, processed like mail received over SMTP, then marked seen. Without --once, "
        "polls every KEFU_IMAP_POLL_SECONDS until stopped (the worker's scheduler does the same)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="poll once and exit (1 when a mailbox failed)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not imap_configured():
            raise CommandError("no mailbox is configured (an enabled IMAP channel account, or KEFU_IMAP_HOST)")
        stop = threading.Event()
        if not options["once"]:
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        while True:
            failed = 0
            for result in poll_all():
                if result.error:
                    failed += 1
                    self.stderr.write(f"{result.mailbox}: {result.error}")
                else:
                    self.stdout.write(
                        f"{result.mailbox}: {result.fetched} fetched, {result.stored} new, "
                        f"{result.repeats} repeats, {result.refused} refused"
                    )
            if options["once"]:
                if failed:
                    raise CommandError(f"{failed} mailbox(es) failed")
                return
            try:
                if stop.wait(settings.KEFU_IMAP_POLL_SECONDS):
                    return
            except KeyboardInterrupt:
                return
