"""The shapes councils and schools publish term dates in, read as the same holidays.

Every calendar here is generated in the test from one invented year (2026/27): the same
holidays written as holidays, as every school day, as "Day N", and as term starts and ends.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from nextpractice.audit.models import AuditEntry
from nextpractice.meetings import planner, termdates
from nextpractice.meetings.models import SchoolHoliday
from nextpractice.meetings.planner import Cadence, Period
from nextpractice.meetings.termdates import Shape

from .conftest import Cast, client_for

D = dt.date

# The year as a council's holidays file would give it (first to last weekday off).
HOLIDAYS = [
    Period(D(2026, 9, 1), D(2026, 9, 2), "Summer holiday"),
    Period(D(2026, 10, 26), D(2026, 10, 30), "October half term"),
    Period(D(2026, 12, 21), D(2027, 1, 1), "Christmas holidays"),
    Period(D(2027, 2, 15), D(2027, 2, 19), "February half term"),
    Period(D(2027, 3, 26), D(2027, 4, 9), "Easter holidays"),
    Period(D(2027, 5, 3), D(2027, 5, 3), "Early May bank holiday"),
    Period(D(2027, 5, 31), D(2027, 6, 4), "May half term"),
    Period(D(2027, 7, 22), D(2027, 7, 30), "Summer holiday"),
]
YEAR = planner.academic_year(2026)


def school_days(holidays: list[Period] = HOLIDAYS, year: Period = YEAR) -> list[dt.date]:
    off = {d for h in holidays for d in h.days()}
    return [d for d in year.days() if d.weekday() < 5 and d not in off]


def event(uid: str, summary: str, start: dt.date, end: dt.date | None = None) -> str:
    """An all-day event (DTEND is the day after the last day)."""
    last = (end or start) + dt.timedelta(days=1)
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}@test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:{summary}\r\n"
        f"DTSTART;VALUE=DATE:{start:%Y%m%d}\r\nDTEND;VALUE=DATE:{last:%Y%m%d}\r\nEND:VEVENT\r\n"
    )


def calendar(*events: str, name: str = "") -> bytes:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test council//EN\r\n"
    if name:
        head += f"X-WR-CALNAME:{name}\r\n"
    return (head + "".join(events) + "END:VCALENDAR\r\n").encode()


def holidays_file() -> bytes:
    return calendar(*(event(f"h{i}", h.name, h.start, h.end) for i, h in enumerate(HOLIDAYS)))


def term_day_file(label: str = "Term day (Week {week})") -> bytes:
    days = school_days()
    first_monday = days[0] - dt.timedelta(days=days[0].weekday())
    return calendar(
        *(
            event(
                f"d{n}",
                label.format(week=(d - first_monday).days // 7 + 1, n=n),
                d,
            )
            for n, d in enumerate(days, 1)
        )
    )


def spans(periods: list[Period]) -> set[tuple[dt.date, dt.date]]:
    return {(p.start, p.end) for p in periods}


def test_a_holidays_file_is_read_as_holidays() -> None:
    reading = termdates.read_ics_reading(holidays_file())
    assert reading.shape == Shape.HOLIDAYS
    assert reading.holidays == sorted(HOLIDAYS, key=lambda p: p.start)


@pytest.mark.parametrize("label", ["Term day (Week {week})", "Day {n}"])
def test_a_year_of_school_days_gives_the_same_holidays_as_the_holidays_file(label: str) -> None:
    data = term_day_file(label)
    assert data.count(b"BEGIN:VEVENT") == len(school_days()) > 180
    reading = termdates.read_ics_reading(data)
    assert reading.shape == Shape.TERM_DAYS
    assert reading.school_days == len(school_days())
    assert spans(reading.holidays) == spans(HOLIDAYS)
    # Not one school day is stored as a holiday (the old reading did exactly that).
    off = {d for h in reading.holidays for d in h.days()}
    assert not off & set(school_days())
    names = {(h.start, h.name) for h in reading.holidays}
    assert (D(2026, 10, 26), "October half-term") in names
    assert (D(2027, 5, 3), "Bank holiday") in names
    assert (D(2026, 9, 1), "Summer holiday") in names and (
        D(2027, 7, 22),
        "Summer holiday",
    ) in names


def test_three_years_of_school_days_are_read_as_terms_not_585_holidays() -> None:
    days: list[dt.date] = []
    for start_year in (2026, 2027, 2028):
        days += [
            d
            for d in school_days(
                planner.default_school_holidays(start_year), planner.academic_year(start_year)
            )
            if d not in planner.bank_holidays(d.year)
        ]
    assert len(days) > 550
    data = calendar(
        *(event(f"d{n}", f"Term day (Week {n // 5 + 1})", d) for n, d in enumerate(days))
    )
    reading = termdates.read_ics_reading(data)
    assert reading.shape == Shape.TERM_DAYS
    assert len(reading.holidays) < 40
    assert not {d for h in reading.holidays for d in h.days()} & set(days)


def test_term_start_and_end_events_give_the_same_holidays() -> None:
    data = calendar(
        event("1", "Autumn term starts", D(2026, 9, 3)),
        event("2", "October half term", D(2026, 10, 26), D(2026, 10, 30)),
        event("3", "Autumn term ends", D(2026, 12, 18)),
        event("4", "Spring term starts", D(2027, 1, 4)),
        event("5", "February half term", D(2027, 2, 15), D(2027, 2, 19)),
        event("6", "Spring term ends", D(2027, 3, 25)),
        event("7", "Summer term begins", D(2027, 4, 12)),
        event("8", "Early May bank holiday", D(2027, 5, 3)),
        event("9", "May half term", D(2027, 5, 31), D(2027, 6, 4)),
        event("10", "Summer term ends", D(2027, 7, 21)),
    )
    reading = termdates.read_ics_reading(data)
    assert reading.shape == Shape.TERM_MARKERS
    assert spans(reading.holidays) == spans(HOLIDAYS)


def test_a_term_that_never_ends_and_an_event_in_term_are_left_out_and_said() -> None:
    reading = termdates.read_ics_reading(
        calendar(
            event("1", "Autumn term starts", D(2026, 9, 3)),
            event("2", "Spring term starts", D(2027, 1, 4)),
            event("3", "Spring term ends", D(2027, 3, 25)),
            event("4", "Parents' evening", D(2027, 2, 3)),
            event("5", "Easter Monday", D(2027, 3, 29)),
        )
    )
    assert reading.shape == Shape.TERM_MARKERS
    assert reading.left_out == (
        "\u201cAutumn term starts\u201d (Thu 3 Sep 2026): no end of term follows it",
        "\u201cParents' evening\u201d (Wed 3 Feb 2027): read as an event in term, not a holiday",
    )
    off = {d for h in reading.holidays for d in h.days()}
    assert D(2027, 2, 3) not in off  # parents' evening is not a holiday
    assert D(2027, 3, 29) in off  # a bank holiday is, whatever the file calls it


def test_a_file_listing_each_holiday_day_is_still_read_as_holidays() -> None:
    days = [d for h in HOLIDAYS for d in h.days() if d.weekday() < 5]
    data = calendar(*(event(f"x{n}", "Closed", d) for n, d in enumerate(days)))
    reading = termdates.read_ics_reading(data)
    assert reading.shape == Shape.HOLIDAYS
    assert {d for h in reading.holidays for d in h.days()} == set(days)


def test_a_file_of_part_of_a_year_does_not_make_the_rest_a_holiday() -> None:
    autumn = [d for d in school_days() if d < D(2026, 12, 19)]
    reading = termdates.read_ics_reading(
        calendar(*(event(f"d{n}", f"Day {n}", d) for n, d in enumerate(autumn)))
    )
    assert max(h.end for h in reading.holidays) < D(2026, 12, 19)


@pytest.mark.parametrize("source", ["holidays", "term_days"])
def test_half_termly_planning_gives_six_meetings_across_the_may_bank_holiday(
    source: str,
) -> None:
    data = holidays_file() if source == "holidays" else term_day_file()
    holidays = termdates.read_ics(data)
    assert any(h.start == h.end == D(2027, 5, 3) for h in holidays)
    cal = planner.Calendar.build(2026, holidays, {})
    assert len(planner.term_segments(cal.year, cal.holidays)) == 6
    for weekday in range(5):
        proposals = planner.propose_dates(cal, Cadence.HALF_TERMLY, weekday=weekday)
        assert len(proposals) == 6
        assert all(p.ok and not cal.closed_to_all(p.day) for p in proposals)
        assert D(2027, 5, 3) not in {p.day for p in proposals}


def test_a_one_week_half_term_still_splits_the_term() -> None:
    halves = planner.term_segments(YEAR, HOLIDAYS)
    first_weekdays = [next(d for d in h.days() if d.weekday() < 5) for h in halves]
    assert first_weekdays == [
        D(2026, 9, 3),
        D(2026, 11, 2),
        D(2027, 1, 4),
        D(2027, 2, 22),
        D(2027, 4, 12),
        D(2027, 6, 7),
    ]


# --- Through the page: preview, confirm, import again -------------------------------------


def upload(client: Client, area_id: int, name: str, data: bytes) -> Any:
    return client.post(
        reverse("area_term_dates", args=[area_id]),
        {"form": "import", "file": SimpleUploadedFile(name, data)},
    )


def confirm(client: Client, area_id: int, token: str) -> Any:
    return client.post(reverse("area_term_dates_confirm", args=[area_id]), {"token": token})


def test_the_preview_says_what_was_read_and_saves_nothing_until_confirmed(cast: Cast) -> None:
    cora = client_for(cast.cora)
    response = upload(cora, cast.area.pk, "school-days.ics", term_day_file())
    assert response.status_code == 200
    page = response.content.decode()
    assert "every school day as its own event" in page
    assert f"It lists {len(school_days())} school days" in page
    assert "We read these as the holidays (8)" in page
    assert "Left out" not in page
    assert "Mon 26 Oct 2026" in page and "October half-term" in page
    assert not SchoolHoliday.objects.exists()
    response = confirm(cora, cast.area.pk, response.context["preview"].token)
    assert response.status_code == 302
    saved = list(SchoolHoliday.objects.filter(area=cast.area))
    assert spans([h.as_period() for h in saved]) == spans(HOLIDAYS)
    assert {h.calendar for h in saved} == {"school-days.ics"}
    assert AuditEntry.objects.filter(verb="termdates.imported").count() == 1


def test_importing_the_same_calendar_again_replaces_it_instead_of_doubling(cast: Cast) -> None:
    cora = client_for(cast.cora)
    named = holidays_file().replace(b"PRODID", b"X-WR-CALNAME:Northbridge term dates\r\nPRODID")
    SchoolHoliday.objects.create(
        area=cast.area, name="Entered by hand", start=D(2027, 7, 1), end=D(2027, 7, 1)
    )
    for filename in ("term-dates.ics", "term-dates (1).ics"):
        response = upload(cora, cast.area.pk, filename, named)
        assert confirm(cora, cast.area.pk, response.context["preview"].token).status_code == 302
    assert SchoolHoliday.objects.filter(calendar="Northbridge term dates").count() == len(HOLIDAYS)
    # The third time the preview says what it replaces.
    response = upload(cora, cast.area.pk, "term-dates.ics", named)
    assert f"replaces the {len(HOLIDAYS)} holiday periods imported earlier" in (
        response.content.decode()
    )
    # Another calendar, and what was entered by hand, stay.
    response = upload(cora, cast.area.pk, "days.ics", term_day_file())
    confirm(cora, cast.area.pk, response.context["preview"].token)
    assert SchoolHoliday.objects.count() == 2 * len(HOLIDAYS) + 1
    # A file without a calendar name is known by its file name, the browser's "(1)" aside.
    response = upload(cora, cast.area.pk, "days (1).ics", term_day_file())
    confirm(cora, cast.area.pk, response.context["preview"].token)
    assert SchoolHoliday.objects.count() == 2 * len(HOLIDAYS) + 1


@pytest.mark.parametrize("token", ["", "x" * 1000, "tampered"])
def test_a_confirmation_without_a_good_preview_saves_nothing(cast: Cast, token: str) -> None:
    cora = client_for(cast.cora)
    if token == "tampered":
        good = upload(cora, cast.area.pk, "h.ics", holidays_file()).context["preview"].token
        token = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    response = confirm(cora, cast.area.pk, token)
    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode()
    assert not SchoolHoliday.objects.exists()


def test_a_preview_made_for_one_area_cannot_be_confirmed_in_another(cast: Cast) -> None:
    from nextpractice.directory.models import Area

    cora = client_for(cast.cora)
    token = upload(cora, cast.area.pk, "h.ics", holidays_file()).context["preview"].token
    other = Area.objects.create(name="Southfield")
    other.coordinators.add(cast.cora)
    assert confirm(cora, other.pk, token).status_code == 400
    assert not SchoolHoliday.objects.exists()


def test_the_preview_runs_the_same_queries_for_one_year_and_for_three(cast: Cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    days = [
        d
        for y in (2026, 2027, 2028)
        for d in school_days(planner.default_school_holidays(y), planner.academic_year(y))
    ]
    three_years = calendar(*(event(f"d{n}", f"Day {n}", d) for n, d in enumerate(days)))
    cora = client_for(cast.cora)
    cora.get(reverse("area_term_dates", args=[cast.area.pk]))  # the session's first request
    counts = []
    for data in (holidays_file(), three_years):
        with CaptureQueriesContext(connection) as ctx:
            response = upload(cora, cast.area.pk, "t.ics", data)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(response.context["preview"].reading.holidays) > 2 * len(HOLIDAYS)
    assert counts[0] == counts[1] <= 12, counts


def test_the_preview_says_what_it_left_out(cast: Cast) -> None:
    data = calendar(
        event("1", "Autumn term starts", D(2026, 9, 3)),
        event("2", "Autumn term ends", D(2026, 12, 18)),
        event("3", "Parents' evening", D(2026, 11, 4)),
    )
    response = upload(client_for(cast.cora), cast.area.pk, "markers.ics", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "marks the first and last day of each term" in page
    assert "Left out of the holidays" in page
    assert "Parents&#x27; evening" in page and "read as an event in term" in page
