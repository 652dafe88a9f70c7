"""What kind of document a file really is, judged by its content, not its name. Pure.

Leaders share self-evaluations, plans, policies and bids as PDF, Word, OpenDocument, Excel
or PowerPoint files. A file is accepted only when its bytes are one of those formats and
its name's extension agrees; anything else (a renamed program, a "PDF" that is not one) is
refused with the reason.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
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
    """The document kind from the bytes, or None for anything else."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: Office 97-2003
        return LEGACY
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = z.namelist()
                if "mimetype" in names:
                    mimetype = z.read("mimetype").decode("ascii", "replace").strip()
                    return ODF.get(mimetype)
                if "[Content_Types].xml" in names:
                    for prefix, kind in OOXML.items():
                        if any(n.startswith(prefix) for n in names):
                            return kind
        except (zipfile.BadZipFile, OSError, UnicodeDecodeError):
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
