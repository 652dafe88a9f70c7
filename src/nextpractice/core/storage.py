"""Uploaded documents on disk: private from the first byte, never left half-written.

Django's FileSystemStorage creates the file with the process's umask (usually readable by
everyone on the machine) and only narrows it to FILE_UPLOAD_PERMISSIONS once every byte is
written; when the disk fills up half way, the partial file stays behind, world-readable.
Here the bytes go to a temporary file made owner-only (mkstemp: 0600) in the target folder,
which becomes the stored file only when complete (a hard link, so an existing file is never
replaced); on any error the temporary file is removed and the OSError goes to the caller,
which says that nothing was saved.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.core.files.utils import validate_file_name


class PrivateFileSystemStorage(FileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        mode = self.directory_permissions_mode
        os.makedirs(directory, mode=mode if mode is not None else 0o700, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=directory, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as file:
                self._write(file, content)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(partial, self.file_permissions_mode or 0o600)
            while True:
                try:
                    os.link(partial, full_path)
                except FileExistsError:
                    name = str(
                        validate_file_name(self.get_available_name(name), allow_relative_path=True)
                    )
                    full_path = self.path(name)
                else:
                    break
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
        return os.path.relpath(full_path, self.location).replace("\\", "/")

    def _write(self, file: Any, content: Any) -> None:
        """Copy the content in chunks (a separate step so a test can fail it half way)."""
        for chunk in content.chunks():
            file.write(chunk if isinstance(chunk, bytes) else chunk.encode())
