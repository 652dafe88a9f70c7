"""A coordinator's GIAS upload, imported in the background.

A local authority's full update (20,000 rows) takes longer than the web server gives a
request, so the upload only checks the file's start and stores it; a worker imports it
(``tasks.run_settings_import``), the page shows progress and then the report.

All or nothing, and safe to run twice: rows are read first (progress is committed as it
goes), then every setting, the report, the audit entry and the state "done" are written in
one transaction, and only by the worker that holds the claim. A worker killed half way
leaves the job "running" with a heartbeat that stops; ``resume_stalled`` (a periodic job)
hands it to the next worker, which reads the file again from the start.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from nextpractice.audit.models import record

from . import gias, ofsted
from .models import Area, SettingsImport

log = logging.getLogger(__name__)

# A run whose heartbeat is older than this is taken to be dead (a kill, a lost machine);
# a live run touches it every gias.PROGRESS_EVERY rows, which takes well under a second.
STALE_AFTER = timedelta(minutes=5)


# Ofsted publishes one national file (about 70,000 rows, 40 MB); the area takes its own rows.
LIMITS = {
    SettingsImport.GIAS: gias.MAX_UPLOAD_BYTES,
    SettingsImport.OFSTED: ofsted.MAX_UPLOAD_BYTES,
}
NAMES = {SettingsImport.GIAS: "a GIAS file", SettingsImport.OFSTED: "an Ofsted childcare file"}


def start(area: Area, by: Any, upload: Any, register: str = SettingsImport.GIAS) -> SettingsImport:
    """Check the upload's size and start (encoding, columns, the area's code), store it and
    queue its import; gias.ImportFileError, with nothing stored, for a file refused."""
    limit = LIMITS[register]
    if upload.size is not None and upload.size > limit:
        raise gias.ImportFileError(
            f"The file is larger than {limit // (1024 * 1024)} MB. Nothing was imported."
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise gias.ImportFileError(
            f"The file is larger than {limit // (1024 * 1024)} MB. Nothing was imported."
        )
    if register == SettingsImport.OFSTED:
        ofsted.check_file(data, area)
    else:
        gias.check_file(data, area)
    from .tasks import run_settings_import

    with transaction.atomic():
        job = SettingsImport.objects.create(
            area=area,
            register=register,
            uploaded_by=by,
            file_name=(upload.name or "upload.csv")[:200],
            data=data,
            # Lines after the header: the rows, give or take fields with line breaks.
            rows_total=max(data.count(b"\n") - 1, 0) + (0 if data.endswith(b"\n") else 1),
        )
        record(by, "settings.import_started", area, f"Started import {job.pk} of {NAMES[register]}")
        pk = job.pk
        transaction.on_commit(lambda: run_settings_import.enqueue(pk))
    return job


def _claim(pk: int) -> SettingsImport | None:
    """Take the job if it waits, or if its runner died; one worker only (atomic update)."""
    now = timezone.now()
    claimed = (
        SettingsImport.objects.filter(pk=pk)
        .filter(
            Q(state=SettingsImport.WAITING)
            | Q(state=SettingsImport.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
        )
        .update(state=SettingsImport.RUNNING, started_at=now, heartbeat_at=now, rows_read=0)
    )
    return SettingsImport.objects.filter(pk=pk).first() if claimed else None


def run(pk: int) -> bool:
    """Import the stored file of job ``pk``; False if another worker has it or it is done."""
    job = _claim(pk)
    if job is None:
        return False
    token = job.started_at

    # On SQLite an UPDATE of the job rewrites its row, stored file and all (30 MB for
    # Ofsted's national file, 0.1 s a time): about twenty progress writes per file, however
    # long, keep the heartbeat fresh without taking most of the run.
    step = max(job.rows_total // 20, 1)
    written = [0]

    def progress(rows: int) -> None:
        if rows - written[0] < step:
            return
        written[0] = rows
        SettingsImport.objects.filter(pk=pk, started_at=token).update(
            rows_read=rows, heartbeat_at=timezone.now()
        )

    try:
        if job.register == SettingsImport.OFSTED:
            outcome = ofsted.parse_ofsted(bytes(job.data), job.area, progress)
            report = outcome.report
        else:
            parsed, report = gias.parse_gias(bytes(job.data), job.area, progress)
        with transaction.atomic():
            # Still ours? A run presumed dead and taken over must not write as well.
            current = SettingsImport.objects.select_for_update().defer("data").filter(pk=pk).first()
            if current is None or current.started_at != token or current.finished:
                return False
            if job.register == SettingsImport.OFSTED:
                ofsted.write_parsed(outcome, job.area)
            else:
                gias.write_parsed(parsed, job.area, report)
            _finish(
                current,
                SettingsImport.DONE,
                created=report.created,
                updated=report.updated,
                closed=report.closed,
                outside=report.outside,
                skipped=[[p.row, p.urn, p.reason] for p in report.skipped],
                rejected=[[p.row, p.urn, p.reason] for p in report.rejected],
                rows_read=current.rows_total,
            )
            record(
                current.uploaded_by,
                "settings.imported",
                job.area,
                f"Imported {report.created} new and {report.updated} updated settings "
                f"from {NAMES[job.register]}; {report.closed} closed; "
                f"{len(report.rejected)} rows rejected",
            )
    except gias.ImportFileError as e:
        _fail(pk, token, str(e))
    except Exception:
        # Never left "running": the coordinator is told, and may upload the file again.
        log.exception("settings import %s failed", pk)
        _fail(
            pk,
            token,
            "The import stopped because of an unexpected error. Nothing was imported. "
            "Try again; if it happens again, tell the administrator.",
        )
    return True


def _finish(job: SettingsImport, state: str, **fields: Any) -> None:
    fields.update(state=state, finished_at=timezone.now(), data=b"")
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=list(fields))


def _fail(pk: int, token: Any, error: str) -> None:
    with transaction.atomic():
        job = (
            SettingsImport.objects.select_for_update()
            .filter(pk=pk, started_at=token, state=SettingsImport.RUNNING)
            .first()
        )
        if job is not None:
            _finish(job, SettingsImport.FAILED, error=error)


def resume_stalled() -> int:
    """Periodic: queue again the imports nobody is running (a killed worker; a task lost
    before a worker took it). Each run claims atomically, so a duplicate does nothing."""
    from .tasks import run_settings_import

    now = timezone.now()
    stalled = SettingsImport.objects.filter(
        Q(state=SettingsImport.WAITING, created_at__lt=now - timedelta(minutes=1))
        | Q(state=SettingsImport.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    ).values_list("pk", flat=True)
    count = 0
    for pk in stalled:
        run_settings_import.enqueue(pk)
        count += 1
    return count
