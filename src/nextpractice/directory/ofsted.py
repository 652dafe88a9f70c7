"""Import settings from Ofsted's childcare providers register (the management-information
CSV "childcare providers and inspections", 48 columns, every field quoted).

The same contract as the GIAS import (directory.gias): all or nothing per file, every
rejected row with its number (the header is row 1) and reason, re-importing updates by
Ofsted URN, a provider no longer active is marked closed and never deleted, and a
coordinator's upload touches only their own area.

- **Active providers only.** A row whose "Provider status" is not Active is not imported;
  if it was imported before, its setting is closed. The published file lists the providers
  active on its date, so an area's provider missing from a later file is closed too.
- **Matched by LA code.** The file names the local authority in words; the name is looked
  up in the shipped table of England's authorities (directory.localauthorities) to get its
  code, and the row belongs to the area holding that code. A name not in the table is
  rejected. The national file (about 70,000 rows) is fine to upload: rows of other
  authorities are counted, not listed.
- **Childminders and home childcarers are REDACTED.** Their settings hold no personal data:
  the URN, kind, authority, places and inspection; the name is "Childminder EY123456" and
  there is no address or postcode. She gives her setting's name and postcode herself when
  she joins (PrivateSettingDetails, seen by her cluster only).
- **One setting on both registers** (directory.matching): a provider is the setting with its
  Ofsted URN; else the setting whose URN is the provider's; else the one setting of the
  area with no Ofsted URN yet at the same postcode under the same name. A school matched so
  keeps its GIAS name, kind, address and pupils; it gains the Ofsted URN and inspection.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from . import localauthorities, locations
from .gias import (
    PROGRESS_EVERY,
    ImportFileError,
    ImportReport,
    RowError,
    RowProblem,
    _number,
    _shown,
    decode,
)
from .matching import site_key
from .models import Area, Setting, SettingKind
from .validators import URN_RE, normalise_postcode, normalise_urn

REQUIRED_COLUMNS = (
    "Provider URN",
    "Provider type",
    "Provider status",
    "Provider name",
    "Postcode",
    "Local authority",
    "Places",
)
REDACTED = "REDACTED"
REDACTED_TYPES = {
    "childminder": SettingKind.CHILDMINDER,
    "home childcarer": SettingKind.HOME_CHILDCARER,
}
MAX_PLACES = 10_000
MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # the national file, for a coordinator to upload whole
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y")
BLANKS = {"", "NULL", "N/A", "NA", "NOT APPLICABLE", "NOT AVAILABLE", "-"}


@dataclass
class OfstedRow:
    row: int
    urn: str
    la_code: str
    redacted: bool
    fields: dict[str, Any]
    site: str | None


Parsed = dict[str, OfstedRow]


@dataclass
class Outcome:
    """Parsed rows, with the URNs the file says are no longer active."""

    rows: Parsed
    inactive: set[str]
    report: ImportReport
    # Every URN the file lists (rejected rows too): a provider is closed for being missing
    # from the file, never for a row the file has but could not be read.
    listed: set[str]


def _reader(data: bytes, area: Area | None) -> csv.DictReader[str]:
    text = decode(data, MAX_UPLOAD_BYTES)
    if not text.strip():
        raise ImportFileError("The file is empty.")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in reader.fieldnames or []]
    except csv.Error as e:
        raise ImportFileError(f"The file is not valid CSV: {e}") from None
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportFileError(
            "This is not Ofsted's childcare providers list: missing column(s) " + ", ".join(missing)
        )
    if area is not None and not area.la_codes():
        raise ImportFileError(
            f"{area} has no local authority code yet, so no row can be matched to it. "
            "Ask an administrator to set it. Nothing was imported."
        )
    return reader


def check_file(data: bytes, area: Area | None) -> None:
    """Encoding, columns and the area's codes, before any background import."""
    _reader(data, area)


def _date(value: str, column: str) -> dt.date | None:
    value = value.strip()
    if value.upper() in BLANKS:
        return None
    for fmt in DATE_FORMATS:
        try:
            day = dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if not (1990 <= day.year <= 2100):
            break
        return day
    raise RowError(f"{column} is not a date ({_shown(value)})")


def _kind(provider_type: str, subtype: str, name: str) -> str:
    if provider_type in REDACTED_TYPES:
        return REDACTED_TYPES[provider_type]
    if "out of school" in subtype or "holiday" in subtype:
        return SettingKind.OUT_OF_SCHOOL
    lowered = name.casefold()
    if "sessional" in subtype or any(
        w in lowered for w in ("pre-school", "preschool", "playgroup")
    ):
        return SettingKind.PRE_SCHOOL
    if "nursery school" in lowered:
        return SettingKind.NURSERY_SCHOOL
    return SettingKind.DAY_NURSERY


def _flag(value: str) -> bool:
    return value.strip().casefold() in {"y", "yes", "true", "1"}


def _registers(row: dict[str, str]) -> str:
    flags = [
        ("EYR", "Provider Early Years Register Flag"),
        ("CCR", "Provider Compulsory Childcare Register Flag"),
        ("VCR", "Provider Voluntary Childcare Register Flag"),
    ]
    named = [label for label, column in flags if _flag(row.get(column, ""))]
    return (
        ", ".join(named) if named else row.get("Individual Register combinations", "").strip()[:40]
    )


def parse_row(row: dict[str, str]) -> tuple[str, bool, dict[str, Any]]:
    """An active provider's row -> (LA code, redacted, Setting fields). RowError if bad."""
    if any("\x00" in v for v in row.values()):
        raise RowError("a field holds a NUL character")
    urn = normalise_urn(row.get("Provider URN", ""))
    if not URN_RE.match(urn) or not urn.isascii():
        raise RowError(f"Provider URN {_shown(row.get('Provider URN', ''))} is not a valid URN")
    la_name = row.get("Local authority", "").strip()
    la_code = localauthorities.code_for_name(la_name)
    if la_code is None:
        raise RowError(f"Local authority {_shown(la_name)} is not an English local authority")
    provider_type = row.get("Provider type", "").strip().casefold()
    subtype = row.get("Provider subtype", "").strip().casefold()
    name = row.get("Provider name", "").strip()
    redacted = provider_type in REDACTED_TYPES or name.upper() == REDACTED
    kind = _kind(provider_type, subtype, name)
    places = _number(row.get("Places", ""), "Places", int)
    if places is not None and not (0 <= places <= MAX_PLACES):
        raise RowError(f"Places {places} is not a number of places")
    band = row.get("Deprivation Band", "").strip()
    deprivation_band = None
    if band.upper() not in BLANKS:
        if not (band.isascii() and band.isdigit() and 1 <= int(band) <= 5):
            raise RowError(f"Deprivation Band {_shown(band)} is not a band from 1 to 5")
        deprivation_band = int(band)
    fields: dict[str, Any] = {
        "kind": kind,
        "size": places,
        "registers": _registers(row),
        "inspection_outcome": row.get("Most recent full: Overall effectiveness", "").strip()[:40],
        "inspection_date": _date(
            row.get("Most recent full: Inspection date", ""), "Most recent full: Inspection date"
        ),
        "deprivation_band": deprivation_band,
        "redacted": redacted,
    }
    if redacted:
        # Nothing about the person: not her name, address, nor postcode.
        label = SettingKind(kind).label
        fields.update(name=f"{label} {urn}", address="", postcode="")
        return la_code, True, {"urn": urn, **fields}
    if not name:
        raise RowError("Provider name is blank")
    postcode = row.get("Postcode", "").strip()
    if postcode and postcode.upper() != REDACTED:
        try:
            postcode = normalise_postcode(postcode)
        except ValidationError:
            raise RowError(f"Postcode {_shown(postcode)} is not a UK postcode") from None
    else:
        postcode = ""
    lines = ("Provider address line 1", "Provider address line 2", "Provider address line 3")
    parts = [row.get(c, "").strip() for c in (*lines, "Provider town")]
    address = ", ".join(p for p in parts if p and p.upper() != REDACTED)
    fields.update(name=name[:200], address=address[:1000], postcode=postcode)
    return la_code, False, {"urn": urn, **fields}


def parse_ofsted(
    data: bytes, area: Area | None, progress: Callable[[int], None] | None = None
) -> Outcome:
    """Read every row (nothing written)."""
    reader = _reader(data, area)
    report = ImportReport()
    parsed: Parsed = {}
    inactive: set[str] = set()
    listed: set[str] = set()
    codes = area.la_codes() if area is not None else None
    index = 1
    try:
        for index, raw in enumerate(reader, start=2):
            if progress is not None and index % PROGRESS_EVERY == 0:
                progress(index - 1)
            raw_urn = (raw.get("Provider URN") or "").strip()[:20]
            if None in raw:  # more fields than the header names
                report.rejected.append(RowProblem(index, _shown(raw_urn)[1:-1], "too many fields"))
                continue
            if codes is not None:
                code = localauthorities.code_for_name(raw.get("Local authority") or "")
                if code is not None and code not in codes:
                    report.outside += 1
                    continue
            row = {k: v or "" for k, v in raw.items()}
            listed.add(normalise_urn(raw_urn))
            status = row.get("Provider status", "").strip()
            if status.casefold() != "active":
                report.skipped.append(
                    RowProblem(index, raw_urn, f"not active ({_shown(status)[1:-1] or 'blank'})")
                )
                inactive.add(normalise_urn(raw_urn))
                continue
            try:
                la_code, redacted, fields = parse_row(row)
            except RowError as e:
                report.rejected.append(RowProblem(index, raw_urn, str(e)))
                continue
            urn = fields.pop("urn")
            if urn in parsed:
                first = parsed[urn].row
                report.rejected.append(
                    RowProblem(index, raw_urn, f"Provider URN appears twice (first on row {first})")
                )
                continue
            site = None if redacted else site_key(fields["name"], fields["postcode"])
            parsed[urn] = OfstedRow(index, urn, la_code, redacted, fields, site)
    except csv.Error as e:
        reason = (
            "a field is longer than 128 KiB"
            if "field limit" in str(e)
            else f"it is not valid CSV ({e})"
        )
        raise ImportFileError(f"Row {index + 1}: {reason}. Nothing was imported.") from None
    return Outcome(parsed, inactive, report, listed)


def import_ofsted(data: bytes, area: Area | None = None) -> ImportReport:
    """Import a childcare providers file; with ``area`` only its own authorities' rows."""
    outcome = parse_ofsted(data, area)
    write_parsed(outcome, area)
    return outcome.report


# What a re-import may change on a provider's own setting; on a setting also in GIAS only
# the Ofsted facts (the school's name, kind, address and pupils are GIAS's).
OFSTED_FIELDS = [
    "ofsted_urn",
    "registers",
    "inspection_outcome",
    "inspection_date",
    "deprivation_band",
    "is_open",
    "imported_at",
]
PROVIDER_FIELDS = [
    *OFSTED_FIELDS,
    "name",
    "kind",
    "area",
    "address",
    "postcode",
    "size",
    "redacted",
]


def _values(setting: Setting) -> list[Any]:
    return [
        setting.area_id if name == "area" else getattr(setting, name)
        for name in PROVIDER_FIELDS
        if name != "imported_at"
    ]


def _areas_for(rows: Parsed, area: Area | None) -> dict[str, Area]:
    if area is not None:
        return dict.fromkeys(area.la_codes(), area)
    areas: dict[str, Area] = {}
    known = list(Area.objects.all())
    for row in rows.values():
        code = row.la_code
        if code in areas:
            continue
        match = next((a for a in known if code in a.la_codes()), None)
        if match is None:
            la = localauthorities.get(code)
            name = la.gias_name if la is not None else code  # parse_row found it: never code
            match = Area.objects.create(name=name[:120], la_code=code)
            known.append(match)
        areas[code] = match
    return areas


def write_parsed(outcome: Outcome, area: Area | None) -> None:
    """The writing half (one transaction)."""
    rows, report = outcome.rows, outcome.report
    with transaction.atomic():
        areas = _areas_for(rows, area)
        urns = list(rows)
        existing: dict[str, Setting] = {}
        candidates = [
            s
            for chunk in _chunks(urns)
            for s in Setting.objects.filter(Q(ofsted_urn__in=chunk) | Q(urn__in=chunk))
        ]
        for setting in candidates:
            for urn in (setting.ofsted_urn, setting.urn):
                if urn in rows and (urn not in existing or setting.ofsted_urn == urn):
                    existing[urn] = setting
        # A URN already another area's setting is never moved by this area's upload.
        for urn, setting in list(existing.items()):
            if setting.area_id != areas[rows[urn].la_code].pk:
                row = rows.pop(urn)
                del existing[urn]
                report.rejected.append(
                    RowProblem(row.row, urn, "this URN is a setting of another area; not changed")
                )
        report.rejected.sort(key=lambda p: p.row)
        _match_sites(rows, existing, {a.pk for a in areas.values()})
        now = timezone.now()
        to_create: list[Setting] = []
        changed: list[Setting] = []
        unchanged: list[Setting] = []
        for urn, row in rows.items():
            values = {**row.fields, "area": areas[row.la_code], "is_open": True}
            found = existing.get(urn)
            if found is None:
                to_create.append(Setting(ofsted_urn=urn, imported_at=now, **values))
                continue
            setting = found
            before = _values(setting)
            setting.ofsted_urn = urn
            if setting.urn and setting.urn != urn:
                # Also in GIAS: only the Ofsted facts.
                for name in OFSTED_FIELDS:
                    if name in values:
                        setattr(setting, name, values[name])
            else:
                for key, value in values.items():
                    # Keep what a leader typed over a blank from the register.
                    if value not in (None, "") or key in {"area", "is_open", "redacted"}:
                        setattr(setting, key, value)
            setting.imported_at = now
            (unchanged if _values(setting) == before else changed).append(setting)
        Setting.objects.bulk_create(to_create, batch_size=500)
        # As in the GIAS import: bulk_update's CASE per field is slow, and a monthly file
        # changes few providers; the rest are only stamped as seen.
        Setting.objects.bulk_update(changed, PROVIDER_FIELDS, batch_size=100)
        for chunk in _chunks([s.pk for s in unchanged]):
            Setting.objects.filter(pk__in=chunk).update(is_open=True, imported_at=now)
        to_update = changed + unchanged
        report.created, report.updated = len(to_create), len(to_update)
        report.closed = _close_gone(outcome.listed - outcome.inactive, outcome.inactive, area)
        # Providers with a postcode and no location yet are placed by it (exact from the
        # postcode table, else their district's centre, marked approximate). Everything this
        # import wrote carries its timestamp, which avoids an IN list of 70,000 URNs.
        locations.relocate(Setting.objects.filter(imported_at=now))


def _match_sites(rows: Parsed, existing: dict[str, Setting], area_ids: set[int]) -> None:
    """Rows not found by URN that are a setting already made from GIAS (same site and name,
    no Ofsted URN yet); a key shared by two settings or two rows is not used."""
    unmatched = {urn: r for urn, r in rows.items() if urn not in existing and r.site}
    if not unmatched:
        return
    postcodes = sorted({r.fields["postcode"] for r in unmatched.values()})
    by_site: dict[str, list[Setting]] = {}
    for setting in (
        s
        for chunk in _chunks(postcodes)
        for s in Setting.objects.filter(area_id__in=area_ids, ofsted_urn=None, postcode__in=chunk)
    ):
        key = site_key(setting.name, setting.postcode)
        if key is not None:
            by_site.setdefault(key, []).append(setting)
    row_sites: dict[str, int] = {}
    for r in unmatched.values():
        row_sites[r.site or ""] = row_sites.get(r.site or "", 0) + 1
    for urn, r in unmatched.items():
        found = by_site.get(r.site or "", [])
        if len(found) == 1 and row_sites[r.site or ""] == 1:
            existing[urn] = found[0]


def _close_gone(listed: set[str], inactive: set[str], area: Area | None) -> int:
    """Close the providers the file says are no longer active, and (for an area's upload) its
    Ofsted-only providers the file no longer lists. A setting also in GIAS stays as GIAS
    says: the school is open even when its nursery's registration ends."""
    ofsted_only = Setting.objects.filter(is_open=True).filter(Q(urn=None) | Q(urn=F("ofsted_urn")))
    if area is not None:
        ofsted_only = ofsted_only.filter(area=area)
    closed = 0
    for chunk in _chunks(sorted(inactive)):
        closed += ofsted_only.filter(ofsted_urn__in=chunk).update(is_open=False)
    if area is not None:
        gone = [
            pk
            for pk, urn in ofsted_only.exclude(ofsted_urn=None).values_list("pk", "ofsted_urn")
            if urn not in listed
        ]
        for chunk in _chunks(gone):
            closed += Setting.objects.filter(pk__in=chunk).update(is_open=False)
    return closed


CHUNK = 2000  # SQLite's bound on a query's parameters


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
