"""What kind of document a file really is, judged by its content, not its name. Pure.

Leaders share self-evaluations, plans, policies and bids as PDF, Word, OpenDocument, Excel
or PowerPoint files. A file is accepted only when its bytes are one of those formats and
its name's extension agrees; anything else (a renamed program, a "PDF" that is not one) is
refused with the reason.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Kind:
    label: str
    extensions: tuple[str, ...]
    content_type: str


PDF = Kind("PDF", (".pdf",), "application/pdf")
DOCX = Kind(
    "Word",
    (".docx",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
XLSX = Kind(
    "Excel", (".xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)
PPTX = Kind(
    "PowerPoint",
    (".pptx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)
ODT = Kind("OpenDocument text", (".odt",), "application/vnd.oasis.opendocument.text")
ODS = Kind("OpenDocument spreadsheet", (".ods",), "application/vnd.oasis.opendocument.spreadsheet")
ODP = Kind(
    "OpenDocument presentation", (".odp",), "application/vnd.oasis.opendocument.presentation"
)
LEGACY = Kind("Office 97-2003", (".doc", ".xls", ".ppt"), "application/octet-stream")

ODF = {ODT.content_type: ODT, ODS.content_type: ODS, ODP.content_type: ODP}
OOXML = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
ALLOWED_EXTENSIONS = sorted(
    {e for k in (PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, LEGACY) for e in k.extensions}
)


class FileRefused(ValueError):
    """Why a file cannot be accepted; nothing is stored."""


def sniff(head: bytes, data: bytes) -> Kind | None:
    """The document kind from the bytes, or None for anything else. Raises FileRefused for
    an archive too large to look inside safely."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: Office 97-2003
        return LEGACY
    if head.startswith(b"PK\x03\x04"):
        return _sniff_package(data)
    return None


# Looking inside a package (OpenDocument and Office Open XML are zip files) is bounded
# three ways, because a small upload can declare, or inflate to, almost anything: an
# OpenDocument file whose ``mimetype`` entry inflated to 500 MB once took a web worker from
# 270 MB to 1 GB.
#
# - The central directory (which ``zipfile`` parses whole into memory) is checked from the
#   end record before ``zipfile`` sees it: at most MAX_ENTRIES entries in at most
#   MAX_DIRECTORY_BYTES. A long presentation has a few hundred entries; a 20 MB upload of
#   tiny entries could otherwise hold some 400,000.
# - The entries' declared uncompressed sizes add up to at most MAX_UNPACKED_BYTES. Images in
#   documents are already compressed and text compresses about tenfold, so a genuine 20 MB
#   document stays well under; whoever opens the file later is protected too.
# - The one entry read (``mimetype``, a short line of ASCII) is opened and read to at most
#   MIMETYPE_BYTES, and only when stored or deflated: ``zipfile`` decompresses deflate to
#   the size asked for, but bzip2 and LZMA whole chunks at a time. Never ``zf.read()``.
MAX_ENTRIES = 5000
MAX_DIRECTORY_BYTES = 1024 * 1024
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MIMETYPE_BYTES = 100

_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")
_END_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_TOO_BIG = (
    "This file unpacks to far more than any document we take, so we do not open it. "
    "Save it again from Word or LibreOffice, or as PDF, and upload that."
)


def _check_directory(data: bytes) -> None:
    """Refuse a package whose central directory is too large to parse, judged from its end
    record (the last 22 bytes, or up to 64 KiB earlier when the archive has a comment)."""
    at = data.rfind(_END_SIGNATURE, max(0, len(data) - _END_OF_DIRECTORY.size - 0xFFFF))
    if at < 0 or at + _END_OF_DIRECTORY.size > len(data):
        raise zipfile.BadZipFile("no end of central directory")
    _, _, _, _, entries, directory_bytes, _, _ = _END_OF_DIRECTORY.unpack_from(data, at)
    # ZIP64 is for archives beyond 4 GB or 65,535 entries, which no 20 MB document needs;
    # its own end record would override the sizes checked here, so it is refused.
    zip64 = at >= 20 and data[at - 20 : at - 16] == _ZIP64_LOCATOR_SIGNATURE
    if zip64 or entries > MAX_ENTRIES or directory_bytes > MAX_DIRECTORY_BYTES:
        raise FileRefused(_TOO_BIG)


def _sniff_package(data: bytes) -> Kind | None:
    try:
        _check_directory(data)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            entries = z.infolist()
            if len(entries) > MAX_ENTRIES:
                raise FileRefused(_TOO_BIG)
            if sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
                raise FileRefused(_TOO_BIG)
            names = {e.filename for e in entries}
            if "mimetype" in names:
                entry = z.getinfo("mimetype")
                if entry.file_size > MIMETYPE_BYTES or entry.compress_type not in {
                    zipfile.ZIP_STORED,
                    zipfile.ZIP_DEFLATED,
                }:
                    return None
                with z.open(entry) as member:
                    raw = member.read(MIMETYPE_BYTES)
                return ODF.get(raw.decode("ascii", "replace").strip())
            if "[Content_Types].xml" in names:
                for prefix, kind in OOXML.items():
                    if any(n.startswith(prefix) for n in names):
                        return kind
    except FileRefused:  # a ValueError too: said to the person, not swallowed below
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        RuntimeError,  # an encrypted entry
        NotImplementedError,  # an unknown compression method
        ValueError,
        struct.error,
    ):
        return None
    return None


def safe_name(name: str) -> str:
    """The file's own name without any folder part or odd characters, for downloads."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFKC", name)
    name = re.sub(r"[^\w.\- ()]+", "_", name).strip(" ._") or "document"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    return (stem[:100] + (f".{ext[:10]}" if ext else "")) or "document"


def check(name: str, data: bytes) -> tuple[Kind, str]:
    """The kind and safe name of an uploaded file, or FileRefused saying why."""
    if len(data) > MAX_BYTES:
        raise FileRefused(
            f"The file is {len(data) / 1024 / 1024:.1f} MB: the most we take is 20 MB."
        )
    if not data:
        raise FileRefused("The file is empty.")
    clean = safe_name(name)
    ext = "." + clean.rsplit(".", 1)[-1].lower() if "." in clean else ""
    if ext not in ALLOWED_EXTENSIONS:
        raise FileRefused(
            "Share a PDF, Word, OpenDocument, Excel or PowerPoint file "
            f"({', '.join(ALLOWED_EXTENSIONS)})."
        )
    kind = sniff(data[:8], data)
    if kind is None:
        raise FileRefused(
            f"This file's content is not a document we accept, whatever its name says "
            f"({ext}). Save it again as PDF or from Word and upload that."
        )
    if ext not in kind.extensions:
        raise FileRefused(
            f"The file is named {ext} but its content is {kind.label}: rename it or "
            "save it again in the right format."
        )
    return kind, clean
