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
from typing import Any

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vRecur

from .models import CANCELLED_KEPT, Meeting, MeetingStatus

PRODID = "-//Next Practice//Cluster meetings//EN"
TZID = "Europe/London"


def london_vtimezone() -> Timezone:
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


def _local(value: dt.datetime) -> dt.datetime:
    # A naive wall-clock time with TZID=Europe/London: what every client maps through the
    # VTIMEZONE above (an aware value would make icalendar write its own timezone name).
    return timezone.localtime(value).replace(tzinfo=None)


def meeting_event(meeting: Meeting, site_url: str, domain: str) -> Event:
    event = Event()
    event.add("uid", f"{meeting.uid}@{domain}")
    event.add("dtstamp", meeting.updated_at.astimezone(dt.UTC))
    event.add("last-modified", meeting.updated_at.astimezone(dt.UTC))
    event.add("created", meeting.created_at.astimezone(dt.UTC))
    event.add("sequence", meeting.sequence)
    event.add("dtstart", _local(meeting.starts_at), parameters={"TZID": TZID})
    event.add("dtend", _local(meeting.local_end), parameters={"TZID": TZID})
    title = f"{meeting.cluster.name} cluster meeting"
    link = site_url + reverse("meeting_detail", args=[meeting.pk])
    if meeting.status == MeetingStatus.CANCELLED:
        event.add("summary", f"Cancelled: {title}")
        event.add("status", "CANCELLED")
    else:
        event.add("summary", title)
        event.add("status", "CONFIRMED")
    location = meeting.place_text()
    event.add("location", location)
    lines = [f"Agenda, answers and notes: {link}"]
    if meeting.host_setting is not None and meeting.place_kind == "rotating":
        lines.append(f"Hosted by {meeting.host_setting.name}")
    if meeting.online_url:
        lines.append(f"Join online: {meeting.online_url}")
    event.add("description", "\n".join(lines))
    event.add("url", link)
    event.add("transp", "OPAQUE")
    return event


def build_calendar(
    meetings: Iterable[Meeting], site_url: str, name: str, *, feed: bool = True
) -> bytes:
    """The calendar file: CRLF line ends, lines folded at 75 octets, text escaped."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if feed:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", TZID)
        cal.add("refresh-interval", dt.timedelta(hours=4), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT4H")
    else:
        cal.add("method", "PUBLISH")
    cal.add_component(london_vtimezone())
    domain = site_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "nextpractice"
    for meeting in meetings:
        cal.add_component(meeting_event(meeting, site_url, domain))
    return cal.to_ical()


def feed_meetings(user: Any) -> list[Meeting]:
    """Every meeting of the person's clusters and every meeting they deputise at:
    diarised ones, and cancelled ones until a while after their date."""
    now = timezone.now()
    return list(
        Meeting.objects.for_member(user)
        .diarised()
        .exclude(status=MeetingStatus.CANCELLED, starts_at__lt=now - CANCELLED_KEPT)
        .select_related("cluster", "host_setting")
        .order_by("starts_at")
    )
