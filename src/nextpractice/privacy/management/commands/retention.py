from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from nextpractice.privacy import retention


class Command(BaseCommand):
    help = "Remove what is past its retention period (RETENTION_* settings); --dry-run lists it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would go, change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        counts = retention.apply(dry_run=dry_run)
        days = retention.periods()
        verb = "would go" if dry_run else "removed"
        for kind in retention.KINDS:
            period = f"kept {days[kind.key]} days" if days[kind.key] > 0 else "kept for ever"
            self.stdout.write(f"{kind.key}: {counts[kind.key]} {verb} ({kind.label}; {period})")
