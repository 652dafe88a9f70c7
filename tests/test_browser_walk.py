"""Journey 6 in a real browser: on Ben's learning walk Amira types on her phone with no
signal, moving between focus areas; what she typed reaches the server when the signal
returns, survives a reload before it does, and is saved once. Ben reads the most common
next steps that evening and makes one his action, by Friday. Axe on every page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from nextpractice.meetings.models import Action
from nextpractice.reviews import services
from nextpractice.reviews.models import Feedback, FocusAnswer

from .conftest import make_person, new_context
from .test_browser import (  # noqa: F401 - fixtures, found by pytest by name
    _session_cookie,
    check,
    journey_world,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
FEEDBACK_POST = re.compile(r".*/reviews/\d+/feedback/.*")


def answers_of(email: str) -> dict[str, tuple[str, str]]:
    return {
        a.focus.question: (a.strengths, a.next_steps)
        for a in FocusAnswer.objects.unscoped()
        .filter(feedback__reviewer__email=email)
        .select_related("focus")
    }


def test_a_visitor_types_offline_on_a_walk_and_the_host_acts_on_the_commonest_step(
    live_server: Any,
    chromium: Any,
    page: Any,
    journey_world: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    from playwright.sync_api import expect

    world = journey_world
    walk = services.create_request(
        world["cluster"],
        world["ben"],
        kind="walk",
        title="Walk Little Acorns",
        feedback_by=timezone.localdate() + dt.timedelta(days=7),
        focus=[("The environment", None), ("The outdoor area", None)],
        walk_starts_at=timezone.now() + dt.timedelta(hours=2),
    )
    environment, outdoor = ("The environment", "The outdoor area")

    # --- Amira, on her phone in Ben's setting.
    context = new_context(chromium, **PHONE)
    context.add_cookies([_session_cookie(live_server, world["amira"])])
    phone = context.new_page()
    phone.set_default_timeout(15000)
    errors: list[str] = []
    phone.on("pageerror", lambda e: errors.append(str(e)))
    phone.goto(f"{live_server.url}/reviews/{walk.pk}/feedback/")
    assert phone.url.endswith("?step=1")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    check(phone, "70-walk-phone")

    def box(name: str) -> Any:  # the field on the screen shown (hidden screens' are not)
        return phone.get_by_role("textbox", name=name, exact=True)

    context.set_offline(True)
    box("Strengths").fill("Calm, welcoming entrance staff.")
    box("Next steps").fill("Declutter the entrance.")
    phone.get_by_role("button", name="Next area").click()
    expect(phone.locator("#walk-where")).to_have_text("Area 2 of 2")
    expect(phone.get_by_role("heading", name=outdoor)).to_be_focused()
    box("Strengths").fill("A rich mud kitchen.")
    box("Next steps").fill("More shade by the sandpit.")
    phone.get_by_role("button", name="Previous").click()
    expect(box("Next steps")).to_have_value("Declutter the entrance.")
    expect(phone.locator("#save-status")).to_contain_text("kept on this device")
    assert answers_of("amira@example.test") == {}  # nothing reached the server yet

    context.set_offline(False)
    expect(phone.locator("#save-status")).to_contain_text("Your answers are saved")
    assert answers_of("amira@example.test") == {
        environment: ("Calm, welcoming entrance staff.", "Declutter the entrance."),
        outdoor: ("A rich mud kitchen.", "More shade by the sandpit."),
    }

    # The signal drops again; the page is reloaded before a save gets through.
    context.set_offline(True)
    phone.get_by_role("button", name="Next area").click()
    box("Next steps").fill("More shade by the sandpit; a den-building kit.")
    context.route(
        FEEDBACK_POST,
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )
    context.set_offline(False)
    expect(phone.locator("#save-status")).to_contain_text("kept on this device")
    phone.reload()  # back on the screen she was on
    expect(phone.locator("#walk-where")).to_have_text("Area 2 of 2")
    expect(box("Next steps")).to_have_value("More shade by the sandpit; a den-building kit.")
    assert answers_of("amira@example.test")[outdoor][1] == "More shade by the sandpit."
    context.unroute(FEEDBACK_POST)
    # The page retries on its own within seconds; the browser's "online" (as when the
    # signal returns) makes it try now, so the test does not wait on the back-off.
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phone.locator("#save-status")).to_contain_text("Your answers are saved", timeout=20000)
    assert answers_of("amira@example.test")[outdoor][1] == (
        "More shade by the sandpit; a den-building kit."
    )
    assert FocusAnswer.objects.unscoped().count() == 2  # one per area, however often sent

    phone.get_by_role("button", name="Next: overall comment").click()
    box("Overall comment (optional)").fill("Thank you for having us.")
    phone.get_by_role("button", name="Send my feedback").click()
    phone.get_by_text("your feedback is sent").wait_for()
    assert Feedback.objects.unscoped().get().submitted_at is not None
    # Once sent, nothing of it is left on the phone.
    # The page it lands on drops the copy when its script runs, which may be a moment after
    # the text shows: read again for up to five seconds (wait_for_function would need eval,
    # which the product's CSP refuses).
    kept = "Object.keys(localStorage).filter(k => k.startsWith('np-feedback-'))"
    for _ in range(50):
        if not phone.evaluate(kept):
            break
        phone.wait_for_timeout(100)
    assert phone.evaluate(kept) == []
    assert errors == [], f"JavaScript errors: {errors}"
    context.close()

    # Meera said the same in her own words (on paper, typed up later).
    meera = make_person("meera.walk@example.test", "Meera Walker")
    from nextpractice.clusters.models import Membership

    Membership.objects.create(
        cluster=world["cluster"],
        user=meera,
        ground_rules_agreed_at=timezone.now(),
        ground_rules_agreed_version=1,
    )
    areas = {f.question: f.pk for f in walk.focus_areas.all()}
    services.save_feedback(
        walk,
        meera,
        {
            areas[environment]: ("Lovely displays", "The entrance needs decluttering"),
            areas[outdoor]: ("Good risk-taking", "Plant a willow tunnel"),
        },
        submit=True,
    )

    # --- Ben, that evening: the report, and what he will change, by when.
    page.context.add_cookies([_session_cookie(live_server, world["ben"])])
    page.goto(f"{live_server.url}/reviews/{walk.pk}/report/")
    steps = page.locator("#steps").locator("xpath=..")
    expect(steps).to_contain_text("Declutter the entrance: 2 visitors")
    check(page, "71-walk-report")
    steps.get_by_text("Make this my action").first.click()
    opened = page.locator("details[open]")
    opened.get_by_label("What I will change").fill("Order a skip for Friday")
    friday = timezone.localdate() + dt.timedelta(days=(4 - timezone.localdate().weekday()) % 7 or 7)
    opened.get_by_label("By when").fill(friday.isoformat())
    check(page, "72-walk-action-form")
    opened.get_by_role("button", name=re.compile("Make it my action")).click()
    page.get_by_text("is one of your actions now").wait_for()
    action = Action.objects.unscoped().get()
    assert (action.title, action.owner, action.due) == (
        "Order a skip for Friday",
        world["ben"],
        friday,
    )
    expect(page.locator("#steps").locator("xpath=..")).to_contain_text("your actions")
    check(page, "73-walk-action-taken")
