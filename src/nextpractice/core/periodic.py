"""Periodic work, run by the worker every minute through a self-renewing task.

Each job is idempotent (it claims what it does atomically), so a tick run twice, or by
two workers at once, sends nothing twice. Jobs are named in settings.PERIODIC_JOBS so that
an app adds its own without core importing it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

TICK = timedelta(seconds=60)


def run_jobs() -> int:
    """Run every periodic job once; a failing job is logged and does not stop the rest."""
    done = 0
    for path in settings.PERIODIC_JOBS:
        try:
            done += int(import_string(path)() or 0)
        except Exception:
            log.exception("periodic job %s failed", path)
    return done


def schedule_tick() -> None:
    """Queue the next tick unless one is already waiting (one chain of ticks at a time)."""
    from django_tasks_db.models import DBTaskResult

    from .tasks import tick

    waiting = DBTaskResult.objects.filter(task_path=tick.module_path, status="READY")
    if not waiting.exists():
        tick.using(run_after=timezone.now() + TICK).enqueue()
