"""The worker under faults, with real worker processes: the periodic jobs pass to another
worker when their holder is killed (SIGKILL), and a worker rides out a locked SQLite
database or a PostgreSQL connection terminated under it, then does the work."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from nextpractice.conf import env
from nextpractice.core import periodic
from nextpractice.core.models import OutboundEmail, WorkerLease

from .conftest import Cast, Mailbox

T = TypeVar("T")

# Short enough for a test of seconds: a tick a second, a lease of three.
FAST = {"WORKER_TICK_SECONDS": "1", "WORKER_LEASE_SECONDS": "3", "WORKER_MAX_BACKOFF_SECONDS": "1"}


def database_url(**query: str) -> str:
    """The test database as a URL, for a worker started as its own process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        url = f"postgresql://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def start_worker(
    log: Path,
    *args: str,
    smtp_port: int | None = None,
    db_url: str | None = None,
    **extra_env: str,
) -> subprocess.Popen[str]:
    """`python -m nextpractice worker` against the test database; its output goes to ``log``
    (a file, not a pipe, so a chatty worker never blocks on a full pipe)."""
    environment = {
        **os.environ,
        "DATABASE_URL": db_url or database_url(),
        "DJANGO_SETTINGS_MODULE": "nextpractice.conf.settings",
        "LOG_LEVEL": "INFO",  # the tests read the worker's "started" and "database back"
        **extra_env,
    }
    if smtp_port is not None:
        environment |= {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_USE_TLS": "false",
        }
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "nextpractice", "worker", *args],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


def wait_for(what: Callable[[], T], seconds: float, why: str) -> T:
    """Poll until ``what()`` is truthy; fail saying ``why`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"waited {seconds} s: {why}")


def stop(worker: subprocess.Popen[str]) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)


def lease_holder() -> str:
    lease = WorkerLease.objects.filter(name=periodic.LEASE).first()
    return lease.holder if lease and lease.expires_at > timezone.now() else ""


def pid_of(holder: str) -> int:
    return int(holder.split(":")[1])  # host:pid:random


def queue_without_task(to: str) -> OutboundEmail:
    """An email only the periodic sweep can send: no delivery task is queued for it."""
    return OutboundEmail.objects.create(to=to, subject="Reminder", body="Hello")


def test_the_lease_goes_to_one_worker_and_passes_on_only_once_expired(db: Any) -> None:
    assert periodic.take_lease("host:1:a")
    assert not periodic.take_lease("host:2:b")  # held: no second holder
    assert periodic.take_lease("host:1:a")  # the holder renews
    expiry = WorkerLease.objects.get().expires_at
    assert not periodic.take_lease("host:2:b", now=expiry - dt.timedelta(seconds=1))
    assert periodic.take_lease("host:2:b", now=expiry)  # expired: anyone takes it over
    assert not periodic.take_lease("host:1:a", now=expiry)  # and the old holder has lost it
    periodic.release_lease("host:2:b")
    assert periodic.take_lease("host:1:a")  # released at a clean stop: free at once


def locked_job() -> int:
    raise OperationalError("database is locked")


RAN: list[str] = []


def working_job() -> int:
    RAN.append("working_job")
    return 1


def test_a_job_that_finds_the_database_locked_stops_neither_the_others_nor_the_worker(
    settings: Any,
) -> None:
    settings.PERIODIC_JOBS = ["tests.test_worker.locked_job", "tests.test_worker.working_job"]
    RAN.clear()
    with pytest.raises(OperationalError):  # up to the worker, which backs off and reconnects
        periodic.run_jobs()
    assert RAN == ["working_job"]  # after the other jobs had their turn
    settings.PERIODIC_JOBS = ["tests.test_worker.working_job"] * 2
    assert periodic.run_jobs() == 2


@pytest.mark.django_db(transaction=True)
def test_when_the_lease_holder_is_killed_another_worker_runs_the_periodic_jobs(
    smtp_server: Mailbox, tmp_path: Path
) -> None:
    workers = [
        start_worker(tmp_path / f"worker{k}.log", smtp_port=smtp_server.port, **FAST)
        for k in range(2)
    ]
    try:
        holder = wait_for(lease_holder, 60, "no worker took the periodic lease")
        killed = next(w for w in workers if w.pid == pid_of(holder))
        survivor = next(w for w in workers if w is not killed)
        wait_for(
            lambda: "started" in (tmp_path / f"worker{workers.index(survivor)}.log").read_text(),
            60,
            "the second worker did not start",
        )
        killed.kill()  # SIGKILL: the lease is not released, it has to expire
        killed.wait(10)
        queue_without_task("priya@example.test")
        wait_for(lambda: smtp_server.messages, 30, "no worker ran the periodic jobs again")
        assert pid_of(lease_holder()) == survivor.pid
        assert [m["To"] for m in smtp_server.messages] == ["priya@example.test"]
        stop(survivor)
        assert survivor.returncode == 0
        assert lease_holder() == ""  # a clean stop hands the lease on at once
    finally:
        for worker in workers:
            stop(worker)
    assert OutboundEmail.objects.filter(sent_at=None).count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_worker_rides_out_a_locked_sqlite_database_then_does_the_work(
    cast: Cast, smtp_server: Mailbox, tmp_path: Path
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("a SQLite lock: the test database is not SQLite")
    from nextpractice.clusters import services

    log = tmp_path / "worker.log"
    # SQLite's busy timeout at one second, so the lock below outlasts it several times.
    worker = start_worker(log, smtp_port=smtp_server.port, db_url=database_url(timeout="1"), **FAST)
    try:
        wait_for(lease_holder, 60, "the worker did not start")
        locker = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # nobody reads or writes until it ends
        try:
            wait_for(lambda: "database locked" in log.read_text(), 30, "the worker saw no lock")
            time.sleep(2)  # a few more rounds of backing off
            assert worker.poll() is None, log.read_text()
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        services.invite(cast.cluster, cast.alice, "priya@example.test")
        wait_for(lambda: smtp_server.messages, 30, "the worker did not deliver after the lock")
        wait_for(lambda: "database back" in log.read_text(), 10, "no word of the recovery")
        assert worker.poll() is None
    finally:
        stop(worker)
    output = log.read_text()
    assert "priya" not in output and cast.alice.email not in output  # no personal data
    assert [m["To"] for m in smtp_server.messages] == ["priya@example.test"]


@pytest.mark.django_db(transaction=True)
def test_a_worker_recovers_when_postgresql_terminates_its_connection_mid_run(
    smtp_server: Mailbox, tmp_path: Path
) -> None:
    if connection.vendor != "postgresql":
        reason = "pg_terminate_backend needs PostgreSQL: DATABASE_URL is not postgresql://"
        pytest.skip(reason)  # -ra (pyproject's addopts) prints the reason
    from .test_formation import make_round

    name = f"np-worker-{os.getpid()}"
    log = tmp_path / "worker.log"
    round_ = make_round(time_limit=8)
    from nextpractice.formation import services as formation_services

    formation_services.start(round_)
    worker = start_worker(
        log, smtp_port=smtp_server.port, db_url=database_url(application_name=name), **FAST
    )
    try:
        # Mid-run: the search has begun and written its first progress.
        wait_for(
            lambda: type(round_).objects.filter(pk=round_.pk, progress__gt=0).exists(),
            90,
            "the worker never started the formation run",
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s",
                [name],
            )
            assert cursor.fetchone()[0] >= 1
        wait_for(
            lambda: type(round_).objects.filter(pk=round_.pk, status="proposed").exists(),
            60,
            "the run did not finish after its connection was terminated",
        )
        queue_without_task("priya@example.test")
        from nextpractice.core.tasks import deliver_email

        deliver_email.enqueue(OutboundEmail.objects.get().pk)
        wait_for(lambda: smtp_server.messages, 30, "the worker did not deliver afterwards")
        assert worker.poll() is None, log.read_text()
    finally:
        stop(worker)
    assert [m["To"] for m in smtp_server.messages] == ["priya@example.test"]
    assert round_.placements.exists()


def run_cli(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **extra_env}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "nextpractice", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"WORKER_TICK_SECONDS": "0"}, "WORKER_TICK_SECONDS: must be at least 1"),
        ({"WORKER_LEASE_SECONDS": "²"}, "WORKER_LEASE_SECONDS: expected a whole number"),
        (
            {"WORKER_TICK_SECONDS": "60", "WORKER_LEASE_SECONDS": "90"},
            "WORKER_LEASE_SECONDS: must be at least twice WORKER_TICK_SECONDS",
        ),
        ({"FORMATION_STALE_SECONDS": "1"}, "FORMATION_STALE_SECONDS: must be at least 2"),
        ({"WORKER_MAX_BACKOFF_SECONDS": "NaN"}, "WORKER_MAX_BACKOFF_SECONDS: expected a whole"),
    ],
)
def test_the_workers_settings_are_parsed_strictly(variables: dict[str, str], message: str) -> None:
    result = run_cli("check", **variables)
    assert result.returncode == 2
    assert message in result.stderr


def test_a_sqlite_url_takes_a_timeout_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("X_DB", f"sqlite:///{tmp_path}/np.sqlite3?timeout=3")
    config = env.database("X_DB", tmp_path / "unused")
    assert config["OPTIONS"] == {"timeout": 3, "transaction_mode": "IMMEDIATE"}
    for bad in ["timeout=²", "timeout=-1", "timeout=1e9x", "journal_mode=off"]:
        monkeypatch.setenv("X_DB", f"sqlite:///{tmp_path}/np.sqlite3?{bad}")
        with pytest.raises(env.EnvError, match="X_DB"):
            env.database("X_DB", tmp_path / "unused")
