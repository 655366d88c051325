"""`kefu voice`: run the voice gateway — the SIP user agent behind kamailio, or the ARI application."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Take calls: the SIP user agent (KEFU_SIP_*) or the Asterisk ARI application (KEFU_ARI_*)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--gateway", choices=["sip", "ari"], default=settings.KEFU_VOICE_GATEWAY)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        if options["gateway"] == "ari":
            from kefu.connectors.voice import ari as gateway
        else:
            from kefu.connectors.voice import sip as gateway  # type: ignore[no-redef]
        self.stdout.write(f"Kefu takes calls through {options['gateway']} (Ctrl+C stops)")
        try:
            gateway.run(stop)
        except KeyboardInterrupt:
            stop.set()
