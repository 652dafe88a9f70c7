"""Load postcode centres from the ONS Postcode Directory or OS Code-Point Open.

Both are free to download (the README says where, and under which licence) and both give
each postcode's centre as a British National Grid easting and northing in metres:

- ONSPD: one CSV with a header row (``pcd, pcd2, pcds, dointr, doterm, ..., oseast1m,
  osnrth1m, osgrdind, ...``), every UK postcode, live and terminated. Terminated ones are
  kept: a register may still give a setting's old postcode, and its place has not moved.
  Northern Ireland's grid references are on the Irish Grid, a different projection, so its
  postcodes (BT) are skipped; so are those without a grid reference (Channel Islands, Isle
  of Man, and ``osgrdind`` 9).
- Code-Point Open: one CSV per postcode area, without a header (postcode, positional
  quality, easting, northing, country, ...). Quality 90 means no coordinates: skipped. The
  separate column-headers file's row (``PC,PQ,EA,NO,...``), if it is given, is skipped.

Each file's format is told from its first row. Files are read a row at a time and written
in batches, so memory stays flat however big they are (ONSPD has 2.7 million rows). All or
nothing: everything happens in one transaction that first empties the table, so a second
load replaces the first, and a file that cannot be read, or that holds no postcode at all,
leaves the table as it was. A row that cannot be used is reported with its file, row number
and reason, and the rest are loaded; rows skipped by design are counted by reason.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from . import locations
from .models import Postcode
from .validators import normalise_postcode

ONSPD = "ONS Postcode Directory"
CODE_POINT = "OS Code-Point Open"
CODE_POINT_HEADER = ["PC", "PQ", "EA", "NO"]
BATCH = 5000
PROGRESS_EVERY = 100_000
# Inside the British National Grid (metres); the same bounds as a GIAS row's.
MAX_EASTING, MAX_NORTHING = 700_000, 1_300_000
DIGITS = re.compile(r"^[0-9]{1,7}$")


class PostcodeFileError(Exception):
    """A file cannot be read as either format; nothing was changed."""


class RowError(Exception):
    pass


@dataclass
class PostcodeReport:
    formats: dict[str, str] = field(default_factory=dict)  # file name -> format
    rows: int = 0
    loaded: int = 0
    terminated: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    located: locations.Located = field(default_factory=locations.Located)


@dataclass(frozen=True)
class Layout:
    """Where a file keeps what we read, and whether its first row is data."""

    format: str
    postcode: int
    easting: int
    northing: int
    header: bool
    doterm: int | None = None
    grid_indicator: int | None = None
    quality: int | None = None


def detect(first: Sequence[str], name: str) -> Layout:
    """The layout of a file from its first row, or PostcodeFileError."""
    header = [h.strip().lower() for h in first]
    if "oseast1m" in header and "osnrth1m" in header and ("pcds" in header or "pcd" in header):
        return Layout(
            ONSPD,
            postcode=header.index("pcds" if "pcds" in header else "pcd"),
            easting=header.index("oseast1m"),
            northing=header.index("osnrth1m"),
            header=True,
            doterm=header.index("doterm") if "doterm" in header else None,
            grid_indicator=header.index("osgrdind") if "osgrdind" in header else None,
        )
    if [h.upper() for h in header[:4]] == CODE_POINT_HEADER:
        return Layout(CODE_POINT, 0, 2, 3, header=True, quality=1)
    if len(first) >= 4 and all(DIGITS.match(v.strip()) for v in first[1:4]):
        try:
            normalise_postcode(first[0])
        except ValidationError:
            pass
        else:
            return Layout(CODE_POINT, 0, 2, 3, header=False, quality=1)
    raise PostcodeFileError(
        f"{name}: this is neither the ONS Postcode Directory (a header row naming pcds, "
        "oseast1m and osnrth1m) nor OS Code-Point Open (rows of postcode, quality, easting, "
        "northing without a header). Nothing was changed."
    )


def _grid(value: str, column: str, top: int) -> int:
    value = value.strip()
    if not DIGITS.match(value):
        raise RowError(f"{column} {_shown(value)} is not a grid reference in metres")
    number = int(value)
    if number > top:
        raise RowError(f"{column} {number} lies outside the British National Grid")
    return number


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _field(row: Sequence[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def parse_row(row: Sequence[str], layout: Layout) -> tuple[str, int, int] | str:
    """(postcode, easting, northing), or the reason the row is skipped; RowError when it
    is wrong."""
    width = max(layout.postcode, layout.easting, layout.northing) + 1
    if len(row) < width:
        raise RowError(f"it has {len(row)} fields, fewer than the {width} needed")
    raw = row[layout.postcode]
    if "\x00" in raw:
        raise RowError("the postcode holds a NUL character")
    try:
        postcode = normalise_postcode(raw)
    except ValidationError:
        raise RowError(f"postcode {_shown(raw)} is not a UK postcode") from None
    if postcode.startswith("BT"):
        return "in Northern Ireland (Irish Grid)"
    if _field(row, layout.quality) == "90":
        return "no coordinates (quality 90)"
    if _field(row, layout.grid_indicator) == "9":
        return "no grid reference"
    easting_text, northing_text = row[layout.easting].strip(), row[layout.northing].strip()
    if not easting_text or not northing_text:
        return "no grid reference"
    easting = _grid(easting_text, "easting", MAX_EASTING)
    northing = _grid(northing_text, "northing", MAX_NORTHING)
    if easting == 0 and northing == 0:
        return "no grid reference"
    return postcode, easting, northing


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    number = 0
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            for number, row in enumerate(csv.reader(file), start=1):
                yield number, row
    except OSError as e:
        raise PostcodeFileError(
            f"{path}: cannot be read ({e.strerror}). Nothing was changed."
        ) from None
    except UnicodeDecodeError:
        raise PostcodeFileError(
            f"{path}, after row {number}: not UTF-8 text (a spreadsheet, or still zipped?). "
            "Nothing was changed."
        ) from None
    except csv.Error as e:
        raise PostcodeFileError(
            f"{path}, row {number + 1}: not valid CSV ({e}). Nothing was changed."
        ) from None


def load(
    paths: Sequence[Path],
    rejected: Callable[[str, int, str], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> PostcodeReport:
    """Replace the postcode table with the files' postcodes and locate the settings that
    had no location or an approximate one. ``rejected(file, row, reason)`` is called for
    each row that cannot be used, ``progress(rows read)`` every PROGRESS_EVERY rows."""
    report = PostcodeReport()
    with transaction.atomic():
        Postcode.objects.all().delete()
        batch: list[Postcode] = []
        for path in paths:
            layout: Layout | None = None
            for number, row in _rows(path):
                if layout is None:
                    layout = detect(row, str(path))
                    report.formats[str(path)] = layout.format
                    if layout.header:
                        continue
                report.rows += 1
                if progress is not None and report.rows % PROGRESS_EVERY == 0:
                    progress(report.rows)
                try:
                    parsed = parse_row(row, layout)
                except RowError as e:
                    report.rejected += 1
                    if rejected is not None:
                        rejected(str(path), number, str(e))
                    continue
                if isinstance(parsed, str):
                    report.skipped[parsed] += 1
                    continue
                if _field(row, layout.doterm):
                    report.terminated += 1
                batch.append(Postcode(postcode=parsed[0], easting=parsed[1], northing=parsed[2]))
                if len(batch) >= BATCH:
                    _flush(batch)
            if layout is None:
                raise PostcodeFileError(f"{path}: the file is empty. Nothing was changed.")
        _flush(batch)
        report.loaded = Postcode.objects.count()
        accepted = report.rows - report.rejected - sum(report.skipped.values())
        report.duplicates = accepted - report.loaded
        if not report.loaded:
            # Never replace a table with nothing: a wrong file would wipe the locations.
            raise PostcodeFileError(
                "The files hold no postcode with coordinates. Nothing was changed."
            )
        report.located = locations.relocate()
    return report


def _flush(batch: list[Postcode]) -> None:
    # A postcode given twice (in two files) keeps its first row.
    Postcode.objects.bulk_create(batch, batch_size=BATCH, ignore_conflicts=True)
    batch.clear()
