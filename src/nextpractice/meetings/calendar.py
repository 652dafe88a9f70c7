"""Calendar files (RFC 5545) for subscribed feeds and one-off downloads.

Written for the three calendars leaders use. Outlook reads a VTIMEZONE only in its RRULE
form, so Europe/London is written by hand as two yearly rules (last Sunday of March and
of October) instead of the list of dates icalendar's generator produces. Feeds carry no
METHOD (a subscription is not a scheduling message). Each meeting keeps one UID for life;
SEQUENCE rises on every change; cancelled meetings stay, marked CANCELLED, so calendars
remove them visibly instead of guessing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard, vRecur, vText

from .models import CANCELLED_KEPT, Meeting, MeetingStatus
from .planner import LONDON

PRODID = "-//Next Practice//Cluster meetings//EN"
TZID = "Europe/London"


def london_vtimezone() -> Timezone:
    """Europe/London as two yearly rules (the form Outlook reads)."""
    tz = Timezone()
    tz.add("tzid", TZID)
    summer = TimezoneDaylight()
    summer.add("tzname", "BST")
    summer.add("dtstart", dt.datetime(1981, 3, 29, 1, 0, 0))
    summer.add("tzoffsetfrom", dt.timedelta(hours=0))
    summer.add("tzoffsetto", dt.timedelta(hours=1))
    summer.add("rrule", vRecur(freq="YEARLY", bymonth=3, byday="-1SU"))
    winter = TimezoneStandard()
    winter.add("tzname", "GMT")
    winter.add("dtstart", dt.datetime(1996, 10, 27, 2, 0, 0))
    winter.add("tzoffsetfrom", dt.timedelta(hours=1))
    winter.add("tzoffsetto", dt.timedelta(hours=0))
    winter.add("rrule", vRecur(freq="YEARLY", bymonth=10, byday="-1SU"))
    tz.add_component(summer)
    tz.add_component(winter)
    return tz


def _vtimezone_lines() -> bytes:
    cal = Calendar()
    cal.add_component(london_vtimezone())
    lines = cal.to_ical().split(b"\r\n")
    return b"\r\n".join(lines[1:-2])  # without BEGIN/END:VCALENDAR


_VTIMEZONE = _vtimezone_lines()


def _text(value: str) -> str:
    """A TEXT value, escaped as RFC 5545 says (backslash, comma, semicolon, newline)."""
    return vText(value).to_ical().decode()


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(value: dt.datetime) -> str:
    # A wall-clock time with TZID=Europe/London: every client maps it through the
    # VTIMEZONE above, so 15:00 is 15:00 in both GMT and BST.
    return value.astimezone(LONDON).strftime("%Y%m%dT%H%M%S")


def fold(line: str) -> bytes:
    """Fold a content line at 75 octets, never inside a UTF-8 character (RFC 5545 3.1)."""
    raw = line.encode()
    if len(raw) <= 75:
        return raw
    parts: list[bytes] = []
    start, limit = 0, 75
    while len(raw) - start > limit:
        end = start + limit
        while raw[end] & 0xC0 == 0x80:  # a continuation byte: step back to a boundary
            end -= 1
        parts.append(raw[start:end])
        start, limit = end, 74  # continuation lines begin with a space
    parts.append(raw[start:])
    return b"\r\n ".join(parts)


def meeting_lines(meeting: Meeting, link: str, domain: str) -> list[str]:
    """One VEVENT's content lines (unfolded). Written directly rather than through
    icalendar's component machinery, which cost most of a feed's time (bench/RESULTS.md);
    text values still go through icalendar's escaping."""
    title = f"{meeting.cluster.name} cluster meeting"
    cancelled = meeting.status == MeetingStatus.CANCELLED
    description = [f"Agenda, answers and notes: {link}"]
    if meeting.host_setting is not None and meeting.place_kind == "rotating":
        description.append(f"Hosted by {meeting.host_setting.name}")
    if meeting.online_url:
        description.append(f"Join online: {meeting.online_url}")
    stamp = _utc(meeting.updated_at)
    return [
        "BEGIN:VEVENT",
        f"UID:{meeting.uid}@{domain}",
        f"DTSTAMP:{stamp}",
        f"LAST-MODIFIED:{stamp}",
        f"CREATED:{_utc(meeting.created_at)}",
        f"SEQUENCE:{meeting.sequence}",
        f"DTSTART;TZID={TZID}:{_local(meeting.starts_at)}",
        f"DTEND;TZID={TZID}:{_local(meeting.ends_at)}",
        f"SUMMARY:{_text(('Cancelled: ' if cancelled else '') + title)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"LOCATION:{_text(meeting.place_text())}",
        f"DESCRIPTION:{_text(chr(10).join(description))}",
        f"URL:{link}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]


@dataclass
class Entry:
    """Something other than a meeting that belongs in a person's diary and calendar feed
    (a learning walk, an event), given by the apps named in settings.CALENDAR_SOURCES."""

    uid: str
    cluster_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    title: str
    location: str
    link: str
    created_at: dt.datetime
    updated_at: dt.datetime
    sequence: int = 0
    cancelled: bool = False


def entry_lines(entry: Entry, domain: str) -> list[str]:
    stamp = _utc(entry.updated_at)
    return [
        "BEGIN:VEVENT",
        f"UID:{entry.uid}@{domain}",
        f"DTSTAMP:{stamp}",
        f"LAST-MODIFIED:{stamp}",
        f"CREATED:{_utc(entry.created_at)}",
        f"SEQUENCE:{entry.sequence}",
        f"DTSTART;TZID={TZID}:{_local(entry.starts_at)}",
        f"DTEND;TZID={TZID}:{_local(entry.ends_at)}",
        f"SUMMARY:{_text(('Cancelled: ' if entry.cancelled else '') + entry.title)}",
        f"STATUS:{'CANCELLED' if entry.cancelled else 'CONFIRMED'}",
        f"LOCATION:{_text(entry.location)}",
        f"DESCRIPTION:{_text('Details: ' + entry.link)}",
        f"URL:{entry.link}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]


def entries_for(user: Any, site_url: str) -> list[Entry]:
    """Every diary entry the registered sources give this person."""
    found: list[Entry] = []
    for path in settings.CALENDAR_SOURCES:
        found += import_string(path)(user, site_url)
    return found


def build_calendar(
    meetings: Iterable[Meeting],
    site_url: str,
    name: str,
    *,
    feed: bool = True,
    entries: Iterable[Entry] = (),
) -> bytes:
    """The calendar file: CRLF line ends, lines folded at 75 octets, text escaped."""
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    if feed:
        head += [
            f"X-WR-CALNAME:{_text(name)}",
            f"X-WR-TIMEZONE:{TZID}",
            "REFRESH-INTERVAL;VALUE=DURATION:PT4H",
            "X-PUBLISHED-TTL:PT4H",
        ]
    else:
        head.append("METHOD:PUBLISH")
    domain = site_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "nextpractice"
    out = [fold(line) for line in head]
    out.append(_VTIMEZONE)
    # Resolved once: reversing a URL per event was a tenth of a feed's time.
    path = reverse("meeting_detail", args=[987654321])
    for meeting in meetings:
        link = site_url + path.replace("987654321", str(meeting.pk))
        out += [fold(line) for line in meeting_lines(meeting, link, domain)]
    for entry in entries:
        out += [fold(line) for line in entry_lines(entry, domain)]
    out.append(b"END:VCALENDAR")
    return b"\r\n".join(out) + b"\r\n"


def feed_meetings(user: Any) -> list[Meeting]:
    """Every meeting the person sees (``Meeting.objects.visible_to``: their agreed clusters'
    and the one they deputise at): diarised ones, and cancelled ones until a while after
    their date. One query: a feed is fetched every few hours by every subscribed calendar."""
    now = timezone.now()
    return list(
        Meeting.objects.visible_to(user)
        .diarised()
        .exclude(status=MeetingStatus.CANCELLED, starts_at__lt=now - CANCELLED_KEPT)
        .select_related("cluster", "host_setting")
        .only(*FEED_FIELDS)
        .order_by("starts_at")
    )


# What an event is written from (meeting_lines); nothing else is read for a feed.
FEED_FIELDS = [
    "uid",
    "status",
    "starts_at",
    "duration_minutes",
    "created_at",
    "updated_at",
    "sequence",
    "place_kind",
    "venue",
    "online_url",
    "cluster__name",
    "host_setting__name",
    "host_setting__address",
    "host_setting__postcode",
]
