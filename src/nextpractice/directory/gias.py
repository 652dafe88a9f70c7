"""Import settings from a GIAS ("Get Information about Schools") establishment export.

All or nothing per file: an unreadable file writes nothing; a readable file imports every
good row in one transaction and reports every other row with its number and reason.
Row numbers count the header as row 1, as a spreadsheet shows them.

A coordinator's upload touches only their own area: a row belongs to it by its "LA (code)"
(one of the area's codes, set by an administrator), never by the "LA (name)" the file says,
and a URN that already belongs to a setting of another area is rejected, never moved.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from nextpractice.audit.models import record

from . import locations
from .geo import grid_to_wgs84
from .matching import site_key
from .models import Area, Setting, SettingKind
from .validators import URN_RE, normalise_postcode, normalise_urn

REQUIRED_COLUMNS = (
    "URN",
    "EstablishmentName",
    "LA (name)",
    "TypeOfEstablishment (name)",
    "EstablishmentStatus (name)",
    "Postcode",
)
OPEN_STATUSES = {"open", "open, but proposed to close"}
# Welsh local authorities carry LA codes 660-681 in GIAS.
WELSH_LA_CODES = range(660, 682)
MAX_BYTES = 50 * 1024 * 1024  # the administrator's national export
# A coordinator's upload: one local authority's export is well under 1 MB.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
LA_CODE_RE = re.compile(r"^[0-9]{3}$")
# Beyond any real establishment; also keeps the value inside a database integer.
MAX_PUPILS = 100_000


class ImportFileError(Exception):
    """The file cannot be read as a GIAS export; nothing was written."""


@dataclass
class RowProblem:
    row: int
    urn: str
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    # Settings closed because the register says they are no longer active.
    closed: int = 0
    # Rows of other local authorities in a national file: counted, not listed.
    outside: int = 0
    skipped: list[RowProblem] = field(default_factory=list)
    rejected: list[RowProblem] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


class RowError(Exception):
    pass


def decode(data: bytes, limit: int = MAX_BYTES) -> str:
    if len(data) > limit:
        raise ImportFileError(f"The file is larger than {limit // (1024 * 1024)} MB.")
    if b"\x00" in data[:4096]:
        raise ImportFileError("This is not a CSV file (it looks like a spreadsheet or binary).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # GIAS has offered Windows-1252 exports; anything else is not a GIAS file.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportFileError(
                "The file's text encoding is not UTF-8 or Windows-1252."
            ) from None


def _kind(row: dict[str, str]) -> str:
    type_name = row.get("TypeOfEstablishment (name)", "").lower()
    phase = row.get("PhaseOfEducation (name)", "").lower()
    name = row.get("EstablishmentName", "").lower()
    if "children's centre" in type_name or "childrens centre" in type_name:
        return SettingKind.CHILDRENS_CENTRE
    if "nursery school" in type_name or phase == "nursery":
        return SettingKind.NURSERY_SCHOOL
    if phase in {"primary", "middle deemed primary"}:
        return SettingKind.INFANT if "infant" in name else SettingKind.PRIMARY
    return SettingKind.OTHER


NUMBER_RE = re.compile(r"^[+-]?(?:[0-9]{1,15}(?:\.[0-9]{0,10})?|\.[0-9]{1,10})$")


def _number(value: str, column: str, cast: type) -> Any:
    value = value.strip()
    # GIAS suppresses small figures as "SUPP" and leaves unknown ones blank.
    if value == "" or value.upper() in {"SUPP", "NA", "N/A"}:
        return None
    # Plain ASCII decimals of sane length only: Python's int()/float()/Decimal() also take
    # "NaN", "inf", "1e400", other scripts' digits and 30-digit numbers that overflow the
    # database; none of those is a GIAS figure.
    if not NUMBER_RE.match(value):
        raise RowError(f"{column} is not a number ({_shown(value)})")
    try:
        number = cast(value)
    except (ValueError, InvalidOperation):
        raise RowError(f"{column} is not a number ({_shown(value)})") from None
    if isinstance(number, float) and not math.isfinite(number):
        raise RowError(f"{column} is not a number ({_shown(value)})")
    return number


def _shown(value: str) -> str:
    """A value as a row's reason quotes it: bounded, so a huge field makes no huge page."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _website(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if "://" not in value:
        value = f"http://{value}"
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise RowError(f"SchoolWebsite is not a web address ({_shown(value)})") from None
    return value


def _address(row: dict[str, str]) -> str:
    parts = [row.get(c, "").strip() for c in ("Street", "Locality", "Address3", "Town")]
    return ", ".join(p for p in parts if p)


def _england(row: dict[str, str]) -> None:
    region = row.get("GOR (name)", "").strip().lower()
    country = row.get("Country (name)", "").strip().lower()
    la_code = row.get("LA (code)", "").strip()
    if (
        "wales" in region
        or country == "wales"
        or (LA_CODE_RE.match(la_code) is not None and int(la_code) in WELSH_LA_CODES)
    ):
        raise RowError("outside England (Wales)")
    if region == "not applicable" or country in {"scotland", "northern ireland"}:
        raise RowError("outside England")


def _la_code(row: dict[str, str]) -> str:
    code = row.get("LA (code)", "").strip()
    if not LA_CODE_RE.match(code):
        raise RowError(f"LA (code) {_shown(code)} is not a local authority code")
    return code


def parse_row(row: dict[str, str]) -> dict[str, Any]:
    """A GIAS row -> Setting fields (plus the LA name). Raises RowError with the reason."""
    if any("\x00" in v for v in row.values()):
        raise RowError("a field holds a NUL character")
    urn = normalise_urn(row.get("URN", ""))
    if not URN_RE.match(urn) or not urn.isascii():
        raise RowError(f"URN {_shown(row.get('URN', ''))} is not a valid URN")
    _england(row)
    name = row.get("EstablishmentName", "").strip()
    if not name:
        raise RowError("EstablishmentName is blank")
    la_name = row.get("LA (name)", "").strip()
    if not la_name:
        raise RowError("LA (name) is blank")
    postcode = row.get("Postcode", "").strip()
    if postcode:
        try:
            postcode = normalise_postcode(postcode)
        except ValidationError:
            raise RowError(f"Postcode {_shown(postcode)} is not a UK postcode") from None
    easting = _number(row.get("Easting", ""), "Easting", float)
    northing = _number(row.get("Northing", ""), "Northing", float)
    latitude = longitude = None
    if easting is not None and northing is not None:
        if not (0 <= easting <= 700000 and 0 <= northing <= 1300000):
            raise RowError("Easting/Northing lie outside the British National Grid")
        latitude, longitude = grid_to_wgs84(easting, northing)
    size = _number(row.get("NumberOfPupils", ""), "NumberOfPupils", int)
    if size is not None and not (0 <= size <= MAX_PUPILS):
        raise RowError(f"NumberOfPupils {size} is not a number of pupils")
    fsm = _number(row.get("PercentageFSM", ""), "PercentageFSM", Decimal)
    if fsm is not None and not (0 <= fsm <= 100):
        raise RowError(f"PercentageFSM {fsm} is not a percentage")
    return {
        "urn": urn,
        "name": name[:200],
        "la_name": la_name,
        "la_code": _la_code(row),
        "kind": _kind(row),
        "address": _address(row),
        "postcode": postcode,
        "latitude": latitude,
        "longitude": longitude,
        "website": _website(row.get("SchoolWebsite", ""))[:200],
        "size": size,
        "percent_disadvantaged": fsm.quantize(Decimal("0.1")) if fsm is not None else None,
    }


UPDATED_FIELDS = [
    "urn",
    "name",
    "kind",
    "area",
    "address",
    "postcode",
    "latitude",
    "longitude",
    "location_approximate",
    "website",
    "size",
    "percent_disadvantaged",
    "is_open",
    "imported_at",
]


def import_for_area(upload: Any, area: Area, by: Any) -> ImportReport:
    """A coordinator's upload into their own area: the size is bounded before anything is
    read, and the import is recorded in the audit log."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; a GIAS export "
            "for one local authority is much smaller. Nothing was imported."
        )
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. Nothing was imported."
        )
    with transaction.atomic():
        report = import_gias(data, area=area)
        record(
            by,
            "settings.imported",
            area,
            f"Imported {report.created} new and {report.updated} updated settings; "
            f"{len(report.rejected)} rows rejected",
        )
    return report


def import_gias(data: bytes, area: Area | None = None) -> ImportReport:
    """Import a GIAS export. With ``area`` (a coordinator's upload), only rows whose LA code
    is one of the area's are imported, and a URN of another area's setting is rejected;
    without (the administrator's command), each row's LA code finds (or makes) its Area."""
    parsed, report = parse_gias(data, area)
    write_parsed(parsed, area, report)
    return report


Parsed = dict[str, tuple[int, dict[str, Any]]]


def write_parsed(parsed: Parsed, area: Area | None, report: ImportReport) -> None:
    """The writing half of an import (one transaction), after ``parse_gias``."""
    with transaction.atomic():
        if area is not None:
            _reject_other_areas(parsed, area, report)
        _write(parsed, area, report)
        # Rows without a grid reference are placed by their postcode.
        locations.relocate(Setting.objects.filter(urn__in=list(parsed)))


def _reader(data: bytes, area: Area | None) -> csv.DictReader[str]:
    text = decode(data)
    if not text.strip():
        raise ImportFileError("The file is empty.")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as e:
        raise ImportFileError(f"The file is not valid CSV: {e}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportFileError(
            "This is not a GIAS establishment export: missing column(s) " + ", ".join(missing)
        )
    if area is not None and not area.la_codes():
        raise ImportFileError(
            f"{area} has no local authority code yet, so no row can be matched to it. "
            "Ask an administrator to set it. Nothing was imported."
        )
    return reader


def check_file(data: bytes, area: Area | None) -> None:
    """The checks that need only the file's start (encoding, columns, the area's code), so a
    wrong file is refused at once, before any background import; ImportFileError."""
    _reader(data, area)


# How often (in rows) a long import reports how far it has read.
PROGRESS_EVERY = 1000


def parse_gias(
    data: bytes, area: Area | None, progress: Callable[[int], None] | None = None
) -> tuple[Parsed, ImportReport]:
    """Read every row (nothing written): the rows to import, and the report so far.
    ``progress(rows_read)`` is called every PROGRESS_EVERY rows."""
    reader = _reader(data, area)
    report = ImportReport()
    parsed: Parsed = {}
    index = 1
    try:
        for index, row in enumerate(reader, start=2):
            if progress is not None and index % PROGRESS_EVERY == 0:
                progress(index - 1)
            if None in row:  # more fields than the header names
                report.rejected.append(
                    RowProblem(index, _shown(row.get("URN") or ""), "too many fields")
                )
                continue
            urn = (row.get("URN") or "").strip()[:20]
            status = (row.get("EstablishmentStatus (name)") or "").strip()
            if status.lower() not in OPEN_STATUSES:
                report.skipped.append(
                    RowProblem(index, urn, f"not open ({_shown(status)[1:-1] or 'blank'})")
                )
                continue
            try:
                fields = parse_row({k: v or "" for k, v in row.items()})
            except RowError as e:
                report.rejected.append(RowProblem(index, urn, str(e)))
                continue
            if area is not None and fields["la_code"] not in area.la_codes():
                report.rejected.append(
                    RowProblem(
                        index,
                        urn,
                        f"in {fields['la_name'][:60]} (LA code {fields['la_code']}), "
                        f"not in {area.name}",
                    )
                )
                continue
            if fields["urn"] in parsed:
                first = parsed[fields["urn"]][0]
                report.rejected.append(
                    RowProblem(index, urn, f"URN appears twice (first on row {first})")
                )
                continue
            parsed[fields["urn"]] = (index, fields)
    except csv.Error as e:
        # All or nothing: a row the CSV reader cannot read (a field over 128 KiB, a broken
        # quote) means the file is not what it claims; nothing is imported.
        reason = (
            "a field is longer than 128 KiB"
            if "field limit" in str(e)
            else f"it is not valid CSV ({e})"
        )
        raise ImportFileError(f"Row {index + 1}: {reason}. Nothing was imported.") from None
    return parsed, report


def _reject_other_areas(parsed: Parsed, area: Area, report: ImportReport) -> None:
    """A URN that is already another area's setting is never moved by this area's upload."""
    elsewhere = Setting.objects.filter(urn__in=list(parsed)).exclude(area=area)
    for urn in elsewhere.values_list("urn", flat=True):
        if urn is not None and urn in parsed:
            row, _ = parsed.pop(urn)
            report.rejected.append(
                RowProblem(row, urn, "this URN is a setting of another area; not changed")
            )
    report.rejected.sort(key=lambda p: p.row)


def _register_values(setting: Setting) -> list[Any]:
    """What an import may change of a setting, but when it was last imported."""
    return [
        setting.area_id if name == "area" else getattr(setting, name)
        for name in UPDATED_FIELDS
        if name != "imported_at"
    ]


def _match_ofsted_sites(
    parsed: Parsed, existing: dict[str | None, Setting], area_ids: set[int]
) -> None:
    """A school already made from Ofsted's register (a nursery school, a school's nursery)
    is the same setting: same postcode and name, no GIAS URN yet (directory.matching; a
    key shared by two settings or two rows is not used)."""
    unmatched = {
        urn: site_key(f["name"], f["postcode"])
        for urn, (_, f) in parsed.items()
        if urn not in existing and f["postcode"]
    }
    if not unmatched:
        return
    postcodes = sorted({f["postcode"] for urn, (_, f) in parsed.items() if urn in unmatched})
    by_site: dict[str, list[Setting]] = {}
    for start in range(0, len(postcodes), 2000):
        for setting in Setting.objects.filter(
            area_id__in=area_ids, urn=None, postcode__in=postcodes[start : start + 2000]
        ).exclude(ofsted_urn=None):
            key = site_key(setting.name, setting.postcode)
            if key is not None:
                by_site.setdefault(key, []).append(setting)
    keys = Counter(unmatched.values())
    for urn, key in unmatched.items():
        found = by_site.get(key or "", [])
        if key and len(found) == 1 and keys[key] == 1:
            existing[urn] = found[0]


def _write(parsed: Parsed, area: Area | None, report: ImportReport) -> None:
    now = timezone.now()
    areas: dict[str, Area] = {}
    if area is not None:
        for code in area.la_codes():
            areas[code] = area
    else:
        known = list(Area.objects.all())
        for _, f in parsed.values():
            code = f["la_code"]
            if code in areas:
                continue
            match = next((a for a in known if code in a.la_codes()), None) or next(
                (a for a in known if a.name.lower() == f["la_name"].lower()), None
            )
            if match is None:
                match = Area.objects.create(name=f["la_name"][:120], la_code=code)
                known.append(match)
            areas[code] = match
    existing_by_urn = {s.urn: s for s in Setting.objects.filter(urn__in=list(parsed))}
    _match_ofsted_sites(parsed, existing_by_urn, {a.pk for a in areas.values()})
    to_create: list[Setting] = []
    changed: list[Setting] = []
    unchanged: list[Setting] = []
    for urn, (_, f) in parsed.items():
        values = {k: v for k, v in f.items() if k not in {"la_name", "la_code", "urn"}}
        values.update(area=areas[f["la_code"]], is_open=True, imported_at=now)
        if values["latitude"] is not None:  # the register's own grid reference: exact
            values["location_approximate"] = False
        setting = existing_by_urn.get(urn)
        if setting is None:
            to_create.append(Setting(urn=urn, **values))
            continue
        if setting.urn is None:  # made from Ofsted's register: now also GIAS's
            setting.urn = urn
            changed.append(setting)
            for key, value in values.items():
                if value not in (None, ""):
                    setattr(setting, key, value)
            continue
        before = _register_values(setting)
        # Keep what a leader has typed in over a blank from the register.
        for key, value in values.items():
            if value not in (None, "") or key in {"area", "is_open", "imported_at"}:
                setattr(setting, key, value)
        (unchanged if _register_values(setting) == before else changed).append(setting)
    Setting.objects.bulk_create(to_create, batch_size=500)
    # Only the settings the file changes are rewritten field by field: bulk_update's CASE
    # per field is slow (a minute for 20,000 rows on SQLite, holding the write lock), and a
    # monthly update changes few. The rest are only stamped as seen in this import.
    Setting.objects.bulk_update(changed, UPDATED_FIELDS, batch_size=100)
    pks = [s.pk for s in unchanged]
    for start in range(0, len(pks), 500):
        Setting.objects.filter(pk__in=pks[start : start + 500]).update(
            is_open=True, imported_at=now
        )
    to_update = changed + unchanged
    report.created, report.updated = len(to_create), len(to_update)
