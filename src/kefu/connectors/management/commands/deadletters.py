"""`kefu deadletters [list|retry|discard] [--provider P] [ids ...]`: the dead-letter list from a shell."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.contacts import deadletters
from kefu.contacts.choices import InboundStatus
from kefu.core.errors import KefuError


class Command(BaseCommand):
    help = (
        "Inbound items that failed to process. `list` shows them; `retry` processes them again through "
        "their connector (the given ids, or all of --provider / all with --all); `discard` drops the given ids. "
        "Retries and discards are audited as done by the system."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "retry", "discard"], nargs="?", default="list")
        parser.add_argument("ids", nargs="*", type=int, help="the items' ids (see `list`)")
        parser.add_argument("--provider", default="", help="only this provider (email, sms.kannel, im.wechat, ...)")
        parser.add_argument("--all", action="store_true", help="retry every dead letter (of --provider)")
        parser.add_argument("--limit", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        action, ids, provider = options["action"], options["ids"], options["provider"]
        if action == "list":
            for row in deadletters.dead_letter_rows(provider, options["limit"]):
                item = row.item
                self.stdout.write(
                    f"{item.pk}\t{item.provider}\t{item.provider_id}\t{item.received_at:%Y-%m-%d %H:%M:%S}"
                    f"\t{item.attempts}\t{item.error[:80]}\t{row.summary}"
                )
            return
        if action == "retry" and not ids:
            if not (options["all"] or provider):
                raise CommandError("name the ids to retry, or --provider P, or --all")
            ids = [item.pk for item in deadletters.dead_letters(provider, options["limit"])]
        if not ids:
            raise CommandError(f"name the ids to {action}")
        failed = 0
        for item_id in ids:
            try:
                if action == "retry":
                    item = deadletters.retry_dead_letter(item_id, by=None)
                    ok = item.status == InboundStatus.PROCESSED
                    failed += not ok
                    self.stdout.write(f"{item_id}\t{'processed' if ok else 'dead: ' + item.error[:120]}")
                else:
                    deadletters.discard_dead_letter(item_id, by=None, reason="kefu deadletters discard")
                    self.stdout.write(f"{item_id}\tdiscarded")
            except KefuError as refusal:
                failed += 1
                self.stderr.write(f"{item_id}\t{refusal.message}")
        if failed:
            raise CommandError(f"{failed} of {len(ids)} not done")
