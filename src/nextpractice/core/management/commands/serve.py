"""The web server: gunicorn, static files by whitenoise.

It does not migrate. Migrations are their own step (`nextpractice migrate`, once, before
the servers start or restart): several servers migrating at the same start race each other,
and a server must not change the schema under the others' feet. A server whose database
lacks migrations refuses to start, saying so, instead of serving pages that fail on the
missing tables or columns; its supervisor starts it again, and it comes up once the
migrations are in.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from nextpractice.conf import env


def unapplied_migrations() -> list[str]:
    """The migrations the code has and the database has not had yet, in order."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


class Command(BaseCommand):
    help = "Serve the site with gunicorn (static files by whitenoise); run migrate first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=env.string("BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=env.integer("WEB_WORKERS", 2, minimum=1))
        parser.add_argument(
            "--skip-setup", action="store_true", help="Do not collect static files first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            missing = unapplied_migrations()
        except DatabaseError as e:
            # The kind only: a database's message can name hosts and users.
            raise CommandError(f"cannot reach the database ({type(e).__name__})") from None
        if missing:
            shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
            raise CommandError(
                f"the database lacks {len(missing)} migration(s) ({shown}). Run "
                "`nextpractice migrate` once, then start the web servers."
            )
        if not options["skip_setup"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        # gunicorn believes X-Forwarded-Proto from loopback peers by default; without a proxy
        # configured (TRUSTED_PROXY_COUNT), it believes nobody's.
        forwarded = [] if settings.ALLAUTH_TRUSTED_PROXY_COUNT else ["--forwarded-allow-ips="]
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
                *forwarded,
            ],
        )
