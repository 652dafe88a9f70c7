"""The home page in a real browser, by role, on a phone and on a desktop: what needs the
person comes first and the next meeting follows it within the first screen of a phone;
nobody is told to do what is not theirs to do; axe finds nothing serious."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from nextpractice.meetings import services as meetings
from nextpractice.meetings.models import Attendance
from nextpractice.reviews import services as reviews

from .conftest import make_meeting
from .test_browser import (  # noqa: F401 - fixtures, found by pytest by name
    _session_cookie,
    check,
    journey_world,
    new_context,
)

pytestmark = pytest.mark.browser

VIEWPORTS = {
    "phone": {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_home_page_by_role(
    live_server: Any,
    chromium: Any,
    journey_world: dict[str, Any],  # noqa: F811 - the fixture imported above
    device: str,
) -> None:
    world = journey_world
    amira, ben = world["amira"], world["ben"]
    meeting = make_meeting(world["cluster"], dt.timedelta(days=4))
    reviews.create_request(
        world["cluster"],
        ben,
        kind="website",
        title="Our new website",
        website_url="https://little-acorns.example",
        feedback_by=timezone.localdate() + dt.timedelta(days=6),
        focus=[("Is it clear what we offer?", None)],
    )
    held = make_meeting(world["cluster"], dt.timedelta(days=-10))
    meetings.add_action(held, ben, "Send the phonics plan", amira, due=timezone.localdate())
    meetings.respond(meeting, ben, "deputy", "Dee Deputy", "dee@example.test")
    dee = Attendance.objects.get(meeting=meeting, member=ben).deputy
    people = {"member": amira, "coordinator": world["sam"], "deputy": dee}

    context = new_context(chromium, **VIEWPORTS[device])
    try:
        for role, person in people.items():
            context.clear_cookies()
            context.add_cookies([_session_cookie(live_server, person)])
            page = context.new_page()
            page.goto(live_server.url + "/")
            page.get_by_role("heading", name="What needs you").wait_for()
            body = page.locator("main").inner_text()
            assert "Fill in your profile" not in body
            if role == "member":
                assert page.get_by_role("heading", name="Hello, Amira").is_visible()
                assert "Feedback for Ben Carter: Our new website" in body
                assert "Send the phonics plan" in body
                assert "Say whether you are coming to Riverside leaders" in body
            if role == "coordinator":
                assert page.get_by_role("heading", name="Areas you coordinate").is_visible()
                assert "Find a cluster with room" not in body
            if role == "deputy":
                assert "Find a cluster with room" not in body and "Riverside leaders" in body
            if device == "phone":
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{role}'s home scrolls sideways by {overflow}px"
                if role != "coordinator":
                    top = page.get_by_role("heading", name="Next meeting").bounding_box()
                    assert top and top["y"] + top["height"] <= 740, (
                        f"{role}: the next meeting is below the first screen ({top})"
                    )
            check(page, f"home-{role}-{device}")
            page.close()
    finally:
        context.close()
