"""Reading an area's school holidays from a council's calendar file or a CSV. Pure: no Django.

Councils publish term dates as ICS calendars of all-day events, some spanning weeks, named
either as holidays ("October half term", "Christmas holidays", "INSET day") or as terms
("Autumn term 1"). Holidays are taken as they are; when the file names terms, the days of
each academic year that no term covers are holidays too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence

from .planner import Period, academic_year, academic_year_of

TERM = re.compile(r"\bterm\b", re.IGNORECASE)
NOT_TERM = re.compile(r"half[\s-]*term|holiday|break|closed|inset|bank|training", re.IGNORECASE)
MAX_BYTES = 2 * 1024 * 1024


class TermDatesError(ValueError):
    """The file cannot be used; the message says why and where. Nothing is imported."""


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(value)


def read_ics(data: bytes) -> list[Period]:
    """Holiday periods from an iCalendar file, or TermDatesError."""
    from icalendar import Calendar

    if len(data) > MAX_BYTES:
        raise TermDatesError("The file is larger than 2 MB: that is not a term-dates calendar.")
    if not data.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"BEGIN:VCALENDAR"):
        raise TermDatesError(
            "This is not a calendar file: an .ics file starts with BEGIN:VCALENDAR."
        )
    try:
        cal = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as e:
        raise TermDatesError(f"The calendar could not be read: {e}") from None
    holidays: list[Period] = []
    terms: list[Period] = []
    for n, event in enumerate(cal.walk("VEVENT"), 1):
        name = str(event.get("summary", "")).strip() or f"Event {n}"
        if "dtstart" not in event:
            raise TermDatesError(f"Event {n} ({name}) has no start date.")
        try:
            start = _as_date(event.decoded("dtstart"))
            if "dtend" in event:
                raw_end = event.decoded("dtend")
                end = _as_date(raw_end)
                # An all-day event's DTEND is the day after its last day.
                if not isinstance(raw_end, dt.datetime):
                    end -= dt.timedelta(days=1)
            elif "duration" in event:
                end = start + event.decoded("duration") - dt.timedelta(days=1)
            else:
                end = start
        except (TypeError, ValueError) as e:
            raise TermDatesError(
                f"Event {n} ({name}) has a date that cannot be read: {e}"
            ) from None
        end = max(end, start)
        period = Period(start, end, name[:120])
        if TERM.search(name) and not NOT_TERM.search(name) and (end - start).days >= 13:
            terms.append(period)
        else:
            holidays.append(period)
    if not holidays and not terms:
        raise TermDatesError("The calendar has no events: nothing to import.")
    return sorted(holidays + gaps_between(terms), key=lambda p: (p.start, p.end))


def gaps_between(terms: Sequence[Period]) -> list[Period]:
    """School days no term covers, within each academic year the terms touch."""
    if not terms:
        return []
    covered = {d for t in terms for d in t.days()}
    years = sorted({academic_year_of(t.start) for t in terms})
    gaps: list[Period] = []
    for y in years:
        year = academic_year(y)
        start: dt.date | None = None
        for day in year.days():
            if day in covered:
                if start is not None:
                    gaps.append(Period(start, day - dt.timedelta(days=1), "School holiday"))
                    start = None
            elif start is None:
                start = day
        if start is not None:
            gaps.append(Period(start, year.end, "School holiday"))
    return gaps


def _parse_day(text: str) -> dt.date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"\u201c{text}\u201d is not a date (use 2026-10-26 or 26/10/2026)")


def read_csv(data: bytes) -> list[Period]:
    """Holiday periods from a CSV with columns name, start, end (a header row)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TermDatesError("The CSV file is not UTF-8 text.") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise TermDatesError("The CSV file is empty.")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("name", "start", "end") if c not in header]
    if missing:
        raise TermDatesError(
            "Row 1: the header must name the columns name, start and end "
            f"(missing: {', '.join(missing)})."
        )
    col = {c: header.index(c) for c in ("name", "start", "end")}
    periods: list[Period] = []
    errors: list[str] = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            name = row[col["name"]].strip()
            start, end = _parse_day(row[col["start"]]), _parse_day(row[col["end"]])
        except IndexError:
            errors.append(f"Row {number}: it has fewer columns than the header.")
            continue
        except ValueError as e:
            errors.append(f"Row {number}: {e}.")
            continue
        if not name:
            errors.append(f"Row {number}: the name is empty.")
        elif end < start:
            errors.append(f"Row {number}: it ends before it starts.")
        else:
            periods.append(Period(start, end, name[:120]))
    if errors:
        raise TermDatesError(" ".join(errors[:20]))
    if not periods:
        raise TermDatesError("The CSV file has no rows of dates.")
    return periods


def read_file(name: str, data: bytes) -> list[Period]:
    if name.lower().endswith(".csv"):
        return read_csv(data)
    return read_ics(data)
