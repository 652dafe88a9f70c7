"""Periodic work: every WORKER_TICK_SECONDS, one worker runs settings.PERIODIC_JOBS.

"One worker" is a lease (a WorkerLease row: holder and expiry). Every worker asks for it at
each tick; the conditional update gives it to the holder (a renewal) or to anyone once it
has expired, never to two at once. A holder killed outright stops renewing, and another
worker takes over within WORKER_LEASE_SECONDS plus a tick: retries, reminders and digests
never stop because one worker died.

The lease is for the schedule, not for correctness: each job is idempotent (it claims what
it does atomically), so a holder that overruns its lease while another takes over sends
nothing twice. Jobs are named in settings.PERIODIC_JOBS so that an app adds its own without
core importing it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import WorkerLease

log = logging.getLogger(__name__)

LEASE = "periodic"
# Errors that mean "the database is unavailable or locked", not "this job has a bug": they
# go up to the worker's loop, which backs off and reconnects, and the tick is tried again.
DATABASE_DOWN = (OperationalError, InterfaceError)


def take_lease(holder: str, now: datetime | None = None) -> bool:
    """Take or renew the periodic lease for ``holder``; True when it holds it now."""
    now = now or timezone.now()
    until = now + timedelta(seconds=settings.WORKER_LEASE_SECONDS)
    taken = (
        WorkerLease.objects.filter(name=LEASE)
        .filter(Q(holder=holder) | Q(expires_at__lte=now))
        .update(holder=holder, expires_at=until)
    )
    if taken:
        return True
    if WorkerLease.objects.filter(name=LEASE).exists():
        return False
    try:  # the first worker ever (or after a flush): two may race here, one row wins
        with transaction.atomic():
            WorkerLease.objects.create(name=LEASE, holder=holder, expires_at=until)
    except IntegrityError:
        return False
    return True


def release_lease(holder: str) -> None:
    """Give the lease up at a clean stop, so another worker takes over at its next tick."""
    WorkerLease.objects.filter(name=LEASE, holder=holder).update(expires_at=timezone.now())


def run_jobs(renew: Callable[[], bool] | None = None) -> int:
    """Run every periodic job once; a failing job is logged and does not stop the rest.

    ``renew`` (the lease holder's renewal) is called between jobs, so that a long run keeps
    its lease; once it is lost, the rest is left to the new holder.
    """
    done = 0
    database_down: Exception | None = None
    for k, path in enumerate(settings.PERIODIC_JOBS):
        if renew is not None and k and not renew():
            log.info("periodic lease lost; the new holder runs the remaining jobs")
            break
        try:
            done += int(import_string(path)() or 0)
        except DATABASE_DOWN as e:
            # The kind only (a database's message can carry values). The other jobs still
            # get their turn (a lock may be one table's), and the error goes up at the end
            # so that the worker reconnects and the tick is tried again soon.
            log.warning("periodic job %s: database unavailable (%s)", path, type(e).__name__)
            database_down = e
        except Exception:
            log.exception("periodic job %s failed", path)
    if database_down is not None:
        raise database_down
    return done


def tick(holder: str) -> int | None:
    """One tick for ``holder``: the jobs' count if it holds the lease, None if another does."""
    if not take_lease(holder):
        return None
    return run_jobs(renew=lambda: take_lease(holder))
