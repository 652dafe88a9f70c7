from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from nextpractice.site import demo


def refuse_unless_demo_database() -> None:
    """Stop before writing anything (migrations included) to a database that is not the
    demo's: its shared password and printed second factor must never reach real data."""
    if settings.PRODUCTION:
        raise CommandError(
            "the demo does not run with PRODUCTION=true: it creates accounts that share a "
            "published password. Use an empty database and a separate configuration."
        )
    found = demo.foreign_data()
    if found:
        raise CommandError(
            "this database holds data that is not the demo's ("
            + "; ".join(found)
            + "), so the demo will not touch it: it creates accounts that share a published "
            "password. Point DATABASE_URL at an empty database, or for the checkout's own "
            "SQLite database delete var/ to start afresh."
        )


class Command(BaseCommand):
    help = "Prepare the database, load the demo network and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Load only; do not serve.")
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument(
            "--code",
            action="store_true",
            help="Print the demo coordinator's current two-step code, then stop.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["code"]:
            self.stdout.write(demo.current_totp_code())
            return
        refuse_unless_demo_database()
        call_command("migrate", interactive=False, verbosity=0)
        if demo.exists():
            logins = demo.logins()
            self.stdout.write("The demo network is already loaded.")
        else:
            logins = demo.build()
            self.stdout.write("Loaded the demo network: Northbridge, 60 settings, 10 clusters.")
        self.stdout.write(f"""
  Demo logins (DEMO ONLY: every account shares this password)
    password     {logins.password}
    leader       {logins.leader}   (a new head, in Riverside leaders)
    fellow       {logins.fellow}
    facilitator  {logins.facilitator}
    coordinator  {logins.coordinator}   (two-step sign-in: add the key
                 {logins.totp_secret} to an authenticator app, or run
                 .venv/bin/nextpractice demo --code for the current code)
    researcher   {logins.researcher}

  Or sign in with "Email me a sign-in code": emails are printed in this terminal.
""")
        if not options["no_serve"]:
            # A background worker beside the web server, in the same terminal: invitations
            # and formation rounds run there. Ctrl-C stops both (one process group).
            subprocess.Popen([sys.executable, "-m", "nextpractice", "worker"])
            call_command("serve", bind=options["bind"], skip_setup=False)
