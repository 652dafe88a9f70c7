"""Safe production defaults: the demo never touches real data, the data folder does not
depend on where a command starts, production says where its data lives."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

import nextpractice
from nextpractice.accounts.models import Invitation, User
from nextpractice.directory.models import Area, Setting
from nextpractice.site import demo

from .conftest import Cast, free_port, make_person

PRODUCTION_KEY = "x7#kQ2!vLm9@pR4$wZ8^nB3&cT6*hJ1(yF5)dG0-sA_eU+iO" + "qwerty"
# A checkout (the editable install `make install` makes) keeps its data in its own var/.
CHECKOUT = Path(nextpractice.__file__).resolve().parents[2]


def run_cli(
    *args: str, cwd: Path | None = None, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **extra_env}
    for name in ("DJANGO_SETTINGS_MODULE", "NEXTPRACTICE_VAR_DIR", "PRODUCTION"):
        if name not in extra_env:
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "nextpractice", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def wait_for_http(url: str, seconds: float, log: Path) -> str:
    """The body of ``url`` once the server answers; fails with the server's log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                return str(response.read().decode())
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"no answer from {url} in {seconds} s:\n{log.read_text()}")


def demo_accounts() -> int:
    return User.objects.filter(email__endswith=f"@{demo.DOMAIN}").count()


# --- The demo ---------------------------------------------------------------------------


def test_the_demo_refuses_a_database_with_real_people_and_changes_nothing(cast: Cast) -> None:
    before = (User.objects.count(), Area.objects.count(), Setting.objects.count())
    with pytest.raises(CommandError, match="not the demo's") as refused:
        call_command("demo", no_serve=True)
    assert "account(s)" in str(refused.value) and "no demo network" in str(refused.value)
    assert (User.objects.count(), Area.objects.count(), Setting.objects.count()) == before
    assert demo_accounts() == 0


def test_the_demo_refuses_its_own_database_once_a_real_area_is_in_it(db: Any) -> None:
    demo.build()
    Area.objects.create(name="Eastfield")
    with pytest.raises(CommandError, match=r"1 area\(s\) besides Northbridge"):
        call_command("demo", no_serve=True)


def test_the_demo_runs_again_on_its_own_database_after_people_tried_it(
    db: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    logins = demo.build()
    # Trying the demo out: an invitation to someone, who joins.
    Invitation.issue("priya@school.test", invited_by=User.objects.get(email=logins.coordinator))
    make_person("priya@school.test", "Priya Visitor")
    call_command("demo", no_serve=True)
    assert "already loaded" in capsys.readouterr().out


def test_the_demo_never_runs_in_production(db: Any, settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="PRODUCTION=true"):
        call_command("demo", no_serve=True)
    assert not User.objects.exists()


def test_the_demo_command_exits_non_zero_and_says_why(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/real.sqlite3"
    assert run_cli("migrate", "--verbosity", "0", DATABASE_URL=database).returncode == 0
    made = run_cli(
        "shell",
        "-c",
        "from nextpractice.accounts.models import User; "
        "User.objects.create_user('head@school.test', 'a-real-password-1')",
        DATABASE_URL=database,
    )
    assert made.returncode == 0, made.stderr
    refused = run_cli("demo", "--no-serve", DATABASE_URL=database)
    assert refused.returncode != 0
    assert "1 account(s) and 0 area(s), and no demo network" in refused.stderr
    assert "demo-only-password" not in refused.stdout  # it printed no logins either


# --- The data folder --------------------------------------------------------------------


def test_a_command_started_in_another_directory_uses_the_same_data_folder(
    tmp_path: Path,
) -> None:
    shown = run_cli(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.VAR_DIR); print(s.MEDIA_ROOT)",
        cwd=tmp_path,
        DATABASE_URL="",
    )
    assert shown.returncode == 0, shown.stderr
    var_dir, media_root = shown.stdout.strip().splitlines()[-2:]
    if (CHECKOUT / "pyproject.toml").is_file():
        assert Path(var_dir) == CHECKOUT / "var"
    else:
        assert Path(var_dir) == Path(sys.prefix).resolve() / "var" / "nextpractice"
    assert Path(media_root) == Path(var_dir) / "uploads"
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"PRODUCTION": "true"}, "NEXTPRACTICE_VAR_DIR: must be set when PRODUCTION is true"),
        ({"NEXTPRACTICE_VAR_DIR": "var"}, "NEXTPRACTICE_VAR_DIR: must be an absolute path"),
        ({"MEDIA_ROOT": "uploads"}, "MEDIA_ROOT: must be an absolute path"),
        ({"PRODUCTION": "yes please"}, "PRODUCTION: expected true or false"),
    ],
)
def test_production_names_its_data_folder(variables: dict[str, str], message: str) -> None:
    result = run_cli("check", **variables)
    assert result.returncode == 2
    assert message in result.stderr


def test_production_refuses_debug(tmp_path: Path) -> None:
    result = run_cli("check", PRODUCTION="true", NEXTPRACTICE_VAR_DIR=str(tmp_path), DEBUG="true")
    assert result.returncode == 2
    assert "DEBUG: must be false when PRODUCTION is true" in result.stderr


def test_production_with_its_data_folder_keeps_everything_there(tmp_path: Path) -> None:
    shown = run_cli(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.DATABASES['default']['NAME'])",
        cwd=CHECKOUT if CHECKOUT.is_dir() else None,
        PRODUCTION="true",
        NEXTPRACTICE_VAR_DIR=str(tmp_path / "data"),
        DATABASE_URL="",
        SECRET_KEY=PRODUCTION_KEY,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == str(tmp_path / "data" / "nextpractice.sqlite3")


# --- Migrations are their own step ------------------------------------------------------


def test_serve_refuses_a_database_that_lacks_migrations_and_changes_nothing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "new.sqlite3"
    refused = run_cli(
        "serve",
        "--bind",
        f"127.0.0.1:{free_port()}",
        "--skip-setup",
        DATABASE_URL=f"sqlite:///{database}",
    )
    assert refused.returncode != 0
    assert "Run `nextpractice migrate` once, then start the web servers" in refused.stderr
    tables = sqlite3.connect(database).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == []  # serve migrated nothing


def test_serve_starts_once_migrate_has_run(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/db.sqlite3"
    migrated = run_cli("migrate", "--verbosity", "0", DATABASE_URL=database)
    assert migrated.returncode == 0, migrated.stderr
    # Nothing alarming on a fresh database: the kept pages' cache (core.memo) is made by a
    # migration, and writes before it are not reported as a cache fault.
    assert "WARNING" not in migrated.stderr, migrated.stderr
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database,
        "NEXTPRACTICE_VAR_DIR": str(tmp_path),
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "LOG_FORMAT": "json",
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nextpractice",
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        answer = wait_for_http(f"http://127.0.0.1:{port}/healthz?token=s3cret", 60, log)
        assert answer == "ok"
        assert (tmp_path / "static").is_dir()  # serve collected the static files
    finally:
        server.terminate()
        server.wait(30)
    # LOG_FORMAT=json: gunicorn's lines too are JSON, requests without their query strings.
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("path") == "/healthz"]
    assert requests and requests[-1]["status"] == "200" and requests[-1]["method"] == "GET"
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    assert "s3cret" not in log.read_text()


# --- The forwarded protocol -------------------------------------------------------------

CLAIM_HTTPS = (
    "from django.test import Client; "
    "print(Client().get('/healthz', HTTP_X_FORWARDED_PROTO='https').status_code)"
)


@pytest.mark.parametrize(("proxies", "expected"), [("0", "301"), ("1", "200")])
def test_the_forwarded_protocol_is_believed_only_behind_a_configured_proxy(
    tmp_path: Path, proxies: str, expected: str
) -> None:
    """On HTTPS, a plain-HTTP request is sent to https://; a client that merely claims to
    be on HTTPS is sent there too, unless a proxy (which sets the header itself) is
    configured."""
    result = run_cli(
        "shell",
        "-c",
        CLAIM_HTTPS,
        SITE_URL="https://nextpractice.example",
        ALLOWED_HOSTS="testserver",
        SECRET_KEY=PRODUCTION_KEY,
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        TRUSTED_PROXY_COUNT=proxies,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


# --- The lock file ----------------------------------------------------------------------


def test_the_lock_pins_every_dependency_within_its_range() -> None:
    """`make lock` was run after the last change to pyproject.toml's dependencies."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    root = Path(__file__).resolve().parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        wanted += [Requirement(r) for r in extra]
    pinned: dict[str, str] = {}
    for line in (root / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==")
            pinned[canonicalize_name(name)] = version.strip()
    unpinned = [str(r) for r in wanted if canonicalize_name(r.name) not in pinned]
    assert unpinned == [], "not in requirements.lock: run make lock"
    outside = [
        f"{r} (locked {pinned[canonicalize_name(r.name)]})"
        for r in wanted
        if not r.specifier.contains(pinned[canonicalize_name(r.name)], prereleases=True)
    ]
    assert outside == [], "locked outside pyproject.toml's ranges: run make lock"
