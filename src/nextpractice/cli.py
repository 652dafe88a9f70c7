"""The ``nextpractice`` console script: Django's management commands with our settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nextpractice.conf.settings")
    from nextpractice.conf.env import EnvError

    try:
        import django

        django.setup()
    except EnvError as e:
        sys.stderr.write(f"nextpractice: configuration error: {e}\n")
        raise SystemExit(2) from None
    from django.core.management import execute_from_command_line

    execute_from_command_line(["nextpractice", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
