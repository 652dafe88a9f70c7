"""What the two register imports' commands share (GIAS and Ofsted): read the file, bound it
to an area by name, run the same all-or-nothing import the page runs, and report every
rejected and skipped row with its number and reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nextpractice.directory import gias
from nextpractice.directory.models import Area


class RegisterImportCommand(BaseCommand):
    area_help = "Only import rows of this area's local authorities (its name)."

    def run_import(self, data: bytes, area: Area | None) -> gias.ImportReport:
        raise NotImplementedError

    def summary(self, report: gias.ImportReport) -> str:
        return (
            f"{report.created} created, {report.updated} updated, "
            f"{len(report.skipped)} skipped, {len(report.rejected)} rejected"
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--area", help=self.area_help)

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
            report = self.run_import(data, area)
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
        self.stdout.write(self.summary(report))
