"""Readiness: can this web server serve, and is the background work keeping up?

For a load balancer and for monitoring (`/readyz`, site.views.readyz). The database and the
cache are this server's own needs: when either fails it is not ready (503) and the balancer
sends people elsewhere. The worker's heartbeat and the outbox are the deployment's: they
are reported ("degraded") without taking the server out, because a stopped worker delays
emails while every web server stays able to serve pages, and taking them all out would turn
a delay into an outage. Monitoring alerts on "degraded".

Counts and ages only: nothing about who or what.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.crypto import get_random_string

from .models import OutboundEmail, WorkerLease
from .periodic import LEASE

# An email due this long ago and still unsent means the workers are not keeping up (they
# look every second for new tasks and sweep the outbox every WORKER_TICK_SECONDS).
OUTBOX_LAG_SECONDS = 600


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as e:
        return {"ok": False, "error": type(e).__name__}
    return {"ok": True}


def _cache() -> dict[str, Any]:
    key, value = f"readyz:{get_random_string(12)}", get_random_string(12)
    try:
        cache.set(key, value, 30)
        ok = cache.get(key) == value
        cache.delete(key)
    except Exception as e:  # each cache backend raises its own kind (Redis, database)
        return {"ok": False, "error": type(e).__name__}
    return {"ok": ok} if ok else {"ok": False, "error": "value not read back"}


def _worker(now: datetime) -> dict[str, Any]:
    expires_at = WorkerLease.objects.filter(name=LEASE).values_list("expires_at", flat=True).first()
    if expires_at is None:
        return {"ok": False, "error": "no worker has run yet"}
    # The holder renews the lease at every tick: its last renewal is the heartbeat.
    heartbeat = expires_at - timedelta(seconds=settings.WORKER_LEASE_SECONDS)
    seconds = max(0, round((now - heartbeat).total_seconds()))
    if expires_at <= now:
        return {"ok": False, "error": "no worker is running", "seconds_since_heartbeat": seconds}
    return {"ok": True, "seconds_since_heartbeat": seconds}


def _outbox(now: datetime) -> dict[str, Any]:
    due = Q(sent_at=None, failed_at=None) & (Q(next_attempt_at=None) | Q(next_attempt_at__lte=now))
    figures = OutboundEmail.objects.aggregate(
        due=Count("pk", filter=due),
        oldest=Min("created_at", filter=due),
        failed=Count("pk", filter=Q(failed_at__isnull=False)),
    )
    oldest = figures["oldest"]
    lag = max(0, round((now - oldest).total_seconds())) if oldest else 0
    result = {
        "ok": lag <= OUTBOX_LAG_SECONDS,
        "due": figures["due"],
        "oldest_due_seconds": lag,
        "failed": figures["failed"],
    }
    if not result["ok"]:
        result["error"] = f"an email has waited more than {OUTBOX_LAG_SECONDS} s"
    return result


def readiness(now: datetime | None = None) -> tuple[int, dict[str, Any]]:
    """The HTTP status (200 or 503) and the report."""
    now = now or timezone.now()
    checks: dict[str, dict[str, Any]] = {"database": _database(), "cache": _cache()}
    if checks["database"]["ok"]:
        try:
            checks["worker"] = _worker(now)
            checks["outbox"] = _outbox(now)
        except DatabaseError as e:
            checks["database"] = {"ok": False, "error": type(e).__name__}
    if not (checks["database"]["ok"] and checks["cache"]["ok"]):
        return 503, {"status": "unavailable", "checks": checks}
    degraded = not all(check["ok"] for check in checks.values())
    return 200, {"status": "degraded" if degraded else "ok", "checks": checks}
