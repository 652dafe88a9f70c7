"""Changing an event in a real browser, on a phone: a long title wraps instead of running
off the screen, the edit form says what is wrong and then saves, and axe finds nothing
serious on any page of the way (issue 16)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from nextpractice.support import services
from nextpractice.support.models import Event

from .conftest import new_context
from .test_browser import (  # noqa: F401 - fixtures, found by pytest by name
    _session_cookie,
    check,
    journey_world,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
LONG_TITLE = (
    "Spring festival of early language, stories and songs with families across the "
    "cluster: Supercalifragilisticexpialidociousnessforeverandeverandever"
)


def no_sideways_scroll(page: Any) -> None:
    """Neither the page nor any block of text in it is wider than its box: a long title
    that ran past its box would be cut off (or scroll the page sideways) on a phone."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    cut = page.evaluate(
        """() => [...document.querySelectorAll('main h1, main p, main li, main dd')]
            .filter(el => el.scrollWidth > el.clientWidth + 1)
            .map(el => el.tagName + ': ' + el.textContent.trim().slice(0, 40))"""
    )
    assert cut == [], f"text runs past its box: {cut}"


def test_a_member_changes_then_cancels_an_event_on_a_phone(
    live_server: Any,
    chromium: Any,
    journey_world: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    world = journey_world
    day = timezone.localdate() + dt.timedelta(days=20)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 30)))
    event = services.create_event(
        world["cluster"],
        world["amira"],
        kind="celebration",
        title=LONG_TITLE,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        venue="Millbrook hall",
    )
    context = new_context(chromium, **PHONE)
    context.add_cookies([_session_cookie(live_server, world["ben"])])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/clusters/{world['cluster'].pk}/events/")
        assert "Supercalifragilistic" in page.locator("main").inner_text()
        no_sideways_scroll(page)
        check(page, "events-list-long-title")

        page.goto(f"{live_server.url}/events/{event.pk}/")
        no_sideways_scroll(page)
        check(page, "event-long-title")
        page.get_by_role("link", name="Change the event").click()
        page.get_by_role("heading", name="Change the event").wait_for()
        check(page, "event-edit")

        page.get_by_label("Ends").fill("08:00")
        page.get_by_role("button", name="Save the changes").click()
        page.get_by_text("There is a problem").wait_for()
        assert "must end after it starts" in page.locator("main").inner_text()
        check(page, "event-edit-error")

        page.get_by_label("Date").fill((day + dt.timedelta(days=7)).isoformat())
        page.get_by_label("Ends").fill("12:30")
        page.get_by_label("Or a venue").fill("Kelder Nursery School garden")
        page.get_by_role("button", name="Save the changes").click()
        page.get_by_text("The event is changed.").wait_for()
        assert "Kelder Nursery School garden" in page.locator("main").inner_text()
        check(page, "event-changed")

        page.get_by_role("link", name="Cancel it").click()
        page.get_by_label("Why it is cancelled").fill("The hall roof is being repaired")
        check(page, "event-cancel")
        page.get_by_role("button", name="Cancel the event").click()
        page.get_by_text("everyone has been told").wait_for()
        check(page, "event-cancelled")
    finally:
        context.close()
    event = Event.objects.unscoped().get(pk=event.pk)  # a test's read: no person to scope by
    assert event.is_cancelled and event.sequence == 2
    assert timezone.localtime(event.starts_at).date() == day + dt.timedelta(days=7)


def test_a_saturday_meeting_is_added_only_once_confirmed(
    live_server: Any,
    chromium: Any,
    journey_world: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    from nextpractice.meetings.models import Meeting

    world = journey_world
    today = timezone.localdate()
    saturday = today + dt.timedelta(days=7 + (5 - today.weekday()) % 7)
    context = new_context(chromium, **PHONE)
    context.add_cookies([_session_cookie(live_server, world["amira"])])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/clusters/{world['cluster'].pk}/meetings/new/")
        assert page.get_by_label("Yes, the cluster meets at this time").count() == 0
        page.get_by_label("Date").fill(saturday.isoformat())
        page.get_by_role("button", name="Add the meeting").click()
        page.get_by_text("There is a problem").wait_for()
        assert "is a weekend day" in page.locator("main").inner_text()
        check(page, "meeting-weekend-confirm")
        assert not Meeting.objects.filter(cluster=world["cluster"]).exists()
        page.get_by_label("Yes, the cluster meets at this time").check()
        page.get_by_role("button", name="Add the meeting").click()
        page.wait_for_url("**/meetings/*/")
    finally:
        context.close()
    meeting = Meeting.objects.get(cluster=world["cluster"])
    assert meeting.local_start.date() == saturday
