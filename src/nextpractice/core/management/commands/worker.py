from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from nextpractice.core.mail import deliver_pending


class Command(BaseCommand):
    help = "Run background tasks (email delivery and the like) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run what is waiting, then stop (for cron and tests).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Emails a dead worker claimed but never sent are picked up here first.
        sent = deliver_pending()
        if sent:
            self.stdout.write(f"Delivered {sent} waiting email(s).")
        call_command("db_worker", batch=options["batch"], interval=1.0)
