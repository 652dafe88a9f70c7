from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from nextpractice.core import periodic


class Command(BaseCommand):
    help = "Run background tasks (email delivery and the like) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run what is waiting, then stop (for cron and tests).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Work a dead worker left (emails claimed but never sent, reminders now due) is
        # picked up here first; then periodic work runs every minute from a tick task.
        done = periodic.run_jobs()
        if done:
            self.stdout.write(f"Caught up on {done} waiting job(s).")
        if not options["batch"]:
            periodic.schedule_tick()
        call_command("db_worker", batch=options["batch"], interval=1.0)
