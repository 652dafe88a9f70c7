from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nextpractice.directory import gias, ofsted
from nextpractice.directory.models import Area


class Command(BaseCommand):
    help = "Import settings from Ofsted's childcare providers list (the provider-level CSV)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--area", help="Only import rows of this area's local authorities (its name)."
        )

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
            report = ofsted.import_ofsted(data, area=area)
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
            f"{report.created} created, {report.updated} updated, {report.closed} closed, "
            f"{len(report.skipped)} skipped, {len(report.rejected)} rejected, "
            f"{report.outside} of other local authorities"
        )
