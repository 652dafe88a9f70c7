from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nextpractice.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database, the uploaded documents and the secret key into one archive "
        "(see docs/backup.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The archive to write (.tar.gz).")
        parser.add_argument(
            "--format",
            choices=["sqlite", "json"],
            help="How the database is kept: sqlite (SQLite's online backup; the default on "
            "SQLite) or json (Django's dumpdata; the default on PostgreSQL).",
        )
        parser.add_argument("--force", action="store_true", help="Replace an existing file.")

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["file"])
        try:
            count = backup.backup(
                target, database_format=options["format"], overwrite=options["force"]
            )
        except backup.BackupError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            f"Backed up the database, {count} uploaded file(s)"
            f"{' and the secret key' if backup.secret_key_file().exists() else ''} to {target}."
        )
        if not backup.secret_key_file().exists():
            self.stdout.write(
                "The secret key comes from the environment (SECRET_KEY): keep it with the "
                "archive, or restored sessions and links will not work."
            )
