"""Events that change (issue 16): edited, moved or cancelled through a form, everyone told
once, and calendars following through SEQUENCE and STATUS."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import recurring_ical_events
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from nextpractice.audit.models import AuditEntry
from nextpractice.core import mail
from nextpractice.core.models import Notification, OutboundEmail
from nextpractice.directory.models import Setting
from nextpractice.meetings.models import CalendarFeed
from nextpractice.support import services
from nextpractice.support.models import Event, Preference

from .conftest import Cast, Mailbox, client_for


def sports_day(cast: Cast, **extra: Any) -> Event:
    day = timezone.localdate() + dt.timedelta(days=30)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 30)))
    return services.create_event(
        cast.cluster,
        cast.alice,
        kind="sports",
        title=extra.pop("title", "Cluster sports day"),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=5),
        venue="Rec ground",
        contacts=[("Pat Lee", "pat.pe@school.test")],
        **extra,
    )


def edit_form(event: Event, **change: Any) -> dict[str, Any]:
    start = timezone.localtime(event.starts_at)
    return {
        "title": event.title,
        "day": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": timezone.localtime(event.ends_at).strftime("%H:%M"),
        "host_setting": "",
        "venue": event.venue,
        "aim": event.aim,
        "sequence": event.sequence,
    } | change


def feed_events(cast: Cast) -> list[Any]:
    feed = CalendarFeed.objects.create(user=cast.bob)
    body = client_for(None).get(reverse("calendar_feed", args=[feed.token])).content
    return [e for e in Calendar.from_ical(body).walk("VEVENT") if "sports" in str(e["SUMMARY"])]


def sent_since(before: int) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.order_by("pk")[before:])


def test_it_moves_an_event_tells_everyone_once_and_calendars_follow(
    cast: Cast, smtp_server: Mailbox
) -> None:
    Preference.objects.create(user=cast.bob, kind="event", mode="immediate")
    event = sports_day(cast)
    before = OutboundEmail.objects.count()
    new_day = timezone.localdate(event.starts_at) + dt.timedelta(days=7)
    form = edit_form(event, day=new_day.isoformat(), start="10:00", end="15:00")
    response = client_for(cast.alice).post(reverse("event_edit", args=[event.pk]), form)
    assert response.status_code == 302
    event.refresh_from_db()
    assert timezone.localtime(event.starts_at).date() == new_day
    assert event.sequence == 1
    # Bob chose to hear of events straight away; Pat, the PE lead, has no account.
    emails = sent_since(before)
    assert sorted(e.to for e in emails) == sorted([cast.bob.email, "pat.pe@school.test"])
    mail.deliver_pending()  # with the "new event" email Bob had when it was arranged
    bodies = {
        m["To"]: m.get_body(("plain",)).get_content()
        for m in smtp_server.messages
        if "Changed: Cluster sports day" in m["Subject"]
    }
    assert "It is now on" in bodies[cast.bob.email] and "10:00" in bodies[cast.bob.email]
    assert "/events/" not in bodies["pat.pe@school.test"]  # no link into the cluster
    assert Notification.objects.filter(user=cast.fay, kind="event", text__contains="moved")
    assert AuditEntry.objects.filter(verb="event.edited").count() == 1

    # A second click resends the same form: it is stale, nothing changes, nobody is told.
    again = client_for(cast.alice).post(reverse("event_edit", args=[event.pk]), form)
    assert again.status_code == 302
    assert OutboundEmail.objects.count() == before + 2
    event.refresh_from_db()
    assert event.sequence == 1

    (entry,) = feed_events(cast)
    assert int(entry["SEQUENCE"]) == 1 and str(entry["STATUS"]) == "CONFIRMED"
    cal = Calendar.from_ical(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + entry.to_ical() + b"END:VCALENDAR\r\n"
    )
    found = recurring_ical_events.of(cal).at(new_day)
    assert [e.decoded("DTSTART").hour for e in found] == [10]


def test_it_tells_nobody_when_only_the_details_change(cast: Cast) -> None:
    Preference.objects.create(user=cast.bob, kind="event", mode="immediate")
    event = sports_day(cast)
    before = OutboundEmail.objects.count()
    client_for(cast.bob).post(
        reverse("event_edit", args=[event.pk]),
        edit_form(event, title="Cluster sports day (bring water)", aim="Hot weather plan"),
    )
    event.refresh_from_db()
    assert (event.title, event.aim, event.sequence) == (
        "Cluster sports day (bring water)",
        "Hot weather plan",
        1,
    )
    assert OutboundEmail.objects.count() == before


def test_it_cancels_once_with_a_reason_and_the_feed_marks_it_cancelled(
    cast: Cast, smtp_server: Mailbox
) -> None:
    Preference.objects.create(user=cast.bob, kind="event", mode="immediate")
    event = sports_day(cast)
    before = OutboundEmail.objects.count()
    url = reverse("event_cancel", args=[event.pk])
    assert client_for(cast.fay).get(url).status_code == 200
    refused = client_for(cast.fay).post(url, {"reason": "   "})
    assert refused.status_code == 400 and "Why it is cancelled" in refused.content.decode()
    assert client_for(cast.fay).post(url, {"reason": "The field is flooded"}).status_code == 302
    # The double click: the event is already cancelled, so nothing more is sent.
    assert client_for(cast.fay).post(url, {"reason": "The field is flooded"}).status_code == 302
    event.refresh_from_db()
    assert event.is_cancelled and event.cancel_reason == "The field is flooded"
    # Bob hears at once; Alice chose nothing, so hers waits for the daily digest.
    assert sorted(e.to for e in sent_since(before)) == sorted(
        [cast.bob.email, "pat.pe@school.test"]
    )
    mail.deliver_pending()
    assert any("flooded" in m.get_body(("plain",)).get_content() for m in smtp_server.messages)
    (entry,) = feed_events(cast)
    assert str(entry["STATUS"]) == "CANCELLED" and int(entry["SEQUENCE"]) == 1
    page = client_for(cast.bob).get(reverse("event_detail", args=[event.pk])).content.decode()
    assert "Cancelled: Cluster sports day" in page and "The field is flooded" in page
    assert reverse("event_edit", args=[event.pk]) not in page
    # Editing a cancelled event is turned away with a word, not changed.
    client_for(cast.bob).post(reverse("event_edit", args=[event.pk]), edit_form(event, title="X"))
    event.refresh_from_db()
    assert event.title == "Cluster sports day" and event.sequence == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"end": "09:00"}, "must end after it starts"),
        ({"venue": ""}, "host setting or give a venue"),
        ({"title": ""}, "This field is required"),
        ({"title": "x" * 201}, "at most 200 characters"),
        ({"day": "2026-02-30"}, "Enter a valid date"),
        ({"sequence": "-1"}, "could not be read: reload the page"),
        ({"host_setting": "99999999"}, "Select a valid choice"),
    ],
)
def test_a_bad_edit_is_refused_inline_and_changes_nothing(
    cast: Cast, change: dict[str, str], message: str
) -> None:
    event = sports_day(cast)
    response = client_for(cast.alice).post(
        reverse("event_edit", args=[event.pk]), edit_form(event, **change)
    )
    assert response.status_code == 400 and message in response.content.decode()
    event.refresh_from_db()
    assert event.sequence == 0 and event.title == "Cluster sports day"


def test_a_long_title_is_kept_whole(cast: Cast) -> None:
    title = "Spring celebration of early language with families " * 3
    event = sports_day(cast, title=title.strip()[:200])
    page = client_for(cast.bob).get(reverse("event_detail", args=[event.pk])).content.decode()
    assert event.title in page and "text-break-word" in page
    listing = client_for(cast.bob).get(reverse("event_list", args=[cast.cluster.pk]))
    assert event.title in listing.content.decode()


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_two_cancels_at_the_same_moment_tell_everyone_once(cast: Cast) -> None:
    from .test_concurrency import at_once, needs_postgresql

    needs_postgresql()
    Preference.objects.create(user=cast.bob, kind="event", mode="immediate")
    event = sports_day(cast)
    before = OutboundEmail.objects.count()

    def cancel() -> None:
        services.cancel_event(Event.objects.unscoped().get(pk=event.pk), cast.fay, "Rain")

    errors = at_once([cancel, cancel, cancel])
    assert [str(e) for e in errors] == ["This event is already cancelled."] * 2
    assert OutboundEmail.objects.count() == before + 2  # Bob and Pat, once each
    assert Event.objects.unscoped().get(pk=event.pk).sequence == 1


def test_a_leader_whose_setting_takes_part_hears_of_a_move_at_once(cast: Cast) -> None:
    event = sports_day(cast)
    # Alice's setting is coming; she left her event emails at the daily digest.
    services.set_numbers(event, Setting.objects.get(urn="100000"), cast.alice, 12, 3)
    before = OutboundEmail.objects.count()
    later = timezone.localdate(event.starts_at) + dt.timedelta(days=1)
    client_for(cast.bob).post(
        reverse("event_edit", args=[event.pk]), edit_form(event, day=later.isoformat())
    )
    assert [e.to for e in sent_since(before) if e.to != "pat.pe@school.test"] == [cast.alice.email]
    notice = Notification.objects.get(user=cast.alice, text__contains="moved")
    assert not notice.urgent and notice.emailed_at is not None
