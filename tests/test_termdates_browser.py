"""In a real browser (with axe): a coordinator checks what a council's calendar of school
days was read as, saves it, and sees which leaders have only an approximate location."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import make_person
from .test_browser import _session_cookie, check, journey_world, new_context
from .test_termdates_shapes import HOLIDAYS, term_day_file

pytestmark = pytest.mark.browser
__all__ = ["journey_world"]  # fixtures used by name


def test_a_coordinator_previews_a_calendar_of_school_days_and_saves_it(
    live_server: Any, chromium: Any, journey_world: dict[str, Any]
) -> None:
    from nextpractice.meetings.models import SchoolHoliday

    context = new_context(chromium)
    context.add_cookies([_session_cookie(live_server, journey_world["sam"])])
    page = context.new_page()
    area = journey_world["area"]
    page.goto(f"{live_server.url}/areas/{area.pk}/term-dates/")
    page.get_by_label("Term dates file (.ics calendar or .csv)").set_input_files(
        files=[{"name": "school-days.ics", "mimeType": "text/calendar", "buffer": term_day_file()}]
    )
    page.get_by_role("button", name="Import").click()
    page.get_by_role("heading", name="Check what we read").wait_for()
    assert "every school day as its own event" in page.inner_text("main")
    assert page.get_by_text("October half-term").count() == 1
    assert not SchoolHoliday.objects.exists()
    check(page, "term-dates-preview")
    page.get_by_role("button", name="Save these holidays").click()
    page.get_by_text(f"{len(HOLIDAYS)} holiday periods imported.").wait_for()
    assert SchoolHoliday.objects.filter(area=area).count() == len(HOLIDAYS)
    context.close()


def test_the_round_page_names_a_leader_with_an_approximate_location(
    live_server: Any, chromium: Any, journey_world: dict[str, Any]
) -> None:
    # Priya leads Brookside and is in no cluster yet: she is in the round's pool.
    brookside = journey_world["settings"][3]
    brookside.postcode, brookside.latitude, brookside.longitude = "BD8 7ZZ", 53.8, -1.77
    brookside.location_approximate = True
    brookside.save()
    make_person("priya@example.test", "Priya Shah", brookside)
    context = new_context(chromium)
    context.add_cookies([_session_cookie(live_server, journey_world["sam"])])
    page = context.new_page()
    from nextpractice.formation.models import FormationRound

    area = journey_world["area"]
    # A round without opt-in: every leader of the area with a profile is in its pool.
    round_ = FormationRound.objects.create(
        area=area, name="Spring round", created_by=journey_world["sam"]
    )
    page.goto(f"{live_server.url}/areas/{area.pk}/rounds/{round_.pk}/")
    note = page.locator("#approximate-locations")
    assert "1 leader has only an approximate location" in note.inner_text()
    assert "Priya Shah" in note.inner_text()
    check(page, "round-approximate-locations")
    context.close()
