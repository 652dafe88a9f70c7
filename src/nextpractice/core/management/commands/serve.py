from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the site with gunicorn (static files by whitenoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument(
            "--skip-setup", action="store_true", help="Do not run migrate and collectstatic first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["skip_setup"]:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Serving on http://{options['bind']}/ (Ctrl-C stops)")
        sys.stdout.flush()
        os.execv(  # noqa: S606 - replaces this process with gunicorn; arguments are ours
            sys.executable,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "nextpractice.wsgi:application",
                "--bind",
                options["bind"],
                "--workers",
                str(options["workers"]),
                "--access-logfile",
                "-",
                "--logger-class",
                "nextpractice.core.logging.GunicornLogger",
                # Paths only: query strings can carry tokens, and we log no personal data.
                "--access-logformat",
                '%(t)s "%(m)s %(U)s" %(s)s %(L)ss',
            ],
        )
