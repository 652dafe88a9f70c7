"""The year planner's date arithmetic (pure: no database)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import pytest

from nextpractice.meetings import planner
from nextpractice.meetings.planner import Cadence, Calendar, Period

D = dt.date


def cal(start_year: int = 2026, closures: dict | None = None, holidays=None) -> Calendar:
    return Calendar.build(start_year, holidays, closures or {})


def test_the_academic_year_runs_from_september_to_july() -> None:
    year = planner.academic_year(2026)
    assert (year.start, year.end, year.name) == (D(2026, 9, 1), D(2027, 7, 31), "2026/27")
    assert planner.academic_year_of(D(2027, 3, 1)) == 2026
    assert planner.academic_year_of(D(2026, 8, 20)) == 2026  # August plans the coming year


def test_english_bank_holidays_come_from_the_holidays_package() -> None:
    bank = planner.bank_holidays_between(planner.academic_year(2026))
    assert D(2026, 12, 25) in bank and D(2026, 12, 28) in bank  # Boxing Day substitute
    assert D(2027, 3, 29) in bank  # Easter Monday 2027
    assert D(2027, 5, 3) in bank and D(2027, 5, 31) in bank
    assert D(2027, 3, 17) not in bank  # St Patrick's Day is not an English bank holiday


def test_the_default_pattern_gives_six_half_terms() -> None:
    holidays = planner.default_school_holidays(2026)
    halves = planner.term_segments(planner.academic_year(2026), holidays)
    assert len(halves) == 6
    assert halves[0].start == D(2026, 9, 3)
    # Half-term weeks fall where English councils put them.
    names = {h.name: h for h in holidays}
    assert D(2026, 10, 28) in names["October half-term"]
    assert (
        D(2026, 12, 25) in names["Christmas holiday"]
        and D(2027, 1, 1) in names["Christmas holiday"]
    )
    assert D(2027, 2, 17) in names["February half-term"]
    assert D(2027, 3, 29) in names["Easter holiday"]  # Easter Monday
    assert D(2027, 6, 2) in names["May half-term"]


@pytest.mark.parametrize("start_year", [2025, 2026, 2027, 2028, 2029])
def test_half_termly_gives_one_meeting_in_each_half_term_on_the_weekday(start_year: int) -> None:
    c = cal(start_year)
    proposals = planner.propose_dates(c, Cadence.HALF_TERMLY, weekday=2)
    assert len(proposals) == 6
    halves = planner.term_segments(c.year, c.holidays)
    for p, half in zip(proposals, halves, strict=True):
        assert p.day.weekday() == 2
        assert p.day in half
        assert p.ok
        assert p.day not in c.bank
        assert not any(p.day in h for h in c.holidays)


def test_a_bank_holiday_is_never_proposed() -> None:
    # Mondays: the half-term of May holds the Early May bank holiday on its first Monday.
    for p in planner.propose_dates(cal(2026), Cadence.MONTHLY, weekday=0):
        assert p.day not in planner.bank_holidays(p.day.year)
    proposals = planner.propose_dates(cal(2026), Cadence.EVERY_N_WEEKS, weekday=0, every_weeks=1)
    days = {p.day for p in proposals}
    assert D(2027, 5, 3) not in days and D(2027, 3, 29) not in days
    assert D(2027, 5, 10) in days  # the Monday after is fine


def test_a_member_closure_day_moves_the_date_and_is_shown_when_unavoidable() -> None:
    plain = planner.propose_dates(cal(2026), Cadence.HALF_TERMLY, weekday=2)
    first = plain[0].day
    # Ben's INSET day falls on the first proposed date: another Wednesday is chosen.
    moved = planner.propose_dates(
        cal(2026, {"Ben": {first: "INSET day"}}), Cadence.HALF_TERMLY, weekday=2
    )
    assert moved[0].day != first and moved[0].ok and moved[0].day.weekday() == 2
    # Closed every Wednesday of that half-term: the date stays, with the clash named.
    half = planner.term_segments(
        planner.academic_year(2026), planner.default_school_holidays(2026)
    )[0]
    every = {d: "INSET day" for d in half.days() if d.weekday() == 2}
    stuck = planner.propose_dates(cal(2026, {"Ben": every}), Cadence.HALF_TERMLY, weekday=2)
    assert stuck[0].clashes[0].who == "Ben" and stuck[0].clashes[0].reason == "INSET day"


def test_the_areas_own_holidays_replace_the_default_pattern() -> None:
    own = [
        Period(D(2026, 9, 1), D(2026, 9, 6), "Summer"),
        Period(D(2026, 10, 19), D(2026, 10, 30), "Two-week half-term"),
    ]
    c = cal(2026, holidays=own)
    assert c.clashes(D(2026, 10, 21))[0].reason == "Two-week half-term"
    assert c.clashes(D(2026, 10, 28))[0].reason == "Two-week half-term"
    assert c.clashes(D(2026, 11, 4)) == []  # the default pattern's half-term is not used


def test_monthly_skips_august_and_finds_a_date_in_each_term_month() -> None:
    proposals = planner.propose_dates(cal(2026), Cadence.MONTHLY, weekday=3)
    months = [p.day.month for p in proposals]
    assert 8 not in months
    assert len(proposals) == 11
    assert all(p.day.weekday() == 3 for p in proposals)


def test_every_n_weeks_keeps_the_gap_outside_holidays() -> None:
    proposals = planner.propose_dates(cal(2026), Cadence.EVERY_N_WEEKS, weekday=1, every_weeks=4)
    gaps = [(b.day - a.day).days for a, b in itertools.pairwise(proposals)]
    assert all(g >= 28 for g in gaps)
    assert all(p.ok for p in proposals)


def test_dates_already_past_are_not_proposed() -> None:
    proposals = planner.propose_dates(
        cal(2026), Cadence.HALF_TERMLY, weekday=2, today=D(2026, 11, 23)
    )
    assert proposals and all(p.day >= D(2026, 11, 23) for p in proposals)
    assert len(proposals) == 5


def test_a_weekend_is_refused() -> None:
    with pytest.raises(ValueError, match="weekday"):
        planner.propose_dates(cal(2026), Cadence.HALF_TERMLY, weekday=5)


def test_three_in_the_afternoon_stays_three_in_the_afternoon_across_the_clocks() -> None:
    october = planner.local_datetime(D(2026, 10, 21), dt.time(15, 0))  # BST
    november = planner.local_datetime(D(2026, 11, 4), dt.time(15, 0))  # GMT
    april = planner.local_datetime(D(2027, 4, 7), dt.time(15, 0))  # BST again
    assert october.astimezone(dt.UTC).hour == 14
    assert november.astimezone(dt.UTC).hour == 15
    assert april.astimezone(dt.UTC).hour == 14
    assert {october.hour, november.hour, april.hour} == {15}


def _no_second_turn_before_all_had_one(turns: list, people: list) -> None:
    for start in range(0, len(turns) - len(people) + 1, len(people)):
        window = turns[start : start + len(people)]
        assert sorted(window) == sorted(people), f"unfair round: {window}"


@pytest.mark.parametrize("n", [4, 5, 6, 7])
def test_hosting_rotates_fairly_over_the_year(n: int) -> None:
    people = [f"S{i}" for i in range(n)]
    for slots in (6, 11, 12, 24):
        turns = planner.rotation(people, slots)
        assert None not in turns
        _no_second_turn_before_all_had_one(turns, people)
        counts = Counter(turns)
        assert max(counts.values()) - min(counts.get(p, 0) for p in people) <= 1


def test_rotation_continues_from_last_year_and_skips_a_closed_host() -> None:
    people = ["A", "B", "C", "D", "E"]
    # Last year A, B and C hosted, in that order: D and E go first, then A.
    assert planner.rotation(people, 3, history=["A", "B", "C"]) == ["D", "E", "A"]
    # D is closed on the first date: E hosts then, D the next time; nobody hosts twice.
    turns = planner.rotation(people, 5, history=["A", "B", "C"], unavailable=[{"D"}])
    assert turns[0] == "E" and turns[1] == "D"
    assert sorted(turns) == sorted(people)


def test_rotation_with_closures_never_gives_a_second_turn_while_someone_is_owed_one() -> None:
    people = ["A", "B", "C", "D"]
    unavailable = [{"A"}, {"A", "B"}, set(), {"C"}, set(), set(), set(), set()]
    turns = planner.rotation(people, 8, unavailable=unavailable)
    _no_second_turn_before_all_had_one(turns, people)
    for turn, blocked in zip(turns, unavailable, strict=True):
        assert turn not in blocked
