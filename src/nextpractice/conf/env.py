"""Strict parsers for settings read from the environment.

A bad value stops the process at start with a message naming the variable, instead of
surfacing later as a surprise. Every variable may also be given as ``<NAME>_FILE``, a path
to a file holding the value (for secrets mounted by the host).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import overload
from urllib.parse import parse_qsl, unquote, urlsplit


class EnvError(Exception):
    """A setting in the environment has a value we cannot use."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    path = os.environ.get(f"{name}_FILE")
    if value is not None and path is not None:
        raise EnvError(f"{name} and {name}_FILE are both set; set only one")
    if path is not None:
        try:
            return Path(path).read_text().strip()
        except OSError as e:
            raise EnvError(f"{name}_FILE: cannot read {path}: {e.strerror}") from e
    return value


def string(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value


def boolean(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise EnvError(f"{name}: expected true or false, got {value!r}")


def integer(name: str, default: int, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise EnvError(f"{name}: expected a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise EnvError(f"{name}: must be at least {minimum}, got {number}")
    return number


def choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    if value.strip() not in choices:
        raise EnvError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value.strip()


@overload
def path(name: str) -> Path | None: ...
@overload
def path(name: str, default: Path) -> Path: ...
def path(name: str, default: Path | None = None) -> Path | None:
    """An absolute path: a relative one would depend on the directory a process starts in."""
    value = _raw(name)
    if value is None or value == "":
        return default
    if not Path(value).is_absolute():
        raise EnvError(f"{name}: must be an absolute path, got {value!r}")
    return Path(value)


def string_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


def database(name: str, sqlite_path: Path) -> dict[str, object]:
    """Django's DATABASES["default"] from a URL such as postgresql://user:pw@host:5432/db."""
    value = _raw(name)
    if not value:
        return _sqlite(str(sqlite_path))
    parts = urlsplit(value)
    if parts.scheme in {"postgres", "postgresql"}:
        db_name = unquote(parts.path.lstrip("/"))
        if not db_name:
            raise EnvError(f"{name}: the URL names no database")
        try:
            port = parts.port
        except ValueError:
            raise EnvError(f"{name}: the port is not a number") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": db_name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    if parts.scheme == "sqlite":
        options = dict(parse_qsl(parts.query))
        unknown = set(options) - {"timeout"}
        if unknown:
            raise EnvError(f"{name}: SQLite takes only ?timeout=SECONDS, not {sorted(unknown)}")
        timeout = 20
        if "timeout" in options:
            if not options["timeout"].isascii() or not options["timeout"].isdigit():
                raise EnvError(f"{name}: timeout must be a whole number of seconds")
            timeout = int(options["timeout"])
        return _sqlite(unquote(parts.path), timeout)
    raise EnvError(f"{name}: unsupported scheme {parts.scheme!r}; use postgresql:// or sqlite://")


def _sqlite(path: str, timeout: int = 20) -> dict[str, object]:
    # Writers take the lock when their transaction begins (IMMEDIATE), so two never deadlock
    # upgrading read locks; a writer waits up to ``timeout`` seconds for another to finish.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {"timeout": timeout, "transaction_mode": "IMMEDIATE"},
    }


def secret_key(name: str, key_file: Path) -> str:
    """The secret key from the environment, else from key_file, generated there on first run."""
    value = _raw(name)
    if value:
        if len(value) < 50 or len(set(value)) < 5:
            raise EnvError(f"{name}: must be at least 50 characters long, and random")
        return value
    if key_file.exists():
        return key_file.read_text().strip()
    from django.utils.crypto import get_random_string

    key_file.parent.mkdir(parents=True, exist_ok=True)
    generated = get_random_string(64, "abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)")
    # Created with owner-only permissions: it signs sessions and tokens.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(generated)
    return generated
