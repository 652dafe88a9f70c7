"""Emails at the right time (issue 16): never "tomorrow" on the day, one email for a
meeting added today, and a weekend or evening time confirmed before it is diarised. The
clock is frozen by passing ``now``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from nextpractice.core import mail
from nextpractice.core.models import OutboundEmail
from nextpractice.meetings import planner, services
from nextpractice.meetings.models import Meeting

from .conftest import Cast, Mailbox, client_for, make_meeting


def school_day(days_ahead: int = 3) -> dt.date:
    """A Wednesday at least ``days_ahead`` days from today: a working day whatever today is."""
    day = timezone.localdate() + dt.timedelta(days=days_ahead)
    return day + dt.timedelta(days=(2 - day.weekday()) % 7)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return planner.local_datetime(day, dt.time(hour, minute))


def freeze(monkeypatch: pytest.MonkeyPatch, now: dt.datetime) -> None:
    """The clock for services that read it themselves (adding a meeting checks the time
    has not passed, and stamps what is already due); the periodic job is passed ``now``."""
    monkeypatch.setattr(timezone, "now", lambda: now)


def subjects_to(address: str) -> list[str]:
    return [e.subject for e in OutboundEmail.objects.filter(to=address).order_by("pk")]


def test_a_reminder_sent_on_the_day_says_today_never_tomorrow(
    cast: Cast, smtp_server: Mailbox
) -> None:
    day = school_day()
    meeting = make_meeting(cast.cluster, at(day, 15))
    # Every email's moment passed while the worker was down; it wakes at 07:30 on the day.
    assert services.send_due_meeting_emails(at(day, 7, 30)) == 1
    assert subjects_to(cast.bob.email) == [f"Today: {cast.cluster} at 15:00"]
    mail.deliver_pending()
    (message,) = [m for m in smtp_server.messages if m["To"] == cast.bob.email]
    body = message.get_body(("plain",)).get_content()
    assert "meets today" in body and "tomorrow" not in body.lower()
    meeting.refresh_from_db()
    assert None not in (meeting.call_sent_at, meeting.agenda_sent_at, meeting.reminder_sent_at)
    assert services.send_due_meeting_emails(at(day, 8)) == 0


def test_the_day_before_it_still_says_tomorrow(cast: Cast) -> None:
    day = school_day()
    make_meeting(cast.cluster, at(day, 15))
    services.send_due_meeting_emails(at(day, 15) - dt.timedelta(days=8))  # call for items
    services.send_due_meeting_emails(at(day, 15) - dt.timedelta(days=2, hours=23))  # agenda
    assert services.send_due_meeting_emails(at(day, 15) - dt.timedelta(hours=23)) == 1
    assert subjects_to(cast.bob.email)[-1] == f"Tomorrow: {cast.cluster} at 15:00"


def test_a_meeting_added_for_today_sends_one_email(
    cast: Cast, smtp_server: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = school_day()
    freeze(monkeypatch, at(day, 8))
    place = {"place_kind": "venue", "venue": "Riverside library", "online_url": ""}
    meeting = services.add_meeting(cast.cluster, cast.alice, day, dt.time(16), 60, place)
    for hour in (8, 9, 12, 15):  # the job runs all day
        assert services.send_due_meeting_emails(at(day, hour, 30)) == 0
    assert subjects_to(cast.bob.email) == [f"New meeting: {cast.cluster}, {day:%a %-d %b} at 16:00"]
    mail.deliver_pending()
    assert [m["To"] for m in smtp_server.messages].count(cast.bob.email) == 1
    meeting.refresh_from_db()
    assert meeting.reminder_sent_at is not None


def test_a_meeting_added_for_next_week_still_gets_its_reminder(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = school_day(days_ahead=7)
    now = at(day, 8) - dt.timedelta(days=5)
    freeze(monkeypatch, now)
    place = {"place_kind": "venue", "venue": "Riverside library", "online_url": ""}
    services.add_meeting(cast.cluster, cast.alice, day, dt.time(16), 60, place)
    # The call for items was due already: the "new meeting" email stood in for it.
    assert services.send_due_meeting_emails(now + dt.timedelta(hours=1)) == 0
    assert services.send_due_meeting_emails(at(day, 16) - dt.timedelta(days=2, hours=23)) == 1
    assert services.send_due_meeting_emails(at(day, 16) - dt.timedelta(hours=23)) == 1
    assert [s.split(":")[0] for s in subjects_to(cast.bob.email)] == [
        "New meeting",
        "Agenda",
        "Tomorrow",
    ]


def new_meeting_form(day: dt.date, start: str, **extra: str) -> dict[str, str]:
    return {
        "day": day.isoformat(),
        "start_time": start,
        "duration_minutes": "60",
        "place_kind": "venue",
        "venue": "Riverside library",
        "online_url": "",
    } | extra


@pytest.mark.parametrize(
    ("when", "start", "message"),
    [
        (5, "10:00", "is a weekend day"),  # Saturday
        (6, "10:00", "is a weekend day"),  # Sunday
        (2, "18:30", "18:30 is outside the working day"),
        (2, "06:45", "06:45 is outside the working day"),
    ],
)
def test_a_weekend_or_evening_time_asks_for_confirmation(
    cast: Cast, when: int, start: str, message: str
) -> None:
    day = school_day(days_ahead=7) + dt.timedelta(days=when - 2)
    url = reverse("meeting_new", args=[cast.cluster.pk])
    client = client_for(cast.alice)
    refused = client.post(url, new_meeting_form(day, start))
    page = refused.content.decode()
    assert refused.status_code in (200, 400) and message in page
    assert 'type="checkbox" name="confirm_time"' in page
    assert not Meeting.objects.exists()
    confirmed = client.post(url, new_meeting_form(day, start, confirm_time="on"))
    assert confirmed.status_code == 302
    assert Meeting.objects.count() == 1


def test_a_school_day_time_needs_no_confirmation(cast: Cast) -> None:
    url = reverse("meeting_new", args=[cast.cluster.pk])
    page = client_for(cast.alice).get(url).content.decode()
    assert 'type="checkbox" name="confirm_time"' not in page
    response = client_for(cast.alice).post(url, new_meeting_form(school_day(7), "15:30"))
    assert response.status_code == 302 and Meeting.objects.count() == 1
