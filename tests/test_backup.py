"""Backup and restore of everything that matters: the database, the uploaded documents and
the secret key, in one archive; a restore sends none of the backup's waiting emails."""

from __future__ import annotations

import datetime as dt
import shutil
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from nextpractice.accounts.models import User
from nextpractice.core import backup, mail
from nextpractice.core.models import OutboundEmail
from nextpractice.reviews import filetypes
from nextpractice.reviews import services as review_services
from nextpractice.reviews.models import DocumentVersion

from .conftest import Cast, Mailbox, client_for

DOCUMENT = b"%PDF-1.4 our self-evaluation, every byte of it\n" + bytes(range(256)) * 40


@pytest.fixture
def site(settings: Any, tmp_path: Path) -> Path:
    """A site's own folders: uploads and VAR_DIR (with its secret key file)."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    (settings.VAR_DIR / "secret_key").write_text("k" * 30 + "ey-of-the-backed-up-site-1234567")
    return tmp_path


def _document_and_waiting_email(cast: Cast) -> DocumentVersion:
    review = review_services.create_request(
        cast.cluster,
        cast.alice,
        kind="document",
        title="Our SEF",
        feedback_by=dt.date(2030, 1, 1),
        focus=[("Is my leadership evidence convincing?", None)],
        document_kind="sef",
        upload=review_services.CheckedFile(DOCUMENT, "sef.pdf", filetypes.PDF),
    )
    # Bob's email is waiting in the outbox (its delivery task queued); an older one went.
    OutboundEmail.objects.create(
        to=cast.fay.email,
        subject="Meeting moved",
        body="Thursday now",
        sent_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    assert OutboundEmail.objects.filter(sent_at=None, to=cast.bob.email).exists()
    return review.versions.get()


def _wipe(site: Path) -> None:
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(site / "uploads")
    (site / "var" / "secret_key").unlink()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("database_format", ["sqlite", "json"])
def test_a_restored_site_serves_the_same_document_and_holds_the_waiting_emails(
    cast: Cast, site: Path, smtp_server: Mailbox, database_format: str
) -> None:
    if database_format == "sqlite" and connection.vendor != "sqlite":
        pytest.skip("SQLite's backup API is for SQLite")
    version = _document_and_waiting_email(cast)
    waiting = set(OutboundEmail.objects.filter(sent_at=None).values_list("pk", flat=True))
    key = (site / "var" / "secret_key").read_text()
    archive = site / "site.tar.gz"
    call_command("backup", str(archive), format=database_format)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as t:
        names = t.getnames()
    assert "secret_key" in names and f"uploads/{version.file.name}" in names

    # A database that is not empty is not overwritten without --force.
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive))

    _wipe(site)
    assert not User.objects.exists()
    call_command("restore", str(archive))

    assert (site / "var" / "secret_key").read_text() == key
    assert stat.S_IMODE((site / "var" / "secret_key").stat().st_mode) == 0o600
    bob = User.objects.get(email=cast.bob.email)
    download = client_for(bob).get(
        reverse("review_download", args=[version.request_id, version.pk])
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == DOCUMENT
    # The emails that were waiting are held for the administrator, and no path sends them.
    held = OutboundEmail.objects.filter(sent_at=None)
    assert set(held.values_list("pk", flat=True)) == waiting
    assert all(e.last_error.startswith("Held at restore") for e in held)
    assert OutboundEmail.objects.exclude(sent_at=None).count() == 1  # untouched
    assert mail.deliver_pending(now=dt.datetime(2100, 1, 1, tzinfo=dt.UTC)) == 0
    held_ids = set(held.values_list("message_id", flat=True))
    for pk in waiting:
        mail.deliver(pk)
    # The worker's periodic jobs may queue and send new emails (a first check-in); none of
    # the held ones goes, and they stay held.
    call_command("worker", batch=True)
    assert not [m for m in smtp_server.messages if m["Message-ID"] in held_ids]
    assert OutboundEmail.objects.filter(pk__in=waiting, sent_at=None).count() == len(waiting)


@pytest.mark.django_db(transaction=True)
def test_the_restore_lists_the_held_emails_without_personal_data(
    cast: Cast, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _document_and_waiting_email(cast)
    waiting = list(OutboundEmail.objects.filter(sent_at=None).values_list("pk", flat=True))
    archive = site / "site.tar.gz"
    call_command("backup", str(archive))
    _wipe(site)
    capsys.readouterr()
    call_command("restore", str(archive))
    out = capsys.readouterr().out
    assert f"{len(waiting)} email(s) were waiting" in out
    assert all(f"email {pk}," in out for pk in waiting)
    assert "@example.test" not in out and "Our SEF" not in out


@pytest.mark.django_db(transaction=True)
def test_restore_with_force_replaces_a_database_that_is_not_empty(cast: Cast, site: Path) -> None:
    archive = site / "site.tar.gz"
    call_command("backup", str(archive))
    cast.alice.full_name = "Changed after the backup"
    cast.alice.save()
    call_command("restore", str(archive), force=True)
    assert User.objects.get(pk=cast.alice.pk).full_name == "Alice Archer"


def test_backup_refuses_to_overwrite_an_archive(db: Any, site: Path) -> None:
    archive = site / "site.tar.gz"
    archive.write_bytes(b"an older backup")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(archive))
    assert archive.read_bytes() == b"an older backup"


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"../escape": b"x"}, "unsafe path"),
        ({"database.json": b"[]"}, "no MANIFEST.json"),
        ({"MANIFEST.json": b'{"format": 99, "database": "json"}'}, "cannot restore"),
    ],
)
def test_a_foreign_or_hostile_archive_restores_nothing(
    db: Any, site: Path, members: dict[str, bytes], message: str
) -> None:
    import io

    archive = site / "bad.tar.gz"
    with tarfile.open(archive, "w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(archive))
    assert not (site / "escape").exists()


def test_a_file_that_is_not_an_archive_is_refused(db: Any, site: Path) -> None:
    path = site / "notes.txt"
    path.write_text("not a backup")
    with pytest.raises(CommandError, match="not a backup archive"):
        call_command("restore", str(path))


def test_the_held_note_fits_the_outbox(db: Any) -> None:
    assert len(backup.HELD_NOTE) <= OutboundEmail._meta.get_field("last_error").max_length  # type: ignore[operator]
