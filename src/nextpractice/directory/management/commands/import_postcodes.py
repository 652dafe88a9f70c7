from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nextpractice.directory import postcodes


class Command(BaseCommand):
    help = (
        "Load postcode centres from the ONS Postcode Directory (ONSPD CSV) or OS Code-Point "
        "Open (its CSV files), replacing any loaded before, and locate settings from them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "files",
            nargs="+",
            type=Path,
            metavar="FILE",
            help="ONSPD's CSV, or Code-Point Open's CSV files (Data/CSV/*.csv), unzipped.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def rejected(name: str, row: int, reason: str) -> None:
            self.stdout.write(f"{name} row {row}: rejected: {reason}")

        def progress(rows: int) -> None:
            print(f"{rows:,} rows read", file=sys.stderr, flush=True)

        try:
            report = postcodes.load(options["files"], rejected, progress)
        except postcodes.PostcodeFileError as e:
            raise CommandError(str(e)) from None
        formats = ", ".join(sorted(set(report.formats.values())))
        skipped = "; ".join(f"{n:,} {why}" for why, n in sorted(report.skipped.items()))
        self.stdout.write(
            f"{report.loaded:,} postcodes loaded from {formats}"
            + (f" ({report.terminated:,} of them terminated)" if report.terminated else "")
            + f"; {sum(report.skipped.values()):,} skipped"
            + (f" ({skipped})" if skipped else "")
            + f"; {report.rejected:,} rejected"
            + (f"; {report.duplicates:,} repeated postcodes ignored" if report.duplicates else "")
            + "."
        )
        located = report.located
        self.stdout.write(
            f"Settings located: {located.exact:,} exactly, {located.approximate:,} at the "
            f"centre of their postcode district; {located.unplaced:,} could not be placed."
        )
