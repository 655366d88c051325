"""`kefu seed [--customers N] [--lean]`: load (or complete) the demo operator."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kefu.demo.contact_center import seed_contact_center
from kefu.demo.seed import DEFAULT_CUSTOMERS, seed_demo
from kefu.knowledge.demo import load_demo_content


class Command(BaseCommand):
    help = (
        "Load the demo operator: 南京 and 苏州 with their service areas, 60 staff (password "
        "Kefu!2026demo), the product catalog and N customers with lines, bills and usage. "
        "Safe to run again: only what is missing is created."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers", type=int, default=DEFAULT_CUSTOMERS,
            help=f"how many customers the operator should have (default {DEFAULT_CUSTOMERS:,})",
        )  # fmt: skip
        parser.add_argument(
            "--no-knowledge", action="store_true", help="skip the knowledge base demo content",
        )  # fmt: skip
        parser.add_argument(
            "--lean", action="store_true",
            help="customers with contact numbers and addresses only (fast; for benchmarks)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        if options["customers"] < 0:
            self.stderr.write("--customers must be 0 or more")
            raise SystemExit(2)
        verbose = options["verbosity"] >= 1
        summary = seed_demo(options["customers"], lean=options["lean"], progress=self.stdout.write if verbose else None)
        if verbose:
            self.stdout.write(self.style.SUCCESS(str(summary)))
        if options["lean"]:
            return
        queues = seed_contact_center()
        if verbose:
            self.stdout.write(f"contact center: {queues} queues and the wrap-up codes")
        if not options["no_knowledge"]:
            knowledge = load_demo_content()
            if verbose:
                self.stdout.write(f"knowledge base: {knowledge}")
