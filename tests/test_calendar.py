"""Calendar feeds, read back by two independent readers: recurring-ical-events (Python) and
Mozilla's ical.js (run by node), as Outlook, Google and Apple calendars would read them."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import recurring_ical_events
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from nextpractice.directory.models import Setting
from nextpractice.meetings import planner, services
from nextpractice.meetings.models import CalendarFeed, Meeting, MeetingStatus

from .conftest import Cast, client_for, make_meeting, require_tool

ASSETS = Path(__file__).parent / "assets"
UTC = dt.UTC


def at(day: dt.date, hour: int = 15, minute: int = 0) -> dt.datetime:
    return planner.local_datetime(day, dt.time(hour, minute))


@pytest.fixture
def year(cast: Cast) -> dict[str, Any]:
    """Alice's meetings: autumn (BST), winter (GMT), spring (BST again), one moved, one
    cancelled, one in another cluster she is not in, one Bob deputises at elsewhere."""
    host = Setting.objects.get(urn="100000")
    host.name = "St Mary's, Church; Lane"
    host.address = "1 High Street\nNorthbridge"
    host.postcode = "NB1 2AB"
    host.save()
    y = planner.academic_year_of(timezone.localdate()) + 1
    days = {
        "october": dt.date(y, 10, 20),  # BST
        "november": dt.date(y, 11, 10),  # GMT
        "april": dt.date(y + 1, 4, 20),  # BST
        "may": dt.date(y + 1, 5, 12),
    }
    meetings = {}
    for name, day in days.items():
        meetings[name] = make_meeting(cast.cluster, at(day), host=host)
    services.move_meeting(meetings["may"], cast.bob, days["may"], dt.time(15, 30), 60)
    services.cancel_meeting(meetings["april"], cast.bob, "Inspection week")
    other = make_meeting(cast.other_cluster, at(days["november"], 10))
    feed = CalendarFeed.objects.create(user=cast.alice)
    return {"meetings": meetings, "other": other, "feed": feed, "days": days}


def fetch(feed: CalendarFeed) -> bytes:
    response = Client().get(reverse("calendar_feed", args=[feed.token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response.content


def test_the_feed_is_well_formed_for_outlook_google_and_apple(year: dict[str, Any]) -> None:
    raw = fetch(year["feed"])
    text = raw.decode()
    lines = text.split("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # CRLF only
    assert all(len(line.encode()) <= 75 for line in lines)  # folded
    assert not any(line.startswith("METHOD") for line in lines)  # a feed is not a message
    # Europe/London in the RRULE form Outlook reads, not a list of RDATEs.
    tz = text[text.index("BEGIN:VTIMEZONE") : text.index("END:VTIMEZONE")]
    assert "TZID:Europe/London" in tz
    assert (
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in tz
        or "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU" in tz
    )
    assert (
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in tz
        or "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU" in tz
    )
    assert "RDATE" not in tz
    assert text.count("BEGIN:VTIMEZONE") == 1
    assert "DTSTART;TZID=Europe/London:" in text
    # Commas, semicolons and newlines in the host's address are escaped.
    assert "LOCATION:St Mary's\\, Church\\; Lane\\, 1 High Street\\, Northbridge\\, NB1 2AB" in (
        text.replace("\r\n ", "")
    )
    cal = Calendar.from_ical(raw)
    events = cal.walk("VEVENT")
    assert len(events) == 4  # Alice's four; not the other cluster's meeting
    for event in events:
        for prop in ("UID", "DTSTAMP", "LAST-MODIFIED", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY"):
            assert prop in event, prop
        assert "/meetings/" in str(event["DESCRIPTION"])


def test_python_reader_sees_three_pm_either_side_of_the_clocks(year: dict[str, Any]) -> None:
    cal = Calendar.from_ical(fetch(year["feed"]))
    days = year["days"]
    found = recurring_ical_events.of(cal).between(
        dt.datetime(days["october"].year, 9, 1, tzinfo=UTC),
        dt.datetime(days["may"].year, 8, 1, tzinfo=UTC),
    )
    by_day = {e.decoded("DTSTART").date(): e for e in found}
    october, november = by_day[days["october"]], by_day[days["november"]]
    for event in (october, november):
        start = event.decoded("DTSTART")
        assert start.hour == 15 and start.minute == 0
        assert (event.decoded("DTEND") - start) == dt.timedelta(minutes=90)
    assert october.decoded("DTSTART").astimezone(UTC).hour == 14  # BST
    assert november.decoded("DTSTART").astimezone(UTC).hour == 15  # GMT
    cancelled = by_day[days["april"]]
    assert str(cancelled["STATUS"]) == "CANCELLED" and int(cancelled["SEQUENCE"]) == 1
    moved = by_day[days["may"]]
    assert moved.decoded("DTSTART").hour == 15 and moved.decoded("DTSTART").minute == 30
    assert int(moved["SEQUENCE"]) == 1


def read_with_icaljs(raw: bytes, tmp_path: Path) -> dict[str, Any]:
    node = shutil.which("node")
    require_tool(node is not None, "node is not installed (ical.js runs in node)")
    path = tmp_path / "feed.ics"
    path.write_bytes(raw)
    done = subprocess.run(
        [str(node), str(ASSETS / "read_ics.cjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_mozillas_ical_js_reads_the_same_feed(year: dict[str, Any], tmp_path: Path) -> None:
    parsed = read_with_icaljs(fetch(year["feed"]), tmp_path)
    assert parsed["method"] is None
    assert parsed["timezones"] == ["Europe/London"]
    events = {e["start"]["local"][:10]: e for e in parsed["events"]}
    days = year["days"]
    october = events[days["october"].isoformat()]
    november = events[days["november"].isoformat()]
    assert (
        october["start"]["local"].endswith("T15:00:00")
        and october["start"]["tzid"] == "Europe/London"
    )
    assert october["start"]["utc"].endswith("T14:00:00Z")
    assert november["start"]["local"].endswith("T15:00:00")
    assert november["start"]["utc"].endswith("T15:00:00Z")
    assert november["end"]["utc"].endswith("T16:30:00Z")
    assert events[days["april"].isoformat()]["status"] == "CANCELLED"
    assert events[days["may"].isoformat()]["sequence"] == 1
    assert october["location"] == "St Mary's, Church; Lane, 1 High Street, Northbridge, NB1 2AB"
    assert "/meetings/" in october["description"]
    uids = {e["uid"] for e in parsed["events"]}
    assert len(uids) == 4


def test_a_meeting_keeps_its_uid_and_raises_its_sequence_on_every_change(
    cast: Cast, year: dict[str, Any]
) -> None:
    meeting: Meeting = year["meetings"]["november"]
    before = {
        str(e["UID"]): int(e["SEQUENCE"])
        for e in Calendar.from_ical(fetch(year["feed"])).walk("VEVENT")
    }
    services.move_meeting(meeting, cast.alice, meeting.local_start.date(), dt.time(14), 90)
    services.move_meeting(meeting, cast.alice, meeting.local_start.date(), dt.time(13), 90)
    after = {str(e["UID"]): e for e in Calendar.from_ical(fetch(year["feed"])).walk("VEVENT")}
    uid = f"{meeting.uid}@127.0.0.1"
    assert set(after) == set(before)
    assert int(after[uid]["SEQUENCE"]) == before[uid] + 2
    assert after[uid].decoded("DTSTART").hour == 13


def test_a_cancelled_meeting_stays_in_the_feed_for_a_while_then_goes(year: dict[str, Any]) -> None:
    cancelled: Meeting = year["meetings"]["april"]
    assert (
        cancelled.status == MeetingStatus.CANCELLED
        or Meeting.objects.get(pk=cancelled.pk).is_cancelled
    )
    Meeting.objects.filter(pk=cancelled.pk).update(starts_at=timezone.now() - dt.timedelta(days=61))
    uids = [str(e["UID"]) for e in Calendar.from_ical(fetch(year["feed"])).walk("VEVENT")]
    assert f"{cancelled.uid}@127.0.0.1" not in uids
    assert len(uids) == 3


def test_a_deputy_gets_the_meeting_in_their_own_feed(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=5))
    services.respond(meeting, cast.bob, "deputy", "Dee Deputy", "dee@school.test")
    deputy = meeting.attendances.get().deputy
    feed = CalendarFeed.objects.create(user=deputy)
    events = Calendar.from_ical(fetch(feed)).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"{meeting.uid}@127.0.0.1"]


def test_proposed_dates_are_in_nobodys_calendar(cast: Cast) -> None:
    make_meeting(cast.cluster, dt.timedelta(days=5), status=MeetingStatus.PROPOSED)
    feed = CalendarFeed.objects.create(user=cast.alice)
    assert Calendar.from_ical(fetch(feed)).walk("VEVENT") == []


def test_the_token_is_the_only_key_and_a_replaced_one_stops_working(cast: Cast) -> None:
    client = client_for(cast.alice)
    client.post(reverse("calendar_token"), {"do": "replace"})
    first = CalendarFeed.objects.get(user=cast.alice).token
    assert len(first) >= 40
    page = client.get(reverse("account"))
    assert first.encode() in page.content
    client.post(reverse("calendar_token"), {"do": "replace"})
    second = CalendarFeed.objects.get(user=cast.alice).token
    assert Client().get(reverse("calendar_feed", args=[first])).status_code == 404
    assert Client().get(reverse("calendar_feed", args=[second])).status_code == 200
    client.post(reverse("calendar_token"), {"do": "revoke"})
    assert Client().get(reverse("calendar_feed", args=[second])).status_code == 404
    assert Client().get(reverse("calendar_feed", args=["guess"])).status_code == 404


def test_a_single_meeting_downloads_as_an_ics_file(cast: Cast, tmp_path: Path) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=5))
    response = client_for(cast.bob).get(reverse("meeting_ics", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="meeting-')
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1 and str(events[0]["UID"]) == f"{meeting.uid}@127.0.0.1"
    parsed = read_with_icaljs(response.content, tmp_path)
    assert parsed["events"][0]["uid"] == f"{meeting.uid}@127.0.0.1"


def test_long_lines_fold_at_75_octets_without_splitting_a_character() -> None:
    from nextpractice.meetings.calendar import fold

    line = "LOCATION:" + "Ysgol Gymraeg Bryn Tâf, Heol y Nant; " * 6
    folded = fold(line)
    pieces = folded.split(b"\r\n")
    assert len(pieces) > 3
    assert all(len(p) <= 75 for p in pieces)
    assert all(p.startswith(b" ") for p in pieces[1:])
    assert b"".join([pieces[0], *(p[1:] for p in pieces[1:])]).decode() == line
    for p in pieces:
        p.decode()  # each physical line is whole UTF-8
