from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nextpractice.directory import gias
from nextpractice.directory.models import Area


class Command(BaseCommand):
    help = "Import settings from a GIAS establishment export (CSV)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--area", help="Only import rows of this local authority.")

    def handle(self, *args: Any, **options: Any) -> None:
        area = None
        if options["area"]:
            area = Area.objects.filter(name__iexact=options["area"]).first()
            if area is None:
                raise CommandError(f"No area called {options['area']!r}")
        try:
            data = options["file"].read_bytes()
        except OSError as e:
            raise CommandError(f"Cannot read {options['file']}: {e.strerror}") from None
        try:
            report = gias.import_gias(data, area=area)
        except gias.ImportFileError as e:
            raise CommandError(f"Nothing imported: {e}") from None
        for problem in report.rejected:
            self.stdout.write(
                f"row {problem.row} (URN {problem.urn or '-'}): rejected: {problem.reason}"
            )
        for problem in report.skipped:
            self.stdout.write(
                f"row {problem.row} (URN {problem.urn or '-'}): skipped: {problem.reason}"
            )
        self.stdout.write(
            f"{report.created} created, {report.updated} updated, "
            f"{len(report.skipped)} skipped, {len(report.rejected)} rejected"
        )
