"""`kefu load_knowledge`: load the demo knowledge base (articles, FAQ, diagnosis guides)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kefu.knowledge.demo import load_demo_content


class Command(BaseCommand):
    help = (
        "Load the demo operator's knowledge base: about 150 articles, 100 FAQ entries and 10 "
        "diagnosis guides. Safe to run again: only what is missing is created."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = load_demo_content()
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(str(summary)))
