"""The area's term dates: a coordinator enters a holiday, imports the council's calendar,
or removes one. The planner of every cluster in the area avoids them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core import signing
from django.db import transaction

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.core.words import possessive
from nextpractice.directory.models import Area

from .. import termdates
from ..models import SchoolHoliday
from .common import MeetingError

# An area keeps its term dates for years; a thousand periods is decades of them, and keeps
# the term-dates page (which lists them all) a reasonable size.
MAX_PER_AREA = 1000


def _room_for(area: Area, count: int) -> None:
    held = SchoolHoliday.objects.filter(area=area).count()
    if held + count > MAX_PER_AREA:
        raise MeetingError(
            f"The area would have {held + count} holiday periods; it can keep at most "
            f"{MAX_PER_AREA}. Remove old years first. Nothing was imported."
        )


@transaction.atomic
def add_holiday(area: Area, by: User, name: str, start: dt.date, end: dt.date) -> SchoolHoliday:
    if end < start:
        raise MeetingError("The last day must be on or after the first day.")
    try:
        termdates.check_period("The holiday", termdates.Period(start, end, name))
    except termdates.TermDatesError as e:
        raise MeetingError(str(e).removesuffix(" Nothing was imported.")) from None
    _room_for(area, 1)
    holiday = SchoolHoliday.objects.create(area=area, name=name[:120], start=start, end=end)
    record(
        by,
        "termdates.added",
        holiday,
        f"{by} added {holiday.name} to {possessive(str(area))} term dates",
    )
    return holiday


# How long a preview may wait for its confirm button: a coordinator reading the list.
PREVIEW_SECONDS = 60 * 60


def calendar_key(filename: str, reading: termdates.Reading) -> str:
    """Which calendar a file is: its own name (X-WR-CALNAME) when it gives one, else the
    file's name without the " (1)" a browser adds to a second download of it."""
    name = reading.calendar or re.sub(r"\s*\(\d+\)(?=\.[^.]*$)", "", filename.rsplit("/", 1)[-1])
    return name.replace("\x00", "").strip()[:200]


@dataclass(frozen=True)
class Preview:
    """What an uploaded file was understood to say, and what saving it would replace."""

    reading: termdates.Reading
    calendar: str
    source: str
    replaces: int
    token: str


def _salt(area: Area, by: User) -> str:
    # A preview is good for the coordinator who made it and the area it was made for.
    return f"termdates.preview:{area.pk}:{by.pk}"


def preview_import(area: Area, by: User, filename: str, data: bytes) -> Preview:
    """Read a file without saving anything; MeetingError when it cannot be used. The
    preview's token carries what was read (signed, so the confirmation saves exactly what
    the coordinator was shown, and no stored copy of the upload is needed)."""
    try:
        reading = termdates.read_file_reading(filename, data)
    except termdates.TermDatesError as e:
        raise MeetingError(str(e)) from None
    calendar = calendar_key(filename, reading)
    source = "csv" if filename.lower().endswith(".csv") else "ics"
    replaces = SchoolHoliday.objects.filter(area=area, calendar=calendar).count()
    _room_for(area, len(reading.holidays) - replaces)
    payload = {
        "calendar": calendar,
        "source": source,
        "periods": [[p.start.isoformat(), p.end.isoformat(), p.name] for p in reading.holidays],
    }
    token = signing.dumps(payload, salt=_salt(area, by), compress=True)
    return Preview(reading, calendar, source, replaces, token)


def _unsigned(area: Area, by: User, token: str) -> tuple[str, str, list[termdates.Period]]:
    expired = MeetingError(
        "This preview has expired or is not one this page made: upload the file again. "
        "Nothing was imported."
    )
    try:
        payload = signing.loads(token, salt=_salt(area, by), max_age=PREVIEW_SECONDS)
        calendar, source = str(payload["calendar"])[:200], str(payload["source"])[:20]
        periods = [
            termdates.Period(dt.date.fromisoformat(a), dt.date.fromisoformat(b), str(n)[:120])
            for a, b, n in payload["periods"][: termdates.MAX_EVENTS * 2]
        ]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise expired from None
    for period in periods:
        try:
            termdates.check_period(f"{period.name!r}", period)
        except termdates.TermDatesError as e:
            raise MeetingError(str(e)) from None
    return calendar, source, periods


@transaction.atomic
def confirm_import(area: Area, by: User, token: str) -> list[SchoolHoliday]:
    """Save what a preview showed, replacing the earlier import of the same calendar."""
    calendar, source, periods = _unsigned(area, by, token)
    return _save(area, by, calendar, source, periods)


@transaction.atomic
def import_holidays(area: Area, by: User, filename: str, data: bytes) -> list[SchoolHoliday]:
    """All of the file's periods, or (MeetingError) none of them; without a preview."""
    try:
        reading = termdates.read_file_reading(filename, data)
    except termdates.TermDatesError as e:
        raise MeetingError(str(e)) from None
    source = "csv" if filename.lower().endswith(".csv") else "ics"
    return _save(area, by, calendar_key(filename, reading), source, reading.holidays)


def _save(
    area: Area, by: User, calendar: str, source: str, periods: list[termdates.Period]
) -> list[SchoolHoliday]:
    # The area's row is locked: two confirmations of one calendar take turns, and the
    # second replaces the first instead of both adding.
    Area.objects.select_for_update().filter(pk=area.pk).first()
    earlier = SchoolHoliday.objects.filter(area=area, calendar=calendar) if calendar else None
    replaced = earlier.count() if earlier is not None else 0
    _room_for(area, len(periods) - replaced)
    if earlier is not None:
        earlier.delete()
    made = SchoolHoliday.objects.bulk_create(
        [
            SchoolHoliday(
                area=area,
                name=p.name,
                start=p.start,
                end=p.end,
                source=source,
                calendar=calendar,
            )
            for p in periods
        ]
    )
    record(
        by,
        "termdates.imported",
        area,
        f"{by} imported {len(made)} holiday periods into {possessive(str(area))} term dates"
        + (f", replacing the {replaced} of the earlier import" if replaced else ""),
    )
    return made


@transaction.atomic
def remove_holiday(area: Area, by: User, holiday_id: int) -> bool:
    """Remove one of the area's holidays; False when the area has no such holiday."""
    holiday = SchoolHoliday.objects.filter(pk=holiday_id, area=area).first()
    if holiday is None:
        return False
    record(
        by,
        "termdates.removed",
        holiday,
        f"{by} removed {holiday.name} from {possessive(str(area))} term dates",
    )
    holiday.delete()
    return True
