"""A storage that fails: the disk fills up half way through a document, or the upload
folder is not writable. Nothing half-written is left (no row, no partial file), what was
typed comes back, and the person is told that nothing was saved."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from nextpractice.audit.models import AuditEntry
from nextpractice.core.models import OutboundEmail
from nextpractice.core.storage import PrivateFileSystemStorage
from nextpractice.reviews import services
from nextpractice.reviews.models import DocumentVersion, Exemplar, ReviewRequest

from .conftest import Cast, client_for
from .test_reviews import new_request, pdf_bytes

PARTIAL_MODES: list[int] = []


class DiskFullStorage(PrivateFileSystemStorage):
    """Writes the first part of the file for real, then fails as a full disk does (root
    ignores folder permissions, so chmod cannot stand in for this when tests run as root)."""

    def _write(self, file: Any, content: Any) -> None:
        data = b"".join(content.chunks())
        file.write(data[: len(data) // 2])
        file.flush()
        PARTIAL_MODES.append(stat.S_IMODE(os.fstat(file.fileno()).st_mode))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def disk_full(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.test_storage_faults.DiskFullStorage"},
    }
    PARTIAL_MODES.clear()
    return tmp_path


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


STORAGE_MESSAGE = "The file could not be stored, so nothing was saved"


def test_a_full_disk_saves_nothing_keeps_what_was_typed_and_leaves_no_partial_file(
    cast: Cast, disk_full: Path
) -> None:
    response = new_request(
        client_for(cast.alice),
        cast.cluster.pk,
        title="Our SEF, spring draft",
        file=SimpleUploadedFile("sef.pdf", pdf_bytes()),
    )
    assert response.status_code == 503
    page = response.content.decode()
    assert STORAGE_MESSAGE in page and "tell the administrator" in page
    assert "Our SEF, spring draft" in page
    assert "Is my evidence for leadership convincing?" in page
    assert not ReviewRequest.objects.exists() and not DocumentVersion.objects.exists()
    assert not OutboundEmail.objects.exists() and not AuditEntry.objects.exists()
    assert files_under(disk_full) == []
    # While it existed, the partial file was the owner's only.
    assert PARTIAL_MODES == [0o600]


def test_a_full_disk_shares_no_example_and_keeps_the_note(cast: Cast, disk_full: Path) -> None:
    response = client_for(cast.alice).post(
        reverse("exemplars", args=[cast.cluster.pk]),
        {
            "title": "Our phonics policy",
            "document_kind": "sef",
            "note": "How we teach blending",
            "file": SimpleUploadedFile("policy.pdf", pdf_bytes()),
        },
    )
    assert response.status_code == 503
    page = response.content.decode()
    assert STORAGE_MESSAGE in page and "How we teach blending" in page
    assert not Exemplar.objects.exists() and files_under(disk_full) == []


def test_a_full_disk_adds_no_version(cast: Cast, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    new_request(
        client_for(cast.alice), cast.cluster.pk, file=SimpleUploadedFile("a.pdf", pdf_bytes())
    )
    review = ReviewRequest.objects.get()
    before = files_under(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.test_storage_faults.DiskFullStorage"},
    }
    response = client_for(cast.alice).post(
        reverse("review_version_add", args=[review.pk]),
        {"file": SimpleUploadedFile("v2.pdf", pdf_bytes("Version two"))},
        follow=True,
    )
    assert STORAGE_MESSAGE in response.content.decode()
    assert review.versions.count() == 1 and files_under(tmp_path) == before


def test_an_upload_folder_that_cannot_be_written_saves_nothing(
    cast: Cast, settings: Any, tmp_path: Path
) -> None:
    # A folder that cannot be created or written (here: its parent is a file, which stops
    # root too, unlike a chmod) is refused with the message, nothing saved.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker / "uploads"
    response = new_request(
        client_for(cast.alice), cast.cluster.pk, file=SimpleUploadedFile("a.pdf", pdf_bytes())
    )
    assert response.status_code == 503 and STORAGE_MESSAGE in response.content.decode()
    assert not ReviewRequest.objects.exists() and files_under(tmp_path) == [blocker]


def test_a_stored_file_is_removed_when_its_transaction_rolls_back(
    cast: Cast, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is written before the row commits; a later failure leaves no orphan."""
    settings.MEDIA_ROOT = tmp_path

    def audit_fails(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services, "record", audit_fails)
    checked = services.CheckedFile(pdf_bytes(), "policy.pdf", services.filetypes.PDF)
    with pytest.raises(RuntimeError):
        services.share_exemplar(cast.cluster, cast.alice, "Policy", "sef", "Note", upload=checked)
    assert not Exemplar.objects.exists() and files_under(tmp_path) == []


def test_stored_documents_and_their_folders_are_the_owners_only(
    cast: Cast, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    new_request(
        client_for(cast.alice), cast.cluster.pk, file=SimpleUploadedFile("a.pdf", pdf_bytes())
    )
    stored = Path(DocumentVersion.objects.get().file.path)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    assert [p.name for p in stored.parent.iterdir()] == [stored.name]  # no partial left
