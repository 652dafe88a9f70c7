"""Settings come from the environment and a bad value stops start-up, naming the variable."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nextpractice.conf import env


def run_cli(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **extra_env}
    for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "nextpractice", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_it_refuses_to_start_with_a_malformed_boolean_and_names_it() -> None:
    result = run_cli("check", DEBUG="perhaps")
    assert result.returncode == 2
    assert "DEBUG: expected true or false, got 'perhaps'" in result.stderr


def test_it_refuses_a_database_url_it_cannot_use() -> None:
    result = run_cli("check", DATABASE_URL="mysql://root@localhost/db")
    assert result.returncode == 2
    assert "DATABASE_URL: unsupported scheme 'mysql'" in result.stderr


def test_it_refuses_login_codes_that_live_longer_than_ten_minutes() -> None:
    result = run_cli("check", LOGIN_CODE_TIMEOUT="900")
    assert result.returncode == 2
    assert "LOGIN_CODE_TIMEOUT" in result.stderr


def test_it_reads_postgres_urls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(
        "X_DB", "postgresql://np:s%40cret@db.internal:6543/nextpractice?sslmode=require"
    )
    config = env.database("X_DB", tmp_path / "x.sqlite3")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("nextpractice", "np", "s@cret")
    assert (config["HOST"], config["PORT"]) == ("db.internal", "6543")
    assert config["OPTIONS"] == {"sslmode": "require"}


def test_it_defaults_to_sqlite_under_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("X_DB", raising=False)
    config = env.database("X_DB", tmp_path / "np.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "np.sqlite3")


def test_it_reads_secrets_from_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("X_PASSWORD_FILE", str(secret))
    assert env.string("X_PASSWORD") == "from-a-file"
    monkeypatch.setenv("X_PASSWORD", "also-set")
    with pytest.raises(env.EnvError, match="X_PASSWORD and X_PASSWORD_FILE are both set"):
        env.string("X_PASSWORD")


def test_it_generates_a_private_secret_key_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("X_SECRET", raising=False)
    key_file = tmp_path / "var" / "secret_key"
    first = env.secret_key("X_SECRET", key_file)
    assert len(first) == 64
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert env.secret_key("X_SECRET", key_file) == first
    monkeypatch.setenv("X_SECRET", "short")
    with pytest.raises(env.EnvError, match="at least 50 characters"):
        env.secret_key("X_SECRET", key_file)


@pytest.mark.parametrize(("raw", "expected"), [("yes", True), ("0", False), ("", False)])
def test_it_parses_booleans(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("X_FLAG", raw)
    assert env.boolean("X_FLAG") is expected


def test_it_rejects_whole_numbers_that_are_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_N", "ten")
    with pytest.raises(env.EnvError, match="X_N: expected a whole number, got 'ten'"):
        env.integer("X_N", 1)


# Read by others, not by our code: Django's own, and the ones tests and the benchmarks set.
NOT_OURS = {"DJANGO_SETTINGS_MODULE"}
# Listed in the README for operators, but read by a library itself, not by our settings.
READ_BY_LIBRARIES = {"NUMBA_CACHE_DIR"}
SOURCE = Path(__file__).resolve().parent.parent / "src" / "nextpractice"
README = Path(__file__).resolve().parent.parent / "README.md"
READ_STRICTLY = re.compile(
    r"\benv\.(?:string|boolean|integer|choice|path|string_list|database|secret_key)\(\s*\"([A-Z][A-Z0-9_]*)\""
)
READ_BY_HAND = re.compile(r"os\.(?:environ|getenv)\b[^\n]*?\"([A-Z][A-Z0-9_]*)\"")


def variables_in_readme() -> set[str]:
    text = README.read_text()
    section = text[text.index("## Configuration") :]
    section = section[: section.index("\n## ", 1)]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1]))
    return names


def test_every_variable_is_read_strictly_and_listed_in_the_readme() -> None:
    strict: set[str] = set()
    by_hand: dict[str, set[str]] = {}
    for path in SOURCE.rglob("*.py"):
        text = path.read_text()
        strict |= set(READ_STRICTLY.findall(text))
        for name in set(READ_BY_HAND.findall(text)) - NOT_OURS:
            by_hand.setdefault(name, set()).add(str(path.relative_to(SOURCE)))
    assert not by_hand, f"read from os.environ instead of nextpractice.conf.env: {by_hand}"
    listed = variables_in_readme()
    assert strict - listed == set(), "read but not in the README's table"
    assert listed - strict - READ_BY_LIBRARIES == set(), "in the README's table but read nowhere"


def test_it_refuses_a_log_level_it_does_not_know() -> None:
    result = run_cli("check", LOG_LEVEL="verbose")
    assert result.returncode == 2
    assert "LOG_LEVEL: expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL" in result.stderr
