from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nextpractice.conf import env
from nextpractice.core import backup


class Command(BaseCommand):
    help = (
        "Restore an archive made by `backup`: database, uploaded documents and secret key. "
        "Emails that were waiting in the backup are held, not sent (see docs/backup.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The archive to restore.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database (and uploads folder) that is not empty.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = backup.restore(Path(options["file"]), force=options["force"])
        except backup.BackupError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            f"Restored the backup of {done.created_at}: the database ({done.database_format}), "
            f"{done.uploads} uploaded file(s)"
            f"{' and the secret key' if done.secret_key else ''}."
        )
        if done.secret_key and env.string("SECRET_KEY"):
            self.stdout.write(
                "SECRET_KEY is set in the environment, so the restored key file is not used: "
                "set SECRET_KEY to the value the backed-up site used."
            )
        if done.held_emails:
            # Ids and times only: subjects and addresses are personal data, and this output
            # may end up in a log.
            self.stdout.write(
                f"{len(done.held_emails)} email(s) were waiting when the backup was made. "
                "They may have been sent since, so they are held, not sent again:"
            )
            for pk, created_at in done.held_emails:
                self.stdout.write(f"  email {pk}, written {created_at:%Y-%m-%d %H:%M %Z}")
            self.stdout.write(
                "Read them in the admin (Outbound emails) and send again any still needed."
            )
        self.stdout.write("Restart the web server and the worker to use the restored site.")
