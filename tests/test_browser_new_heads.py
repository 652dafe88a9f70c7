"""A new head and her buddy, on phones (issue 16): Meera, who has just joined, answers the
cluster page's welcome question; Ben finds "Meera Patel is new to headship" at the top of
his home page and offers; Meera sees how to reach him and ticks a first step from the
keyboard. Every page fits a phone's width and axe finds nothing serious."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nextpractice.accounts.models import User
from nextpractice.support.models import Buddy, NewHead

from .test_browser import (  # noqa: F401 - fixtures, found by pytest by name
    _session_cookie,
    check,
    journey_world,
    new_context,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}


def fits(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways on a phone by {overflow}px"


def test_a_new_head_finds_a_buddy_and_works_through_her_first_steps_on_a_phone(
    live_server: Any,
    chromium: Any,
    journey_world: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    world = journey_world
    cluster, ben = world["cluster"], world["ben"]
    meera = User.objects.get(email="meera@example.test")
    meeras = new_context(chromium, **PHONE)
    bens = new_context(chromium, **PHONE)
    try:
        meeras.add_cookies([_session_cookie(live_server, meera)])
        phone = meeras.new_page()
        phone.goto(f"{live_server.url}/clusters/{cluster.pk}/")
        phone.get_by_text("Welcome. Are you new to headship?").wait_for()
        fits(phone)
        check(phone, "new-head-01-welcome")
        phone.get_by_role("button", name="Yes, I am new to headship").click()
        phone.get_by_role("heading", name="New to headship", exact=True).wait_for()
        assert phone.get_by_text("No buddy yet").is_visible()
        fits(phone)
        check(phone, "new-head-02-page")

        bens.add_cookies([_session_cookie(live_server, ben)])
        his = bens.new_page()
        his.goto(f"{live_server.url}/")
        his.get_by_role("link", name="Meera Patel is new to headship").click()
        his.get_by_role("button", name="I'll be Meera's buddy").first.click()
        his.get_by_role("heading", name="Meera's induction checklist").wait_for()
        assert his.get_by_text("Thank you: you are Meera's buddy.").is_visible()
        fits(his)
        check(his, "new-head-03-buddy")
        new_head = NewHead.objects.unscoped().get(user=meera)
        assert Buddy.objects.unscoped().current().get(new_head=new_head).buddy == ben

        phone.goto(f"{live_server.url}/new-heads/{new_head.pk}/")
        phone.get_by_role("heading", name="Your buddy", exact=True).wait_for()
        assert phone.get_by_role("link", name="ben@example.test").is_visible()
        assert phone.get_by_role("link", name="07700 900111").is_visible()
        fits(phone)
        check(phone, "new-head-04-checklist")
        # Ticked from the keyboard: focus the button, press Enter.
        phone.get_by_role("button", name=re.compile(r"^Mark as done\s*: Meet your buddy")).focus()
        phone.keyboard.press("Enter")
        phone.get_by_role(
            "button", name=re.compile(r"^Mark as not done\s*: Meet your buddy")
        ).wait_for()
        check(phone, "new-head-05-ticked")
    finally:
        meeras.close()
        bens.close()
