"""The area's term dates: a coordinator enters a holiday, imports the council's calendar,
or removes one. The planner of every cluster in the area avoids them."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
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
    record(by, "termdates.added", holiday, f"{by} added {holiday.name} to {area}'s term dates")
    return holiday


@transaction.atomic
def import_holidays(area: Area, by: User, filename: str, data: bytes) -> list[SchoolHoliday]:
    """All of the file's periods, or (MeetingError) none of them."""
    try:
        periods = termdates.read_file(filename, data)
    except termdates.TermDatesError as e:
        raise MeetingError(str(e)) from None
    _room_for(area, len(periods))
    source = "csv" if filename.lower().endswith(".csv") else "ics"
    made = SchoolHoliday.objects.bulk_create(
        [
            SchoolHoliday(area=area, name=p.name, start=p.start, end=p.end, source=source)
            for p in periods
        ]
    )
    record(
        by,
        "termdates.imported",
        area,
        f"{by} imported {len(made)} holiday periods into {area}'s term dates",
    )
    return made


@transaction.atomic
def remove_holiday(area: Area, by: User, holiday_id: int) -> bool:
    """Remove one of the area's holidays; False when the area has no such holiday."""
    holiday = SchoolHoliday.objects.filter(pk=holiday_id, area=area).first()
    if holiday is None:
        return False
    record(
        by, "termdates.removed", holiday, f"{by} removed {holiday.name} from {area}'s term dates"
    )
    holiday.delete()
    return True
