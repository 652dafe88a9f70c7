"""The chair's tools for an agenda item, one form per item, in a real browser (issue 16):
Enter in the minutes field sets the time (never moves the item), each button posts the form
to its own view, and only the off-the-record button takes an item off the record. axe finds
nothing serious on the chair's page at the meeting."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from nextpractice.meetings import services as meetings
from nextpractice.meetings.models import AgendaItem

from .conftest import make_meeting
from .test_browser import (  # noqa: F401 - fixtures, found by pytest by name
    _session_cookie,
    check,
    journey_world,
    new_context,
)

pytestmark = pytest.mark.browser


def test_the_chair_uses_each_tool_of_an_item_from_its_one_form(
    live_server: Any,
    chromium: Any,
    journey_world: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    amira = journey_world["amira"]
    meeting = make_meeting(journey_world["cluster"], -dt.timedelta(hours=1))
    meeting.chair = amira
    meeting.save()
    first, second, third = (
        meetings.add_item(meeting, amira, "concern", title)
        for title in ["Staff wellbeing", "Sharing a moderator", "Phonics screening"]
    )
    context = new_context(chromium)
    context.add_cookies([_session_cookie(live_server, amira)])
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    check(page, "meeting-chair-during")

    def until(done: Any) -> None:
        deadline = time.monotonic() + 10
        while not done() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert done()

    def tools(item: AgendaItem) -> Any:
        """The item's tools (each button's name ends with the item's title)."""
        return page.locator(f"#item-{item.pk} form.np-chair-tools")

    def order() -> list[int]:
        return list(meeting.items.order_by("position").values_list("pk", flat=True))

    def reload(item: AgendaItem) -> AgendaItem:
        return AgendaItem.objects.get(pk=item.pk)

    # Enter in the minutes field sets the time: the form's first button, not "Up".
    minutes = page.locator(f"#minutes-{second.pk}")
    minutes.fill("12")
    minutes.press("Enter")
    until(lambda: reload(second).minutes == 12)
    page.locator(f"#minutes-{second.pk}[value='12']").wait_for()
    assert order() == [first.pk, second.pk, third.pk]
    assert not reload(second).off_record

    # Down moves it (and saves no minutes typed beside it).
    page.locator(f"#minutes-{second.pk}").fill("30")
    tools(second).get_by_role("button", name="Down").click()
    until(lambda: order() == [first.pk, third.pk, second.pk])
    page.wait_for_load_state()
    assert reload(second).minutes == 12

    # Off the record by its own button; back on by "Minute it after all".
    tools(first).get_by_role("button", name="Take it off the record").click()
    page.get_by_text("The item is off the record").wait_for()
    assert reload(first).off_record and not reload(third).off_record
    tools(first).get_by_role("button", name="Minute it after all").click()
    page.get_by_text("The item is back on the record").wait_for()
    assert not reload(first).off_record

    # Merge into the item chosen beside it.
    tools(first).get_by_label("Merge into").select_option(label="Phonics screening")
    tools(first).get_by_role("button", name="Merge").click()
    page.get_by_text("The items are merged.").wait_for()
    assert not AgendaItem.objects.filter(pk=first.pk).exists()
    assert "Staff wellbeing" in reload(third).detail
    context.close()
