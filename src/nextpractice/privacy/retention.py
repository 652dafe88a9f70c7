"""Retention: how long each kind of record is kept, and the job that removes what is older.

Periods are days, set by environment variables (settings.RETENTION_DAYS, see README); 0
keeps that kind for ever. ``apply`` is idempotent (it deletes or blanks only what is still
there past its period), runs in the worker's periodic jobs, and takes ``now`` so tests can
freeze the clock. ``nextpractice retention --dry-run`` prints what would go.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from nextpractice.audit.models import AuditEntry
from nextpractice.core.models import OutboundEmail, WorkerLease
from nextpractice.meetings.models import Note
from nextpractice.reviews.models import DocumentVersion, Exemplar
from nextpractice.support.models import HelpRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    rows: Callable[[datetime], models.QuerySet[models.Model]]
    # What happens to the rows: deleted, unless an action is given.
    action: Callable[[Any], int] | None = None


# Past work, nobody's read: these selections are by age, across every cluster.
def _notes(cutoff: datetime) -> models.QuerySet[Note]:
    return Note.objects.unscoped().filter(meeting__starts_at__lt=cutoff)


def _help(cutoff: datetime) -> models.QuerySet[HelpRequest]:
    return HelpRequest.objects.unscoped().filter(resolved_at__lt=cutoff)


def _audit(cutoff: datetime) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.unscoped().filter(created_at__lt=cutoff)


def _sent_bodies(cutoff: datetime) -> models.QuerySet[OutboundEmail]:
    return OutboundEmail.objects.filter(sent_at__lt=cutoff).filter(~Q(body="") | ~Q(html=""))


def _blank_bodies(rows: models.QuerySet[OutboundEmail]) -> int:
    # The row stays (who was sent what subject, when, for the administrator); the words go.
    return rows.update(body="", html="")


def _documents(cutoff: datetime) -> models.QuerySet[DocumentVersion]:
    return DocumentVersion.objects.unscoped().filter(request__closed_at__lt=cutoff)


def _delete_documents(rows: models.QuerySet[DocumentVersion]) -> int:
    names = set(rows.values_list("file", flat=True))
    # A version shared into the example library keeps its file: the member chose to share it.
    shared = set(Exemplar.objects.unscoped().filter(file__in=names).values_list("file", flat=True))
    count = rows.delete()[0]
    gone = sorted(name for name in names - shared if name)
    transaction.on_commit(lambda: _remove_files(gone))
    return count


def _remove_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("retention: could not delete stored file %s", name)


KINDS = [
    Kind("meeting_notes", "meeting notes (days after the meeting)", _notes),
    Kind("help_requests", "help requests (days after they were resolved)", _help),
    Kind("audit_entries", "audit entries", _audit),
    Kind("email_bodies", "sent email bodies (days after sending)", _sent_bodies, _blank_bodies),
    Kind(
        "review_documents",
        "uploaded documents of closed reviews (days after closing)",
        _documents,
        _delete_documents,
    ),
]


def periods() -> dict[str, int]:
    return {kind.key: int(settings.RETENTION_DAYS.get(kind.key, 0)) for kind in KINDS}


@transaction.atomic
def apply(now: datetime | None = None, *, dry_run: bool = False) -> dict[str, int]:
    """Remove what is past its retention period; returns the count per kind (what would go,
    with ``dry_run``)."""
    now = now or timezone.now()
    days = periods()
    counts: dict[str, int] = {}
    for kind in KINDS:
        if days[kind.key] <= 0:
            counts[kind.key] = 0
            continue
        rows = kind.rows(now - timedelta(days=days[kind.key]))
        if dry_run:
            counts[kind.key] = rows.count()
        elif kind.action is not None:
            counts[kind.key] = kind.action(rows)
        else:
            # Only the rows of this kind (cascades to their parts are not counted).
            counts[kind.key] = rows.filter().count()
            if counts[kind.key]:
                rows.delete()
    if not dry_run and any(counts.values()):
        AuditEntry.objects.create(
            actor=None,
            verb="retention.applied",
            object_type="privacy.retention",
            summary="Past their retention period: "
            + ", ".join(f"{n} {key.replace('_', ' ')}" for key, n in counts.items() if n),
        )
        log.info("retention applied: %s", counts)
    return counts


# The periodic job runs once a day, not at every tick: the periods are in days, and a run
# each minute would leave an audit entry each minute for the few rows that just expired.
RUN_EVERY = timedelta(days=1)
RUN_LEASE = "retention"


def apply_periodic(now: datetime | None = None) -> int:
    """The worker's periodic job (settings.PERIODIC_JOBS): ``apply`` once a day, however
    many workers run the jobs."""
    now = now or timezone.now()
    if not _claim_the_day(now):
        return 0
    return sum(apply(now).values())


def _claim_the_day(now: datetime) -> bool:
    until = now + RUN_EVERY
    if WorkerLease.objects.filter(name=RUN_LEASE, expires_at__lte=now).update(
        holder=RUN_LEASE, expires_at=until
    ):
        return True
    if WorkerLease.objects.filter(name=RUN_LEASE).exists():
        return False
    try:  # the first run ever: of two workers racing here, one row wins
        with transaction.atomic():
            WorkerLease.objects.create(name=RUN_LEASE, holder=RUN_LEASE, expires_at=until)
    except IntegrityError:
        return False
    return True
