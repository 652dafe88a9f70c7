"""What an authority's IT watches: readiness for the load balancer and monitoring, logs as
JSON lines, error reports that carry no personal data."""

from __future__ import annotations

import gzip
import http.server
import json
import os
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from nextpractice.core import health, periodic
from nextpractice.core.models import OutboundEmail

from .conftest import free_port, require_tool


def run_cli(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **extra_env}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    for name in ("SENTRY_DSN", "LOG_FORMAT"):
        if name not in extra_env:
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "nextpractice", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def ready() -> tuple[int, dict[str, Any]]:
    response = Client().get("/readyz")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "private, no-store"
    return response.status_code, response.json()


# --- Readiness --------------------------------------------------------------------------


def test_it_is_ready_when_the_database_cache_and_a_worker_are_well(db: Any) -> None:
    periodic.take_lease("host:1:abc")  # a worker's heartbeat
    status, report = ready()
    assert status == 200
    assert report["status"] == "ok"
    assert set(report["checks"]) == {"database", "cache", "worker", "outbox"}
    assert all(check["ok"] for check in report["checks"].values())
    assert report["checks"]["worker"]["seconds_since_heartbeat"] < 60


def test_without_a_worker_it_stays_in_the_balancer_and_says_degraded(db: Any) -> None:
    status, report = ready()
    assert status == 200  # pages still work; emails wait
    assert report["status"] == "degraded"
    assert report["checks"]["worker"] == {"ok": False, "error": "no worker has run yet"}
    periodic.take_lease("host:1:abc")
    periodic.release_lease("host:1:abc")  # stopped, and nobody took over
    status, report = ready()
    assert report["checks"]["worker"]["error"] == "no worker is running"


def test_an_outbox_that_is_not_emptied_is_reported_without_saying_to_whom(db: Any) -> None:
    periodic.take_lease("host:1:abc")
    now = timezone.now()
    OutboundEmail.objects.create(
        to="priya@example.test",
        subject="Your code",
        body="x",
        created_at=now - timedelta(minutes=20),
    )
    # Waiting for its next try after a failure: not late.
    OutboundEmail.objects.create(
        to="bob@example.test",
        subject="Agenda",
        body="x",
        created_at=now - timedelta(hours=2),
        next_attempt_at=now + timedelta(minutes=30),
    )
    response = Client().get("/readyz")
    report = response.json()
    assert response.status_code == 200 and report["status"] == "degraded"
    outbox = report["checks"]["outbox"]
    assert outbox["ok"] is False and outbox["due"] == 1 and outbox["failed"] == 0
    assert outbox["oldest_due_seconds"] >= 20 * 60
    assert b"example.test" not in response.content and b"Your code" not in response.content


def test_a_cache_that_fails_takes_the_server_out_of_the_balancer(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(health.cache, "set", refuse)
    status, report = ready()
    assert status == 503
    assert report["status"] == "unavailable"
    assert report["checks"]["cache"] == {"ok": False, "error": "ConnectionError"}


def test_a_database_that_fails_takes_the_server_out_of_the_balancer(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Down:
        def cursor(self) -> Any:
            raise OperationalError("could not connect to server: secret-host")

    monkeypatch.setattr(health, "connection", Down())
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert b"secret-host" not in response.content


def test_readiness_runs_the_same_queries_however_long_the_outbox(
    db: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    periodic.take_lease("host:1:abc")
    with CaptureQueriesContext(connection) as empty:
        ready()
    OutboundEmail.objects.bulk_create(
        OutboundEmail(to=f"p{k}@example.test", subject="s", body="b") for k in range(50)
    )
    with django_assert_max_num_queries(len(empty.captured_queries)):
        ready()


# --- Logs -------------------------------------------------------------------------------


def test_logs_are_json_lines_when_asked_and_carry_no_tokens() -> None:
    result = run_cli(
        "shell",
        "-c",
        "import logging; logging.getLogger('nextpractice.test').warning("
        "'invitation /join/s3cret-token/ opened by user %s', 7)",
        LOG_FORMAT="json",
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["level"] == "WARNING" and line["logger"] == "nextpractice.test"
    assert line["message"] == "invitation /join/[token]/ opened by user 7"
    assert "time" in line and "s3cret" not in result.stderr


def test_a_log_format_it_does_not_know_stops_start_up() -> None:
    result = run_cli("check", LOG_FORMAT="xml")
    assert result.returncode == 2
    assert "LOG_FORMAT: expected one of plain, json" in result.stderr


def sentry_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("sentry_sdk") is not None


# --- Error reports ----------------------------------------------------------------------


@pytest.fixture
def error_collector() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback stand-in for Sentry: keeps the bodies of the reports sent to it."""
    received: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            received.append(body)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://public@127.0.0.1:{port}/1", received
    finally:
        server.shutdown()


PERSON = "alice.archer@example.test"
RAISE_AND_REPORT = """
import os, sentry_sdk
def publish_notes():
    person = os.environ['PERSON']  # what was in hand when it failed: a value, not the source
    raise ValueError('the notes could not be published')
try:
    publish_notes()
except ValueError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(10)
"""


def test_errors_are_reported_only_when_configured_and_without_personal_data(
    error_collector: tuple[str, list[bytes]],
) -> None:
    require_tool(sentry_installed(), "sentry-sdk (the sentry extra) is not installed")
    quiet = run_cli("shell", "-c", "import sys; print('sentry_sdk' in sys.modules)")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.strip().splitlines()[-1] == "False"  # not even imported

    dsn, received = error_collector
    result = run_cli("shell", "-c", RAISE_AND_REPORT, SENTRY_DSN=dsn, PERSON=PERSON)
    assert result.returncode == 0, result.stderr
    report = b"".join(received)
    assert b"the notes could not be published" in report
    assert b"publish_notes" in report  # where it happened
    assert PERSON.encode() not in report  # not what was in hand


def test_a_malformed_error_reporting_address_stops_start_up() -> None:
    require_tool(sentry_installed(), "sentry-sdk (the sentry extra) is not installed")
    result = run_cli("check", SENTRY_DSN="not a dsn")
    assert result.returncode == 2
    assert "SENTRY_DSN: cannot use it" in result.stderr
