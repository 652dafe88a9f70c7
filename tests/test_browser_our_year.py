"""A member proposes a shared aim on a phone, then reads "Our year" and prints it: the
pages are keyboard- and axe-clean at a phone's width, and on paper the menus and the year
chooser go while the story stays."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from nextpractice.clusters.models import Aim
from nextpractice.support import services as support

from .conftest import make_meeting
from .test_browser import (  # noqa: F401 - fixtures, found by pytest by name
    _session_cookie,
    check,
    journey_world,
    new_context,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True}


def test_a_member_proposes_an_aim_on_a_phone_and_prints_the_year(
    live_server: Any,
    chromium: Any,
    journey_world: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    world = journey_world
    cluster, amira = world["cluster"], world["amira"]
    make_meeting(cluster, dt.timedelta(days=-3))
    support.record_success(cluster, amira, world["ben"], "A **parents' phonics evening**.")

    context = new_context(chromium, **PHONE)
    try:
        context.add_cookies([_session_cookie(live_server, amira)])
        page = context.new_page()
        page.goto(f"{live_server.url}/clusters/{cluster.pk}/")
        page.get_by_role("link", name="See, propose and change our aims").click()
        page.get_by_role("link", name="Propose an aim").click()
        check(page, "aims-01-propose-phone")
        # A bad date is refused with the reason, and keeps what was typed.
        page.get_by_label("The aim").fill("Every child has a turn to compete")
        page.get_by_label("Why, and for which children").fill("Children rarely picked.")
        page.get_by_label("How we\u2019ll know").fill("Counts of first-timers.")
        page.get_by_label("Look at it again on (optional)").fill("2001-01-01")
        page.get_by_role("button", name="Propose the aim").click()
        page.get_by_text("Choose today or a day ahead").first.wait_for()
        assert not Aim.objects.unscoped().exists()
        check(page, "aims-02-refused-phone")
        soon = timezone.localdate() + dt.timedelta(days=5)
        page.get_by_label("Look at it again on (optional)").fill(soon.isoformat())
        page.get_by_role("button", name="Propose the aim").click()
        page.get_by_role("heading", name="Working on").wait_for()
        assert Aim.objects.unscoped().get().review_on == soon
        check(page, "aims-03-list-phone")

        page.get_by_role("link", name="Our year").click()
        page.get_by_role("heading", name="The year at a glance").wait_for()
        main = page.locator("main")
        assert "1 meeting held" in main.inner_text()
        assert "parents' phonics evening" in main.inner_text()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"Our year scrolls sideways by {overflow}px on a phone"
        check(page, "aims-04-our-year-phone")

        # On paper: the story, without the menus, the chooser or the links' addresses.
        page.emulate_media(media="print")
        assert not page.locator("header.np-header").is_visible()
        assert not page.locator("footer").is_visible()
        assert page.get_by_role("heading", name="The year at a glance").is_visible()
        assert page.get_by_role("heading", name="Every child has a turn to compete").count() == 0
        assert "Every child has a turn to compete" in main.inner_text()
        check(page, "aims-05-our-year-print")
    finally:
        context.close()
