"""Reading an area's school holidays from a council's calendar file or a CSV. Pure: no Django.

Councils publish term dates in several shapes, all as ICS calendars: events that are the
holidays ("October half term", "Christmas holidays", "INSET day"); events that span the
terms ("Autumn term 1"); one-day events marking each term's first and last day ("Autumn
term starts", "Autumn term ends"); or one event for every school day ("Term day (Week 3)",
"Day 112"). ``understand`` tells them apart by their structure, not only their names (see
its docstring), and in every shape but the first the days between terms are the holidays.
The coordinator is shown what was understood before anything is saved.

A file is taken whole or not at all, and within limits that a real one never reaches:
- at most 2 MiB (a council's calendar of several years of school days is a few hundred KiB);
- at most 2,000 events (a calendar of school days has about 195 a year, so ten years) or
  500 CSV rows (a year's holidays are a dozen or two), counted before the calendar is
  parsed, so a huge file costs nothing to refuse;
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
from dataclasses import dataclass
from enum import StrEnum

from .planner import Period, academic_year, academic_year_of, bank_holidays

TERM = re.compile(r"\bterm\b", re.IGNORECASE)
NOT_TERM = re.compile(
    r"half[\s-]*term|holiday|break|closed|closure|inset|bank|training|occasional"
    r"|staff development|polling|no school",
    re.IGNORECASE,
)
MAX_BYTES = 2 * 1024 * 1024
MAX_EVENTS = 2000
MAX_ROWS = 500
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
    if what == "rows":
        return TermDatesError(
            f"The file has {count} rows; at most {MAX_ROWS} can be imported at once (a "
            "year's holidays are a dozen or two). Nothing was imported."
        )
    return TermDatesError(
        f"The file has {count} {what}; at most {MAX_EVENTS} can be imported at once (a "
        "calendar of every school day has about 195 a year). Nothing was imported."
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


def _events(data: bytes) -> tuple[str, list[Period]]:
    """The calendar's name (X-WR-CALNAME, or "") and its events as periods, or
    TermDatesError."""
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
    calendar_name = _clean_name("The calendar", str(cal.get("x-wr-calname", "")).strip())
    events = cal.walk("VEVENT")
    if len(events) > MAX_EVENTS:
        raise _too_many(len(events), "events")
    periods: list[Period] = []
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
        periods.append(period)
    if not periods:
        raise TermDatesError("The calendar has no events: nothing to import.")
    return calendar_name, periods


class Shape(StrEnum):
    """How a calendar file describes the school year."""

    HOLIDAYS = "holidays"  # each event is a holiday (or a closure day)
    TERMS = "terms"  # events span the terms; the gaps are holidays
    TERM_DAYS = "term_days"  # one event per school day; the gaps are holidays
    TERM_MARKERS = "term_markers"  # "Autumn term starts" ... "Autumn term ends"


SHAPE_SAYS = {
    Shape.HOLIDAYS: "This calendar lists the holidays; each event is read as a holiday.",
    Shape.TERMS: ("This calendar lists the terms; the days between them are read as the holidays."),
    Shape.TERM_DAYS: (
        "This calendar lists every school day as its own event; the days between them are "
        "read as the holidays."
    ),
    Shape.TERM_MARKERS: (
        "This calendar marks the first and last day of each term; the days between terms "
        "are read as the holidays."
    ),
}


@dataclass(frozen=True)
class Reading:
    """What a file was understood to say, shown to the coordinator before it is saved."""

    shape: Shape
    holidays: list[Period]
    calendar: str = ""  # the calendar's own name, when it gives one
    events: int = 0
    school_days: int = 0  # for TERM_DAYS: how many school days the file lists
    # Events of the file that were not read as holidays nor as terms, and why.
    left_out: tuple[str, ...] = ()

    @property
    def says(self) -> str:
        return SHAPE_SAYS[self.shape]


START = re.compile(
    r"\b(?:starts?|starting|begins?|beginning|opens?|first day|returns?)\b", re.IGNORECASE
)
END = re.compile(r"\b(?:ends?|ending|finish(?:es)?|closes|last day|breaks? up)\b", re.IGNORECASE)
SEASON = re.compile(r"\b(?:autumn|spring|summer)\b", re.IGNORECASE)
# A file of school days: most of its events are single weekdays, and between its first and
# last they cover most weekdays. An English school year has 190 pupil days out of about
# 260 weekdays (73%); a file that lists each holiday day covers about a quarter; half
# separates the two with room for a year that starts or ends part way.
TERM_DAY_SHARE = 0.8
TERM_DAY_COVER = 0.5
TERM_DAY_MIN = 20


def _weekdays(period: Period) -> list[dt.date]:
    return [d for d in period.days() if d.weekday() < 5]


def _is_term_marker(p: Period) -> bool:
    return (
        (p.end - p.start).days <= 1
        and bool(START.search(p.name) or END.search(p.name))
        and bool(TERM.search(p.name) or SEASON.search(p.name))
        and not NOT_TERM.search(p.name)
    )


def _term_days(candidates: Sequence[Period]) -> list[dt.date] | None:
    """The school days, when ``candidates`` (events not named as holidays) look like one
    event per school day; else None."""
    single = sorted({p.start for p in candidates if p.start == p.end and p.start.weekday() < 5})
    if len(single) < TERM_DAY_MIN or len(single) < TERM_DAY_SHARE * len(candidates):
        return None
    span = _weekdays(Period(single[0], single[-1]))
    return single if len(single) >= TERM_DAY_COVER * len(span) else None


def runs_of_days(days: Sequence[dt.date]) -> list[Period]:
    """School days joined into terms: days separated only by a weekend are one run."""
    runs: list[Period] = []
    ordered = sorted(set(days))
    if not ordered:
        return runs
    start = previous = ordered[0]
    for day in ordered[1:]:
        between = Period(previous + dt.timedelta(days=1), day - dt.timedelta(days=1))
        if day - previous > dt.timedelta(days=1) and _weekdays(between):
            runs.append(Period(start, previous, "Term"))
            start = day
        previous = day
    runs.append(Period(start, previous, "Term"))
    return runs


def _paired_terms(markers: Sequence[Period]) -> tuple[list[Period], list[str]]:
    """Terms from "... term starts" and "... term ends" events, in date order, and a note
    for each marker that pairs with nothing (it is left out, never guessed at)."""
    terms: list[Period] = []
    notes: list[str] = []
    opened: Period | None = None
    for marker in sorted(markers, key=lambda p: p.start):
        is_start = bool(START.search(marker.name)) and not END.search(marker.name)
        if is_start:
            if opened is not None:
                notes.append(f"{_event(opened)}: no end of term follows it")
            opened = marker
        elif opened is None:
            notes.append(f"{_event(marker)}: no start of term comes before it")
        else:
            terms.append(Period(opened.start, marker.end, opened.name))
            opened = None
    if opened is not None:
        notes.append(f"{_event(opened)}: no end of term follows it")
    return terms, notes


def _event(p: Period) -> str:
    return f"\u201c{p.name}\u201d ({p.start:%a} {p.start.day} {p.start:%b %Y})"


def _term_ranges(events: Sequence[Period]) -> list[Period]:
    """Events of two weeks or more named as terms ("Autumn term 1")."""
    return [p for p in events if TERM.search(p.name) and (p.end - p.start).days >= 13]


def understand(events: Sequence[Period], calendar: str = "") -> Reading:
    """Read a calendar's events as the area's holidays, whatever shape the file has.

    Events named as closures (half-term, holiday, INSET, bank holiday...) are always
    holidays. Of the rest: one event per school day makes terms of the days; "term
    starts"/"term ends" events pair into terms; events of two weeks or more named as
    terms are terms. The weekdays between terms, within the academic years they touch, are
    holidays. In a file of holidays any other event is a holiday; in a file that gives
    the terms it is something happening in term ("Parents' evening") unless it falls on
    bank holidays. What is left out (that, and a term start with no end) is said in
    ``left_out``, for the coordinator to see before saving.
    """
    named = [p for p in events if NOT_TERM.search(p.name)]
    rest = [p for p in events if not NOT_TERM.search(p.name)]
    days = _term_days(rest)
    school_days = 0
    notes: list[str] = []
    if days is not None:
        shape = Shape.TERM_DAYS
        day_set = set(days)
        terms = runs_of_days(days)
        school_days = len(days)
        leftover = [p for p in rest if not (p.start == p.end and p.start in day_set)]
    elif any(_is_term_marker(p) for p in rest):
        shape = Shape.TERM_MARKERS
        markers = [p for p in rest if _is_term_marker(p)]
        terms, notes = _paired_terms(markers)
        leftover = [p for p in rest if not _is_term_marker(p)]
        if not terms:  # markers that pair into nothing: read the rest as it stands
            terms = _term_ranges(leftover)
            shape = Shape.TERMS if terms else Shape.HOLIDAYS
            leftover = [p for p in leftover if p not in terms]
    else:
        terms = _term_ranges(rest)
        shape = Shape.TERMS if terms else Shape.HOLIDAYS
        leftover = [p for p in rest if p not in terms]
    if shape != Shape.HOLIDAYS:
        # Further term-like ranges in a file of days or markers are terms all the same.
        more = _term_ranges(leftover)
        terms += more
        leftover = [p for p in leftover if p not in more]
        # In a file that gives the terms, an event it does not name as a closure is
        # something happening in term ("Parents' evening"), unless it is a bank holiday.
        kept = [p for p in leftover if _all_bank_holidays(p)]
        notes += [
            f"{_event(p)}: read as an event in term, not a holiday"
            for p in leftover
            if p not in kept
        ]
        leftover = kept
    explicit = named + leftover
    closed = {d for p in explicit for d in _weekdays(p)}
    gaps = [g for g in gaps_between(terms) if not set(_weekdays(g)) <= closed]
    holidays = sorted(set(explicit + gaps), key=lambda p: (p.start, p.end, p.name))
    if not holidays:
        raise TermDatesError(
            "The calendar's terms leave no holidays between them: nothing to import."
        )
    return Reading(shape, holidays, calendar, len(events), school_days, tuple(notes[:50]))


def read_ics_reading(data: bytes) -> Reading:
    """What an iCalendar file says, or TermDatesError."""
    calendar, events = _events(data)
    return understand(events, calendar)


def read_ics(data: bytes) -> list[Period]:
    """Holiday periods from an iCalendar file, or TermDatesError."""
    return read_ics_reading(data).holidays


def _all_bank_holidays(p: Period) -> bool:
    weekdays = _weekdays(p)
    bank = {d for year in {p.start.year, p.end.year} for d in bank_holidays(year)}
    return bool(weekdays) and set(weekdays) <= bank


def _gap_name(gap: Period) -> str:
    """A name for a run of days off that the file did not name."""
    weekdays = _weekdays(gap)
    # The ends of the academic year (1 September, 31 July) are the summer's, however short.
    if (gap.start.month == 9 and gap.start.day <= 7) or (
        gap.end.month in {7, 8} and gap.end.day >= 20
    ):
        return "Summer holiday"
    if len(weekdays) <= 2:
        bank = {d for year in {gap.start.year, gap.end.year} for d in bank_holidays(year)}
        return "Bank holiday" if set(weekdays) <= bank else "School closed"
    middle = gap.start + (gap.end - gap.start) / 2
    if len(weekdays) >= 20 or middle.month in {7, 8, 9}:
        return "Summer holiday"
    return {
        10: "October half-term",
        11: "October half-term",
        12: "Christmas holiday",
        1: "Christmas holiday",
        2: "February half-term",
        3: "Easter holiday",
        4: "Easter holiday",
        5: "May half-term",
        6: "May half-term",
    }.get(middle.month, "School holiday")


def gaps_between(terms: Sequence[Period]) -> list[Period]:
    """Weekdays no term covers, within each academic year the terms touch, as holidays.

    A year is read from its first term to its last; it runs on to 1 September or
    31 July when its first term starts in September or its last ends in July, so a file
    of part of a year does not turn the rest of the year into a holiday. Each gap runs
    from its first weekday to its last: the weekends either side are no one's holiday.
    """
    if not terms:
        return []
    covered = {d for t in terms for d in t.days()}
    gaps: list[Period] = []
    for y in sorted({academic_year_of(d) for d in covered}):
        year = academic_year(y)
        inside = sorted(d for d in covered if d in year)
        if not inside:
            continue
        first = year.start if inside[0].month in {8, 9} else inside[0]
        last = year.end if inside[-1].month in {7, 8} else inside[-1]
        start: dt.date | None = None
        for day in Period(first, last).days():
            if day in covered:
                if start is not None:
                    gaps.append(Period(start, day - dt.timedelta(days=1)))
                    start = None
            elif start is None:
                start = day
        if start is not None:
            gaps.append(Period(start, last))
    named: list[Period] = []
    for gap in gaps:
        weekdays = _weekdays(gap)
        if weekdays:
            trimmed = Period(weekdays[0], weekdays[-1])
            named.append(Period(trimmed.start, trimmed.end, _gap_name(trimmed)))
    return named


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
    if len(rows) - 1 > MAX_ROWS:
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


def read_file_reading(name: str, data: bytes) -> Reading:
    """What a file (an .ics calendar, or a .csv of holidays) says, or TermDatesError."""
    if name.lower().endswith(".csv"):
        periods = read_csv(data)
        return Reading(Shape.HOLIDAYS, periods, "", len(periods))
    return read_ics_reading(data)


def read_file(name: str, data: bytes) -> list[Period]:
    return read_file_reading(name, data).holidays
