"""Back up and restore everything a running site needs, as one archive (docs/backup.md).

The database alone is not enough: uploaded documents live in MEDIA_ROOT and the secret key
(which signs sessions and tokens) in VAR_DIR/secret_key. The archive holds all three:

    MANIFEST.json           what the archive is (format, when, which database format)
    database.sqlite3        SQLite: a consistent copy through SQLite's online backup API
    database.json           any other database: Django's dumpdata of every app
    uploads/...             MEDIA_ROOT, file by file
    secret_key              VAR_DIR/secret_key, when the key is read from that file

PostgreSQL is backed up with dumpdata rather than pg_dump: the archive then needs no client
tools of the server's exact version and restores into any database the app supports; an
operator with a very large database can use pg_dump alongside (docs/backup.md).

A restore never sends the backup's waiting emails again: they were written before the
backup and may have gone out since, so they are held for the administrator to look at.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import stat
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from . import memo

FORMAT = 1
MANIFEST = "MANIFEST.json"
UPLOADS = "uploads"
KEY_MEMBER = "secret_key"  # the archive member holding VAR_DIR/secret_key
# Tables migrate fills by itself: a database holding only these is empty.
FILLED_BY_MIGRATE = {"contenttypes.contenttype", "auth.permission"}
# Sessions are not kept: a restored site asks everyone to sign in again.
NOT_DUMPED = ["contenttypes", "auth.permission", "sessions"]
# Above any retry limit (the field's largest value), so no delivery path claims the email.
HELD_NOTE = "Held at restore: it was waiting when the backup was made and may have gone out."


class BackupError(Exception):
    """The backup or restore cannot go ahead; the message says why, nothing was changed."""


@dataclass
class Restored:
    database_format: str
    uploads: int
    secret_key: bool
    held_emails: list[tuple[int, dt.datetime]]
    created_at: str


def secret_key_file() -> Path:
    return Path(settings.VAR_DIR) / KEY_MEMBER


def _database_format() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "json"


def backup(target: Path, *, database_format: str | None = None, overwrite: bool = False) -> int:
    """Write the archive to ``target`` (owner-only); the number of uploaded files in it."""
    database_format = database_format or _database_format()
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists already; choose another name (or --force).")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="np-backup-") as work:
        work_dir = Path(work)
        if database_format == "sqlite":
            if connection.vendor != "sqlite":
                raise BackupError("The sqlite format is for an SQLite database only.")
            db_file = work_dir / "database.sqlite3"
            _sqlite_copy(str(connection.settings_dict["NAME"]), str(db_file))
        else:
            db_file = work_dir / "database.json"
            call_command(
                "dumpdata",
                natural_foreign=True,
                exclude=NOT_DUMPED,
                output=str(db_file),
                verbosity=0,
            )
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": database_format,
            "vendor": connection.vendor,
            "secret_key": secret_key_file().exists(),
        }
        # Written next to the target and renamed at the end: a failed backup leaves no
        # half archive where the good one is expected; owner-only, as it holds everything.
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        count = 0
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
                _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
                archive.add(db_file, arcname=db_file.name)
                count = _add_uploads(archive)
                if manifest["secret_key"]:
                    archive.add(secret_key_file(), arcname=KEY_MEMBER)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    return count


def _sqlite_copy(source: str, dest: str) -> None:
    """A consistent copy of a live SQLite database (writers may carry on meanwhile)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(dest)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def _add_uploads(archive: tarfile.TarFile) -> int:
    root = Path(settings.MEDIA_ROOT)
    count = 0
    if not root.is_dir():
        return 0
    for path in sorted(root.rglob("*")):
        # A partial file (a write under way) is not a document yet.
        if path.is_file() and not path.is_symlink() and not path.name.startswith(".partial-"):
            archive.add(path, arcname=f"{UPLOADS}/{path.relative_to(root).as_posix()}")
            count += 1
    return count


def database_is_empty() -> bool:
    """True when no table holds a row beyond what migrate puts there itself."""
    existing = set(connection.introspection.table_names())
    for model in apps.get_models():
        if model._meta.label_lower in FILLED_BY_MIGRATE or model._meta.db_table not in existing:
            continue
        if model._meta.managed and model._base_manager.exists():
            return False
    return True


def _uploads_are_empty() -> bool:
    root = Path(settings.MEDIA_ROOT)
    return not root.is_dir() or not any(p.is_file() for p in root.rglob("*"))


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"The archive holds an unsafe path ({name!r}); nothing was restored.")
    return path


def restore(source: Path, *, force: bool = False) -> Restored:
    """Restore the archive into this site's database, MEDIA_ROOT and VAR_DIR."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file.")
    try:
        # Closed by the with statement below, once it is known to open.
        archive = tarfile.open(source, mode="r:gz")  # noqa: SIM115
    except (tarfile.TarError, OSError) as e:
        raise BackupError(f"{source} is not a backup archive ({e}).") from None
    with archive, tempfile.TemporaryDirectory(prefix="np-restore-") as work:
        members = {m.name: m for m in archive.getmembers()}
        for name in members:
            _safe_name(name)
        manifest = _manifest(archive, members)
        database_format = manifest["database"]
        db_name = "database.sqlite3" if database_format == "sqlite" else "database.json"
        if db_name not in members:
            raise BackupError("The archive holds no database; nothing was restored.")
        if database_format == "sqlite" and connection.vendor != "sqlite":
            raise BackupError(
                "This archive holds an SQLite database and this site runs on "
                f"{connection.vendor}; restore it on SQLite, then move the data with "
                "`backup --format json`."
            )
        call_command("migrate", interactive=False, verbosity=0)
        if not force and not (database_is_empty() and _uploads_are_empty()):
            raise BackupError(
                "The database or the uploads folder is not empty: restoring would replace "
                "what is there. Nothing was restored. Use --force to replace it."
            )
        db_file = Path(work) / db_name
        _extract(archive, members[db_name], db_file)
        if database_format == "sqlite":
            _restore_sqlite(db_file)
            call_command("migrate", interactive=False, verbosity=0)  # an older release's
        else:
            call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", str(db_file), verbosity=0)
        uploads = _restore_uploads(archive, members)
        has_key = KEY_MEMBER in members
        if has_key:
            key = secret_key_file()
            key.parent.mkdir(parents=True, exist_ok=True)
            _extract(archive, members[KEY_MEMBER], key)
        held = hold_waiting_emails()
    # The database was replaced under the connection's feet (a file copied in): nothing
    # kept from before may be served (core.memo).
    memo.retire_all()
    return Restored(database_format, uploads, has_key, held, str(manifest["created_at"]))


def _manifest(archive: tarfile.TarFile, members: dict[str, tarfile.TarInfo]) -> dict[str, Any]:
    member = members.get(MANIFEST)
    file = archive.extractfile(member) if member is not None else None
    if file is None:
        raise BackupError("The archive has no MANIFEST.json: it is not a Next Practice backup.")
    try:
        manifest = json.loads(file.read(1_000_000))
    except ValueError:
        raise BackupError("The archive's MANIFEST.json cannot be read.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("The archive was made by a version this one cannot restore.")
    if manifest.get("database") not in {"sqlite", "json"}:
        raise BackupError("The archive's database format is unknown.")
    return manifest


def _extract(archive: tarfile.TarFile, member: tarfile.TarInfo, dest: Path) -> None:
    """One regular file, written owner-only (documents, the key and the database alike)."""
    if not member.isfile():
        raise BackupError(f"{member.name!r} in the archive is not a file; nothing more restored.")
    source = archive.extractfile(member)
    if source is None:
        raise BackupError(f"{member.name!r} in the archive cannot be read.")
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, partial = tempfile.mkstemp(dir=dest.parent, prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out)
        os.chmod(partial, stat.S_IRUSR | stat.S_IWUSR)
        os.replace(partial, dest)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def _restore_sqlite(db_file: Path) -> None:
    """Replace the live database's content with the archived copy, page by page."""
    for conn in connections.all():
        conn.close()
    _sqlite_copy(str(db_file), str(connection.settings_dict["NAME"]))


def _restore_uploads(archive: tarfile.TarFile, members: dict[str, tarfile.TarInfo]) -> int:
    root = Path(settings.MEDIA_ROOT)
    count = 0
    for name, member in members.items():
        path = _safe_name(name)
        if path.parts[0] != UPLOADS or len(path.parts) < 2 or not member.isfile():
            continue
        _extract(archive, member, root.joinpath(*path.parts[1:]))
        count += 1
    return count


def hold_waiting_emails() -> list[tuple[int, dt.datetime]]:
    """Emails waiting in a restored database are held, not sent: they may have gone out
    after the backup was made. Queued delivery tasks for them are dropped as well."""
    from django_tasks_db.models import DBTaskResult

    from .models import OutboundEmail
    from .tasks import deliver_email

    with transaction.atomic():
        # Marked as not sent, so they are listed in the admin's "emails that could not be
        # sent", where an administrator who knows they never went out sends them again.
        waiting = OutboundEmail.objects.filter(sent_at=None, failed_at=None)
        held = list(waiting.values_list("pk", "created_at"))
        waiting.update(failed_at=timezone.now(), claimed_at=None, last_error=HELD_NOTE)
        DBTaskResult.objects.filter(task_path=deliver_email.module_path, status="READY").delete()
    return held
