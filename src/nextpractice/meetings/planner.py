"""The year planner's date arithmetic: academic years, school holidays, bank holidays,
proposed meeting dates and fair rotations. Pure and typed: nothing here imports Django.

All dates are local (Europe/London) calendar dates; times are wall-clock times there. A
meeting at 15:00 stays at 15:00 on either side of the clocks changing because it is built
from a local date and a local time, never by adding hours to an instant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from dateutil.easter import easter  # type: ignore[import-untyped]

LONDON = ZoneInfo("Europe/London")
T = TypeVar("T", bound=Hashable)


class Cadence(StrEnum):
    HALF_TERMLY = "half_termly"
    MONTHLY = "monthly"
    EVERY_N_WEEKS = "every_n_weeks"


@dataclass(frozen=True)
class Period:
    """A run of days, both ends included (a holiday, a half-term)."""

    start: dt.date
    end: dt.date
    name: str = ""

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def days(self) -> Iterable[dt.date]:
        day = self.start
        while day <= self.end:
            yield day
            day += dt.timedelta(days=1)


def academic_year(start_year: int) -> Period:
    """1 September to 31 July: ``academic_year(2026)`` is the year 2026/27."""
    return Period(
        dt.date(start_year, 9, 1),
        dt.date(start_year + 1, 7, 31),
        f"{start_year}/{start_year % 100 + 1:02d}",
    )


def academic_year_of(day: dt.date) -> int:
    """The start year of the academic year holding ``day`` (August counts with the next)."""
    return day.year if day.month >= 8 else day.year - 1


def _monday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    return _weekday_on_or_after(dt.date(year, month, 1), weekday) + dt.timedelta(weeks=n - 1)


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def default_school_holidays(start_year: int) -> list[Period]:
    """A typical English pattern of school holidays, for an area that has entered none.

    It is an approximation (councils set their own dates): term starts on 3 September or
    the next weekday; a week at the end of October; two weeks over Christmas and New Year;
    the week of the third Monday of February; the week before and the week after Easter
    Monday; the Spring bank holiday week; summer from the Saturday after the third Friday
    of July.
    """
    y, n = start_year, start_year + 1
    first_day = dt.date(y, 9, 3)
    while first_day.weekday() >= 5:
        first_day += dt.timedelta(days=1)
    october = _last_weekday(y, 10, 0)
    if (october + dt.timedelta(days=4)).month != 10:  # keep the whole week in October
        october -= dt.timedelta(weeks=1)
    christmas = _monday_on_or_before(dt.date(y, 12, 23))
    february = _nth_weekday(n, 2, 0, 3)
    easter_monday = easter(n) + dt.timedelta(days=1)
    may = _last_weekday(n, 5, 0)
    summer = _nth_weekday(n, 7, 4, 3) + dt.timedelta(days=1)
    return [
        Period(dt.date(y, 9, 1), first_day - dt.timedelta(days=1), "Summer holiday"),
        Period(october - dt.timedelta(days=2), october + dt.timedelta(days=6), "October half-term"),
        Period(
            christmas - dt.timedelta(days=2), christmas + dt.timedelta(days=13), "Christmas holiday"
        ),
        Period(
            february - dt.timedelta(days=2), february + dt.timedelta(days=6), "February half-term"
        ),
        Period(
            easter_monday - dt.timedelta(days=9),
            easter_monday + dt.timedelta(days=6),
            "Easter holiday",
        ),
        Period(may - dt.timedelta(days=2), may + dt.timedelta(days=6), "May half-term"),
        Period(summer, dt.date(n, 8, 31), "Summer holiday"),
    ]


@lru_cache(maxsize=32)
def bank_holidays(year: int) -> dict[dt.date, str]:
    """English bank holidays of a calendar year (the ``holidays`` package, England)."""
    import holidays

    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year).items())


def bank_holidays_between(period: Period) -> dict[dt.date, str]:
    found: dict[dt.date, str] = {}
    for year in range(period.start.year, period.end.year + 1):
        found.update({d: n for d, n in bank_holidays(year).items() if d in period})
    return found


# A closure of at most this many weekdays (a bank holiday, an INSET day, a polling day) is a
# day off inside a half-term, not the break between two: half-term holidays are a week.
SHORT_CLOSURE_WEEKDAYS = 2


def term_segments(year: Period, holidays: Sequence[Period]) -> list[Period]:
    """The runs of school days between holidays (half-terms), at least a week long.

    A short closure (at most two weekdays, such as the May Day bank holiday or an INSET
    day) does not split a half-term: its days stay closed, but the half-term is one.
    """
    closed = {d for h in holidays for d in h.days()}
    segments: list[Period] = []
    start: dt.date | None = None
    for day in year.days():
        if day in closed:
            if start is not None:
                segments.append(Period(start, day - dt.timedelta(days=1)))
                start = None
        elif start is None:
            start = day
    if start is not None:
        segments.append(Period(start, year.end))
    joined: list[Period] = []
    for segment in segments:
        if joined:
            between = Period(joined[-1].end + dt.timedelta(days=1), segment.start)
            off = sum(1 for d in between.days() if d.weekday() < 5 and d < segment.start)
            if off <= SHORT_CLOSURE_WEEKDAYS:
                joined[-1] = Period(joined[-1].start, segment.end)
                continue
        joined.append(segment)
    named = [s for s in joined if (s.end - s.start).days >= 6]
    return [Period(s.start, s.end, f"Half-term {i}") for i, s in enumerate(named, 1)]


@dataclass
class Clash:
    """Why a date does not suit someone: ``who`` is None for everyone (a holiday)."""

    who: str | None
    reason: str


@dataclass
class Proposal:
    day: dt.date
    clashes: list[Clash] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.clashes


@dataclass
class Calendar:
    """What the planner knows about days: closed for all, and closed for someone."""

    year: Period
    holidays: Sequence[Period]
    bank: Mapping[dt.date, str]
    closures: Mapping[str, Mapping[dt.date, str]]  # member name -> day -> reason

    @classmethod
    def build(
        cls,
        start_year: int,
        holidays: Sequence[Period] | None,
        closures: Mapping[str, Mapping[dt.date, str]],
    ) -> Calendar:
        year = academic_year(start_year)
        return cls(
            year,
            list(holidays) if holidays is not None else default_school_holidays(start_year),
            bank_holidays_between(year),
            closures,
        )

    def clashes(self, day: dt.date) -> list[Clash]:
        found: list[Clash] = []
        if day not in self.year:
            found.append(Clash(None, "outside the academic year"))
        if day.weekday() >= 5:
            found.append(Clash(None, "a weekend"))
        if day in self.bank:
            found.append(Clash(None, f"bank holiday ({self.bank[day]})"))
        found += [Clash(None, h.name or "school holiday") for h in self.holidays if day in h]
        for who, days in self.closures.items():
            if day in days:
                found.append(Clash(who, days[day] or "setting closed"))
        return found

    def closed_to_all(self, day: dt.date) -> bool:
        return any(c.who is None for c in self.clashes(day))


def _best_in(cal: Calendar, candidates: Iterable[dt.date]) -> Proposal | None:
    """The first candidate that suits everyone, else the one that suits most members."""
    best: Proposal | None = None
    for day in candidates:
        clashes = cal.clashes(day)
        if any(c.who is None for c in clashes):
            continue
        if not clashes:
            return Proposal(day)
        if best is None or len(clashes) < len(best.clashes):
            best = Proposal(day, clashes)
    return best


def _middle_out(days: Sequence[dt.date]) -> list[dt.date]:
    """Days ordered from the middle of a half-term outwards, later before earlier.

    The middle gives members time to settle in after a holiday and leaves the run-up to
    the next one free.
    """
    mid = len(days) // 2
    ordered: list[dt.date] = []
    for k in range(len(days)):
        i = mid + (k + 1) // 2 if k % 2 else mid - k // 2
        if 0 <= i < len(days):
            ordered.append(days[i])
    return ordered


def propose_dates(
    cal: Calendar,
    cadence: Cadence,
    weekday: int,
    every_weeks: int = 6,
    today: dt.date | None = None,
) -> list[Proposal]:
    """Meeting dates for the year on the preferred weekday (0 is Monday).

    Never on a bank holiday, a school holiday or a weekend; a day on which a member's
    setting is closed only when no better day exists in that part of the year, and then
    it is returned with the clash so that the cluster can move it. Days before ``today``
    are not proposed.
    """
    if not 0 <= weekday <= 4:
        raise ValueError("Meetings are on a weekday (Monday to Friday)")
    earliest = max(cal.year.start, today or cal.year.start)

    def weekdays_in(period: Period) -> list[dt.date]:
        return [d for d in period.days() if d.weekday() == weekday and d >= earliest]

    proposals: list[Proposal] = []
    if cadence == Cadence.HALF_TERMLY:
        for segment in term_segments(cal.year, cal.holidays):
            found = _best_in(cal, _middle_out(weekdays_in(segment)))
            if found:
                proposals.append(found)
    elif cadence == Cadence.MONTHLY:
        month = cal.year.start
        while month <= cal.year.end:
            following = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            found = _best_in(
                cal, _middle_out(weekdays_in(Period(month, following - dt.timedelta(days=1))))
            )
            if found:
                proposals.append(found)
            month = following
    elif cadence == Cadence.EVERY_N_WEEKS:
        if not 1 <= every_weeks <= 26:
            raise ValueError("Every 1 to 26 weeks")
        segments = term_segments(cal.year, cal.holidays)
        if not segments:
            return []
        # The first meeting in the second week of term, then every N weeks; a date that
        # falls in a holiday slides to the next open week, and the count restarts there.
        day = _weekday_on_or_after(segments[0].start + dt.timedelta(weeks=1), weekday)
        while day <= cal.year.end:
            window = [day + dt.timedelta(weeks=k) for k in range(3)]
            found = _best_in(cal, [d for d in window if d <= cal.year.end and d >= earliest])
            if found is None:
                day += dt.timedelta(weeks=1)
                continue
            proposals.append(found)
            day = found.day + dt.timedelta(weeks=every_weeks)
    return proposals


def rotation(
    people: Sequence[T],
    slots: int,
    history: Sequence[T] = (),
    unavailable: Sequence[set[T]] | None = None,
) -> list[T | None]:
    """Who takes each of ``slots`` turns (hosting, taking notes), fairly.

    Nobody takes a second turn before everyone has had one; the order starts with whoever
    has gone longest without a turn according to ``history`` (oldest first). A person
    unavailable for a slot (their setting is closed that day) is skipped for that slot
    and keeps their place at the front of the queue. A slot nobody can take gets None.
    """
    if not people:
        return [None] * slots
    last_turn = {p: i for i, p in enumerate(history) if p in people}
    # Never had a turn first (in the given order), then oldest turn first.
    queue = sorted(people, key=lambda p: (p in last_turn, last_turn.get(p, -1)))
    chosen: list[T | None] = []
    round_left = list(queue)
    for slot in range(slots):
        if not round_left:
            round_left = list(queue)
        blocked = unavailable[slot] if unavailable and slot < len(unavailable) else set()
        pick = next((p for p in round_left if p not in blocked), None)
        if pick is None:
            # Everyone still owed a turn is unavailable: whoever has waited longest among
            # the rest takes it, and those owed a turn stay owed.
            pick = next((p for p in queue if p not in blocked), None)
            if pick is None:
                chosen.append(None)
                continue
        else:
            round_left.remove(pick)
        queue.remove(pick)
        queue.append(pick)
        chosen.append(pick)
    return chosen


def local_datetime(day: dt.date, at: dt.time) -> dt.datetime:
    """A wall-clock time in England on a day, as an aware datetime (GMT or BST)."""
    return dt.datetime.combine(day, at, tzinfo=LONDON)
