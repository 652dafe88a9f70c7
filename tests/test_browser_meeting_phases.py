"""Journey 4 on a phone, by phase: Ben answers that he is sending a deputy (the deputy's
fields appear only then); at the meeting Meera, the note-taker, types a note, leaves the
page before saving it, comes back to find it there, saves it and publishes. axe finds
nothing serious on any of the pages."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.meetings import services as meetings
from nextpractice.meetings.models import Attendance, Meeting, Note, NoteDraft

from .conftest import make_meeting
from .test_browser import (  # noqa: F401 - fixtures, found by pytest by name
    _session_cookie,
    check,
    journey_world,
    new_context,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
ITEM = "Our SEF leadership section feels weak"
NOTE = "Evidence lists activities, not impact."


def page_top(locator: Any) -> float:
    """Where an element starts on the page, not in the viewport: the page may scroll between
    two readings (the banner after a post takes focus), so viewport positions can't be
    compared."""
    return float(locator.evaluate("el => el.getBoundingClientRect().top + window.scrollY"))


def phone_page(chromium: Any, live_server: Any, person: User) -> Any:
    context = new_context(chromium, **PHONE)
    context.add_cookies([_session_cookie(live_server, person)])
    page = context.new_page()
    page.set_default_timeout(15000)
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def no_sideways_scroll(page: Any, name: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px"


def test_a_meeting_on_a_phone_before_during_and_after(
    live_server: Any,
    chromium: Any,
    journey_world: dict[str, Any],  # noqa: F811 - the fixture imported above
    settings: Any,
) -> None:
    settings.SITE_URL = live_server.url
    world = journey_world
    amira, ben = world["amira"], world["ben"]
    meera = User.objects.get(email="meera@example.test")
    meeting = make_meeting(world["cluster"], dt.timedelta(days=5))
    meeting.chair, meeting.note_taker = amira, meera
    meeting.save()
    meetings.add_item(meeting, amira, "concern", ITEM)
    url = f"{live_server.url}/meetings/{meeting.pk}/"

    # Before: Ben's answer. The deputy's fields appear only once he chooses a deputy.
    page = phone_page(chromium, live_server, ben)
    page.goto(url)
    name = page.get_by_label("Your deputy's name")
    assert name.is_hidden()
    page.get_by_label("Sending a deputy").check()
    name.wait_for(state="visible")
    assert page.get_by_label("Sending a deputy").get_attribute("aria-controls") == "deputy-fields"
    page.get_by_role("button", name="Save my answer").click()
    page.get_by_text("There is a problem").wait_for()
    assert page.get_by_label("Your deputy's name").is_visible()
    page.get_by_label("Your deputy's name").fill("Dee Deputy")
    page.get_by_label("Your deputy's email address").fill("dee@school.test")
    check(page, "meeting-phone-before-deputy")
    page.get_by_role("button", name="Save my answer").click()
    page.get_by_text("Your deputy has been sent an invitation").wait_for()
    no_sideways_scroll(page, "the meeting before")
    check(page, "meeting-phone-before")
    page.get_by_label("Attending").check()
    assert page.get_by_label("Your deputy's name").is_hidden()
    page.context.close()
    assert Attendance.objects.get(meeting=meeting, member=ben).deputy_email == "dee@school.test"

    # During: Meera sees the register first, then her notes against each item.
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    page = phone_page(chromium, live_server, meera)
    page.goto(url)
    register = page.get_by_role("heading", name="Register")
    notes = page.get_by_role("heading", name="Notes on each item")
    assert page_top(register) < page_top(notes)
    page.get_by_text(f"Add a note on {ITEM}").click()
    page.get_by_label("Note", exact=True).first.fill(NOTE)
    # She leaves before saving it: to the year's meetings, and back.
    page.get_by_role("link", name="The year's meetings").click()
    page.get_by_role("heading", name=re.compile("meetings", re.IGNORECASE)).first.wait_for()
    deadline = time.monotonic() + 10
    while not NoteDraft.objects.unscoped().exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    page.goto(url)
    page.get_by_text("Your note from before is back").wait_for()
    assert page.get_by_label("Note", exact=True).first.input_value() == NOTE
    no_sideways_scroll(page, "the meeting during")
    check(page, "meeting-phone-during-draft")
    page.get_by_role("button", name="Add note").first.click()
    page.locator(".np-note", has_text=NOTE).wait_for()
    assert Note.objects.filter(text=NOTE).exists() and not NoteDraft.objects.unscoped().exists()
    page.get_by_role("button", name="Publish the notes and send everyone their actions").click()
    page.get_by_text("The notes are published").wait_for()

    # After: the published notes first, the agenda folded away beneath.
    notes_heading = page.get_by_role("heading", name="Notes and actions")
    assert page_top(notes_heading) < page_top(page.locator("#agenda"))
    assert page.locator("#agenda").get_attribute("open") is None
    no_sideways_scroll(page, "the meeting after")
    check(page, "meeting-phone-after")
    page.context.close()
