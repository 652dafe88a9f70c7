"""Reading an area's school holidays from a council's calendar file or a CSV. Pure: no Django.

Councils publish term dates as ICS calendars of all-day events, some spanning weeks, named
either as holidays ("October half term", "Christmas holidays", "INSET day") or as terms
("Autumn term 1"). Holidays are taken as they are; when the file names terms, the days of
each academic year that no term covers are holidays too.

A file is taken whole or not at all, and within limits that a real one never reaches:
- at most 2 MiB (a council's calendar of several years is a few tens of KiB);
- at most 500 events or rows (a year's term dates are a dozen or two; 500 is twenty years
  of them), counted before the calendar is parsed, so a huge file costs nothing to refuse;
- dates from 2000 to 2099, each period at most a year long: a date at the edge of the
  calendar (year 1 or 9999, a DTEND one day past 9999-12-31) is a broken file, and the
  planner's academic years could not be built around it;
- names without NUL characters (no database stores them) and cut at 120 characters.
The message says which limit, and where.
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
MAX_EVENTS = 500
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
LONGEST = dt.timedelta(days=366)


class TermDatesError(ValueError):
    """The file cannot be used; the message says why and where. Nothing is imported."""


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(value)


def _check_size(data: bytes) -> None:
    if len(data) > MAX_BYTES:
        raise TermDatesError(
            "The file is larger than 2 MB: that is not a term-dates file. Nothing was imported."
        )


def _too_many(count: int, what: str) -> TermDatesError:
    return TermDatesError(
        f"The file has {count} {what}; at most {MAX_EVENTS} can be imported at once (a year's "
        "term dates are a dozen or two). Nothing was imported."
    )


def check_period(label: str, period: Period) -> None:
    """TermDatesError unless the period lies in 2000..2099 and lasts at most a year."""
    if not (period.start >= FIRST_DAY and period.end <= LAST_DAY):
        raise TermDatesError(
            f"{label} has a date outside the years 2000 to 2099 "
            f"({period.start.isoformat()} to {period.end.isoformat()}): "
            "that is not a term date. Nothing was imported."
        )
    if period.end - period.start >= LONGEST:
        raise TermDatesError(
            f"{label} lasts more than a year: that is not a holiday or a term. "
            "Nothing was imported."
        )


def _clean_name(label: str, name: str) -> str:
    if "\x00" in name:
        raise TermDatesError(f"{label} has a NUL character in its name. Nothing was imported.")
    return name[:120]


def read_ics(data: bytes) -> list[Period]:
    """Holiday periods from an iCalendar file, or TermDatesError."""
    from icalendar import Calendar

    _check_size(data)
    if not data.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"BEGIN:VCALENDAR"):
        raise TermDatesError(
            "This is not a calendar file: an .ics file starts with BEGIN:VCALENDAR."
        )
    # Counted before parsing: refusing 25,000 events should not cost parsing them.
    count = data.upper().count(b"BEGIN:VEVENT")
    if count > MAX_EVENTS:
        raise _too_many(count, "events")
    try:
        cal = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError, AttributeError) as e:
        raise TermDatesError(f"The calendar could not be read: {str(e)[:200]}") from None
    holidays: list[Period] = []
    terms: list[Period] = []
    events = cal.walk("VEVENT")
    if len(events) > MAX_EVENTS:
        raise _too_many(len(events), "events")
    for n, event in enumerate(events, 1):
        name = str(event.get("summary", "")).strip() or f"Event {n}"
        name = _clean_name(f"Event {n}", name)
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
        except (TypeError, ValueError, OverflowError, KeyError, AttributeError) as e:
            raise TermDatesError(
                f"Event {n} ({name}) has a date that cannot be read: {str(e)[:200]}"
            ) from None
        end = max(end, start)
        period = Period(start, end, name)
        check_period(f"Event {n} ({name})", period)
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
    shown = text if len(text) <= 40 else text[:40] + "\u2026"
    raise ValueError(f"\u201c{shown}\u201d is not a date (use 2026-10-26 or 26/10/2026)")


def read_csv(data: bytes) -> list[Period]:
    """Holiday periods from a CSV with columns name, start, end (a header row)."""
    _check_size(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TermDatesError("The CSV file is not UTF-8 text.") from None
    if "\x00" in text:
        raise TermDatesError("The CSV file has NUL characters: it is not a text file.")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:  # a field over the csv module's limit (128 KiB), for one
        raise TermDatesError(f"The CSV file could not be read: {e}.") from None
    if len(rows) - 1 > MAX_EVENTS:
        raise _too_many(len(rows) - 1, "rows")
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
            period = Period(start, end, name[:120])
            try:
                check_period(f"Row {number}", period)
            except TermDatesError as e:
                errors.append(str(e).removesuffix(" Nothing was imported."))
            else:
                periods.append(period)
    if errors:
        raise TermDatesError(" ".join(errors[:20]))
    if not periods:
        raise TermDatesError("The CSV file has no rows of dates.")
    return periods


def read_file(name: str, data: bytes) -> list[Period]:
    if name.lower().endswith(".csv"):
        return read_csv(data)
    return read_ics(data)
