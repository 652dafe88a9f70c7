"""The background worker: tasks from the database queue, and the periodic jobs.

Built on django-tasks-db's worker (its claim and its way of running a task), with a loop of
our own that survives the database going away: an OperationalError or InterfaceError
(PostgreSQL restarted, a connection terminated, SQLite locked for longer than its timeout)
closes the broken connections and waits, 1, 2, 4... up to WORKER_MAX_BACKOFF_SECONDS, before
trying again; it never ends the process. Anything else is a bug: the process exits non-zero
and its supervisor (docs/deploy.md) starts it again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import OperationalError, close_old_connections, connections
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from nextpractice.core import periodic

log = logging.getLogger("nextpractice.worker")


def close_connections() -> None:
    """Drop every connection of this process: a broken one cannot be trusted again, and the
    next query opens a fresh one."""
    for conn in connections.all(initialized_only=True):
        with contextlib.suppress(Exception):  # closing a dead connection may itself fail
            conn.close()


class ResilientWorker(Worker):
    """django-tasks-db's worker, with the periodic tick and survival of database faults."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tick_every = float(settings.WORKER_TICK_SECONDS)
        self.next_tick = 0.0  # at once: the work a dead worker left is picked up first
        self.failures = 0

    def claim_next(self) -> DBTaskResult | None:
        """The next ready task, claimed for this worker (None when there is none, or the
        queue is locked by someone else for a moment)."""
        tasks = DBTaskResult.objects.ready().filter(
            backend_name=self.backend_name, queue_name__in=self.queue_names
        )
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
        return task_result

    def periodic(self) -> None:
        if self.batch or time.monotonic() < self.next_tick:
            return
        done = periodic.tick(self.worker_id)
        # Only after a tick that ended: one cut short by the database is tried again as soon
        # as the loop has backed off.
        self.next_tick = time.monotonic() + self.tick_every
        if done:
            log.info("worker %s: periodic jobs did %d thing(s)", self.worker_id, done)

    def step(self) -> bool:
        """One turn of the loop; True when it ran a task (so there may be more waiting)."""
        close_old_connections()
        self.periodic()
        task_result = self.claim_next()
        if task_result is not None:
            self.run_task(task_result)
        close_old_connections()
        return task_result is not None

    def back_off(self, error: Exception) -> None:
        self.failures += 1
        delay = min(float(settings.WORKER_MAX_BACKOFF_SECONDS), 2.0 ** (self.failures - 1))
        # The kind of fault only: a database's message can name hosts, users or values.
        locked = (
            isinstance(error, OperationalError)
            and bool(error.args)
            and is_locked_database_exception(error)
        )
        log.warning(
            "worker %s: database %s (%s); retrying in %.0f s",
            self.worker_id,
            "locked" if locked else "unavailable",
            type(error).__name__,
            delay,
        )
        close_connections()
        time.sleep(delay)

    def run(self) -> None:
        log.info("worker %s: started", self.worker_id)
        try:
            while self.running:
                try:
                    ran = self.step()
                except periodic.DATABASE_DOWN as e:
                    self.back_off(e)
                    continue
                if self.failures:
                    log.info("worker %s: database back", self.worker_id)
                    self.failures = 0
                if self.batch and not ran:
                    return
                if self.running and not ran:
                    time.sleep(self.interval)
        finally:
            # A clean stop hands the periodic work on at once instead of after the lease.
            with contextlib.suppress(Exception):
                periodic.release_lease(self.worker_id)


class Command(BaseCommand):
    help = "Run background tasks (email delivery, formation runs) and the periodic jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run the periodic jobs once and what is waiting, then stop (cron and tests).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch = bool(options["batch"])
        # Unique across machines and restarts; the pid lets an operator find the process.
        worker_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(8)}"
        if batch:
            # A one-off run does the periodic jobs whatever the lease: they are idempotent,
            # and cron (or a test) asked for them now.
            done = periodic.run_jobs()
            if done:
                self.stdout.write(f"Caught up on {done} waiting job(s).")
        if not batch:
            # What a task would otherwise do on its clock (compiling the grouping engine,
            # counted against a formation round's time limit), started at once beside the
            # loop: emails do not wait for it, and a formation run that comes first waits
            # only for what is still compiling (numba compiles under one lock).
            for path in settings.WORKER_STARTUP:
                threading.Thread(target=import_string(path), name=path, daemon=True).start()
        worker = ResilientWorker(
            queue_names=["default"],
            interval=1.0,
            batch=batch,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()
