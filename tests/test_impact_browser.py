"""Impact journeys in a real browser, with axe-core on every page: a leader answering her
check-in on a phone, and the researcher's term (journey 10)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from nextpractice.clusters.models import Membership
from nextpractice.directory.models import Setting, SettingKind
from nextpractice.impact.models import CheckIn, CheckInRound, Item, Questionnaire
from nextpractice.impact.questionnaire import load

from .conftest import Cast, make_person
from .test_browser import _session_cookie, check, new_context

pytestmark = pytest.mark.browser


@pytest.fixture
def impact_world(transactional_db: Any, cast: Cast) -> Cast:
    if not Questionnaire.objects.exists():  # a transactional test before us flushed it
        load(Questionnaire, Item)
    return cast


def open_check_in(cast: Cast) -> CheckIn:
    return CheckIn.objects.create(
        user=cast.alice,
        area=cast.area,
        is_baseline=True,
        term="2026-autumn",
        questionnaire=Questionnaire.objects.get(version=1),
    )


def test_a_leader_answers_her_check_in_on_a_phone(
    live_server: Any, chromium: Any, impact_world: Cast
) -> None:
    cast = impact_world
    open_check_in(cast)
    context = new_context(
        chromium, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    context.add_cookies([_session_cookie(live_server, cast.alice)])
    phone = context.new_page()
    phone.goto(f"{live_server.url}/clusters/{cast.cluster.pk}/")
    phone.get_by_role("link", name="Answer your check-in").click()
    phone.get_by_role("heading", name="How are you?").wait_for()
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the check-in scrolls sideways on a phone by {overflow}px"
    check(phone, "impact-01-phone-check-in")
    # Sending it half done says what is missing, and keeps what was chosen.
    life = phone.get_by_role("group", name="Overall, how satisfied are you with your life")
    life.get_by_label("7", exact=True).check()
    phone.get_by_role("button", name="Send my answers").click()
    phone.get_by_text("There is a problem").wait_for()
    assert life.get_by_label("7", exact=True).is_checked()
    check(phone, "impact-02-phone-check-in-errors")
    groups = phone.get_by_role("group")
    for k in range(groups.count()):
        group = groups.nth(k)
        radios = group.get_by_role("radio")
        if radios.count() and not any(radios.nth(i).is_checked() for i in range(radios.count())):
            target = radios.nth(radios.count() // 2)
            box = group.locator("label").nth(radios.count() // 2).bounding_box()
            assert box and box["height"] >= 24, "answers are big enough to tap"
            target.check()
    phone.get_by_label("What, if anything, did the cluster help you with").fill("Ofsted prep")
    phone.get_by_role("button", name="Send my answers").click()
    phone.get_by_role("heading", name="Since you joined").wait_for()
    check(phone, "impact-03-phone-trend")
    saved = CheckIn.objects.get(user=cast.alice)
    assert saved.answered_at is not None and saved.scores["ons_life_satisfaction"] == 7
    assert saved.helped == "Ofsted prep"
    context.close()


def researchers_term(cast: Cast) -> None:
    """Eight leaders answered in September (at joining) and in July."""
    questionnaire = Questionnaire.objects.get(version=1)
    summer = CheckInRound.objects.create(
        area=cast.area,
        term="2026-summer",
        opens_on=dt.date(2027, 7, 1),
        questionnaire=questionnaire,
    )
    people = [cast.alice, cast.bob]
    for i in range(6):
        setting = Setting.objects.create(
            name=f"Nursery {i}", kind=SettingKind.DAY_NURSERY, area=cast.area, idaci_decile=2
        )
        person = make_person(f"n{i}@example.test", f"Nursery Leader {i}", setting)
        Membership.objects.create(
            cluster=cast.cluster,
            user=person,
            ground_rules_agreed_version=1,
            ground_rules_agreed_at=timezone.now(),
        )
        people.append(person)
    for k, person in enumerate(people):
        base = {"leader_confidence": 4 + k % 3, "role_isolation": 7 - k % 2}
        CheckIn.objects.create(
            user=person,
            area=cast.area,
            is_baseline=True,
            term="2026-autumn",
            questionnaire=questionnaire,
            answered_at=timezone.now(),
            scores=base,
        )
        CheckIn.objects.create(
            user=person,
            area=cast.area,
            round=summer,
            term="2026-summer",
            questionnaire=questionnaire,
            answered_at=timezone.now(),
            scores={"leader_confidence": 6 + k % 3, "role_isolation": 5},
        )


def test_the_researchers_term(live_server: Any, page: Any, impact_world: Cast) -> None:
    cast = impact_world
    researchers_term(cast)
    page.context.add_cookies([_session_cookie(live_server, cast.rita)])
    page.goto(live_server.url + "/research/")
    check(page, "impact-04-research")
    page.get_by_role("link", name="Is it working?").click()
    page.get_by_role("heading", name="Is it working?").wait_for()
    check(page, "impact-05-research-impact")
    chart = page.get_by_role("img", name="Change since joining, with 95% intervals")
    assert chart.is_visible()
    table = page.locator("#change-table")
    assert "Confidence as a leader" in table.inner_text() and "+2.00" in table.inner_text()
    body = page.content()
    assert "Alice" not in body and "Riverside" not in body
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these tables (CSV)").click()
    assert download.value.suggested_filename == "impact-programme.csv"


def test_the_coordinators_pages_pass_axe(live_server: Any, page: Any, impact_world: Cast) -> None:
    cast = impact_world
    researchers_term(cast)
    page.context.add_cookies([_session_cookie(live_server, cast.cora)])
    for path, name in [
        (f"/areas/{cast.area.pk}/overview/", "impact-06-overview"),
        (f"/areas/{cast.area.pk}/check-ins/", "impact-07-schedule"),
        (f"/areas/{cast.area.pk}/impact/", "impact-08-area-figures"),
    ]:
        page.goto(live_server.url + path)
        check(page, name)
    page.context.add_cookies([_session_cookie(live_server, cast.alice)])
    page.goto(f"{live_server.url}/clusters/{cast.cluster.pk}/health/")
    check(page, "impact-09-health")
