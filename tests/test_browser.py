"""Journeys in a real browser: Playwright driving Debian's Chromium, with axe-core on every page.

On a machine without Chromium these tests skip and say so; under CI they fail instead.
"""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.clusters import services
from nextpractice.clusters.models import Cluster, ClusterStatus, Membership, Role
from nextpractice.core.models import OutboundEmail
from nextpractice.directory.models import Area, Setting, SettingKind, Topic, Value
from nextpractice.directory.taxonomy import load_taxonomy

from .conftest import (
    AXE_PATH,
    TOTP_SECRET,
    Mailbox,
    make_person,
    new_context,
    text_of,
)

pytestmark = pytest.mark.browser

SHOTS = (
    Path(os.environ.get("TEST_OUTPUT", Path(__file__).parent.parent / "test-output"))
    / "screenshots"
)


def check(page: Any, name: str) -> None:
    """Run axe-core on the page (fail on serious or critical) and keep a screenshot; fail
    too if the page's own Content-Security-Policy blocked anything on it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    origin = re.match(r"https?://[^/]+", page.url)
    assert origin, f"{name}: axe runs on pages the server sent, not on {page.url}"
    page.add_script_tag(url=origin.group(0) + AXE_PATH)
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a','wcag2aa','wcag21a',"
        "'wcag21aa','wcag22aa','best-practice']})).violations"
    )
    blocked = page.evaluate("() => window.__cspViolations || []")
    assert blocked == [], f"{name}: the Content-Security-Policy blocked {blocked}"
    bad = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in {"serious", "critical"}
    ]
    assert bad == [], f"axe on {name}: {json.dumps(bad, indent=1)}"


@pytest.fixture
def journey_world(transactional_db: Any, smtp_server: Mailbox) -> dict[str, Any]:
    if not Value.objects.exists():  # a transactional test before us flushed them
        load_taxonomy(Value, Topic)
    area = Area.objects.create(name="Northbridge")
    settings = [
        Setting.objects.create(name=n, kind=k, area=area, urn=u)
        for n, k, u in [
            ("Millbrook Primary School", SettingKind.PRIMARY, "107001"),
            ("Little Acorns Day Nursery", SettingKind.DAY_NURSERY, "EY123456"),
            ("Kelder Nursery School", SettingKind.NURSERY_SCHOOL, "107002"),
            ("Brookside Pre-school", SettingKind.PRE_SCHOOL, "EY654321"),
        ]
    ]
    amira = make_person("amira@example.test", "Amira Hussain", settings[0])
    ben = make_person("ben@example.test", "Ben Carter", settings[1])
    meera = make_person("meera@example.test", "Meera Patel", settings[2])
    cluster = Cluster.objects.create(
        name="Riverside leaders", area=area, status=ClusterStatus.ACTIVE, created_by=amira
    )
    for user in (amira, ben, meera):
        Membership.objects.create(
            cluster=cluster,
            user=user,
            role=Role.MEMBER,
            ground_rules_agreed_at=timezone.now(),
            ground_rules_agreed_version=1,
        )
    sam = make_person("sam@example.test", "Sam Whitworth")
    area.coordinators.add(sam)
    TOTP.activate(sam, TOTP_SECRET)
    kerry = make_person("kerry@example.test", "Kerry Lomax")
    kerry.is_researcher = True
    kerry.save()
    from datetime import date

    from nextpractice.formation.models import FormationRound

    opt_round = FormationRound.objects.create(
        area=area, name="Winter round", created_by=sam, opt_in_by=date(2026, 12, 18)
    )
    return {
        "round": opt_round,
        "cluster": cluster,
        "amira": amira,
        "ben": ben,
        "smtp": smtp_server,
        "settings": settings,
        "sam": sam,
        "kerry": kerry,
        "area": area,
    }


def latest_code(smtp: Mailbox) -> str:
    """The code just asked for: it waits in the outbox (first in line), so the worker's
    sweep runs here, until the request that queued it has committed."""
    import time

    from nextpractice.core.mail import deliver_pending

    deadline = time.monotonic() + 10
    while not deliver_pending() and time.monotonic() < deadline:
        time.sleep(0.1)
    match = re.search(
        r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", text_of(smtp.messages[-1]), re.MULTILINE
    )
    assert match
    return match.group(1)


def test_a_leader_signs_in_by_code_opens_her_cluster_and_edits_her_profile(
    live_server: Any, page: Any, journey_world: dict[str, Any]
) -> None:
    smtp = journey_world["smtp"]
    page.goto(live_server.url)
    check(page, "01-welcome")
    page.get_by_role("link", name="Sign in").first.click()
    check(page, "02-sign-in")
    page.get_by_role("button", name="Email me a sign-in code").click()
    page.get_by_label("Email").fill("amira@example.test")
    check(page, "03-request-code")
    page.get_by_role("button", name=re.compile("code", re.I)).click()
    page.get_by_label("Code").fill(latest_code(smtp))
    check(page, "04-enter-code")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Hello, Amira").wait_for()
    check(page, "05-home")
    page.get_by_role("link", name="Riverside leaders").click()
    page.get_by_role("heading", name="Riverside leaders").wait_for()
    assert page.get_by_role("heading", name="Ben Carter").is_visible()
    assert page.get_by_text("Little Acorns Day Nursery").first.is_visible()
    check(page, "06-cluster")
    page.get_by_role("link", name="My profile").click()
    check(page, "07-profile")
    page.get_by_label("Job title").fill("Executive headteacher")
    page.get_by_label("Years in a leadership role").fill("12")
    page.get_by_label("Mid-afternoon (around 3pm)").check()
    for value in Value.objects.all():
        page.locator(f"#id_value_{value.pk}_3").check()  # importance 4
    page.get_by_label("SEND").first.check()
    page.get_by_role("button", name="Save your profile").click()
    page.get_by_text("Your profile is saved.").wait_for()
    check(page, "08-profile-saved")
    amira = journey_world["amira"]
    amira.profile.refresh_from_db()
    assert amira.profile.job_title == "Executive headteacher"
    assert amira.profile.topics.filter(topic__name="SEND", kind="strength").exists()


def test_profile_errors_are_shown_inline_and_save_nothing(
    live_server: Any, page: Any, journey_world: dict[str, Any]
) -> None:
    page.context.add_cookies([_session_cookie(live_server, journey_world["ben"])])
    page.goto(live_server.url + "/profile/")
    page.get_by_label("Job title").fill("")
    page.get_by_role("button", name="Save your profile").click()
    summary = page.get_by_role("alert")
    assert "There is a problem" in summary.inner_text()
    check(page, "09-profile-errors")
    # The error summary has focus, so a screen reader announces it first.
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")


def test_a_new_head_joins_by_invitation_agrees_and_meets_her_cluster(
    live_server: Any, page: Any, journey_world: dict[str, Any], settings: Any
) -> None:
    settings.SITE_URL = live_server.url
    smtp = journey_world["smtp"]
    services.invite(
        journey_world["cluster"],
        journey_world["amira"],
        "priya@example.test",
        message="We meet on Wednesdays at 3.",
    )
    from nextpractice.core.mail import deliver_pending

    deliver_pending()
    invitation = text_of(smtp.messages[-1])
    link = re.search(r"(http://\S+/join/\S+/)", invitation)
    assert link and OutboundEmail.objects.get().body == ""
    page.goto(link.group(1))
    page.get_by_role("heading", name="Riverside leaders").wait_for()
    check(page, "10-invitation")
    page.get_by_role("button", name="Accept and send me a code").click()
    page.get_by_label("Code").fill(latest_code(smtp))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Accept").click()
    page.get_by_role("heading", name="Your profile").wait_for()
    page.get_by_label("Your name").fill("Priya Shah")
    page.get_by_label("Job title").fill("Headteacher")
    page.get_by_label("Years in a leadership role").fill("0")
    for value in Value.objects.all():
        page.locator(f"#id_value_{value.pk}_4").check()
    page.get_by_role("button", name="Save your profile").click()
    page.get_by_role("heading", name="Our ground rules").wait_for()
    check(page, "11-ground-rules")
    assert not page.get_by_role("heading", name="Ben Carter").is_visible()
    page.get_by_label("I agree to these ground rules").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("Welcome to the cluster.").wait_for()
    assert page.get_by_role("heading", name="Ben Carter").is_visible()
    check(page, "12-cluster-joined")


def test_pages_work_on_a_phone_and_by_keyboard(
    live_server: Any, chromium: Any, journey_world: dict[str, Any]
) -> None:
    context = new_context(
        chromium, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    context.add_cookies([_session_cookie(live_server, journey_world["amira"])])
    phone = context.new_page()
    for path, name in [
        ("/", "13-phone-home"),
        (f"/clusters/{journey_world['cluster'].pk}/", "14-phone-cluster"),
        ("/profile/", "15-phone-profile"),
    ]:
        phone.goto(live_server.url + path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
        check(phone, name)
    # The first Tab lands on "Skip to main content", which moves focus to the content.
    phone.goto(live_server.url + "/")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    phone.keyboard.press("Enter")
    assert phone.evaluate("location.hash") == "#main-content"
    context.close()


def _session_cookie(live_server: Any, user: Any) -> dict[str, Any]:
    from django.conf import settings as django_settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": django_settings.SESSION_COOKIE_NAME,
        "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def test_a_coordinator_signs_in_with_two_steps_and_imports_nothing_bad(
    live_server: Any, page: Any, journey_world: dict[str, Any]
) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill("sam@example.test")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in with password").click()
    check(page, "16-two-step")
    code = format_hotp_value(hotp_value(TOTP_SECRET, next(yield_hotp_counters_from_time())))
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name=re.compile("Sign In|Continue|Confirm", re.I)).click()
    page.get_by_role("link", name="Northbridge").click()
    page.get_by_role("heading", name="Northbridge").wait_for()
    check(page, "17-area-directory")
    page.get_by_label("Search by name, URN or postcode").fill("Kelder")
    # (.first: each row's checkbox label names the setting too.)
    page.get_by_text("No settings found.").or_(
        page.get_by_text("Kelder Nursery School")
    ).first.wait_for()
    # (Not wait_for_function: it evaluates a string, which the policy's script-src forbids.)
    from playwright.sync_api import expect

    expect(page.locator("body")).not_to_contain_text("Millbrook Primary School")
    assert "q=Kelder" in page.url  # the search is in the address, so Back and links work
    page.get_by_role("link", name="Import settings from the registers").click()
    page.get_by_label("The register's file (CSV)").set_input_files(
        files=[{"name": "edubase.xlsx", "mimeType": "application/zip", "buffer": b"PK\x03\x04"}]
    )
    page.get_by_role("button", name="Import").click()
    page.get_by_text("There is a problem").wait_for()
    check(page, "18-import-error")


SIGNED_IN_PAGES = [
    ("amira", "/clusters/{cluster}/invite/", "19-invite"),
    ("amira", "/clusters/{cluster}/ground-rules/", "20-ground-rules-edit"),
    ("amira", "/clusters/{cluster}/activity/", "21-activity"),
    ("amira", "/clusters/{cluster}/members/{ben}/remove/", "22-propose-removal"),
    ("amira", "/clusters/{cluster}/leave/", "23-leave"),
    ("amira", "/clusters/new/", "24-new-cluster"),
    ("amira", "/my-setting/", "25-my-setting"),
    ("amira", "/account/", "26-account"),
    ("amira", "/accounts/sessions/", "27-sessions"),
    ("amira", "/accounts/2fa/", "28-two-step"),
    ("amira", "/accounts/email/", "29-email"),
    ("amira", "/accounts/password/set/", "30-password"),
    ("sam", "/areas/{area}/invite/", "31-invite-leaders"),
    ("kerry", "/research/", "32-research"),
    ("amira", "/no-such-page/", "33-not-found"),
    ("amira", "/find-a-cluster/", "39-find-a-cluster"),
    ("sam", "/areas/{area}/rounds/", "40-formation-rounds"),
    ("amira", "/rounds/{round}/opt-in/", "41-opt-in"),
    ("sam", "/areas/{area}/rounds/{round}/", "42-round-with-opt-in"),
    ("sam", "/areas/{area}/term-dates/", "54-term-dates"),
    ("amira", "/clusters/{cluster}/meetings/", "55-meetings-unplanned"),
    ("amira", "/clusters/{cluster}/meetings/new/", "56-add-meeting"),
    ("amira", "/actions/", "57-no-actions"),
    ("amira", "/clusters/{cluster}/reviews/new/website/", "66-ask-website-review"),
    ("amira", "/clusters/{cluster}/reviews/new/walk/", "67-invite-a-walk"),
    ("amira", "/clusters/{cluster}/name/", "68-rename-cluster"),
    ("sam", "/areas/{area}/rounds/{round}/publish/confirm/", "69-nothing-to-publish-yet"),
    # People's rights (privacy)
    ("amira", "/privacy/", "90-privacy-notice"),
    ("amira", "/account/my-data/", "91-download-my-data"),
    ("amira", "/account/delete/", "92-delete-my-account"),
    ("amira", "/account/deleted/", "93-account-deleted"),
]


def test_every_other_page_passes_axe(
    live_server: Any, chromium: Any, journey_world: dict[str, Any]
) -> None:
    ids = {
        "cluster": journey_world["cluster"].pk,
        "ben": journey_world["ben"].pk,
        "area": journey_world["area"].pk,
        "round": journey_world["round"].pk,
    }
    for who, path, name in SIGNED_IN_PAGES:
        context = new_context(chromium)
        context.add_cookies([_session_cookie(live_server, journey_world[who])])
        page = context.new_page()
        page.goto(live_server.url + path.format(**ids))
        assert page.locator("h1").count() == 1, f"{path} should have one main heading"
        check(page, name)
        context.close()


def test_the_axe_gate_really_fails_on_a_serious_violation(
    live_server: Any, page: Any, transactional_db: Any
) -> None:
    """A page sent with the product's own policy: axe still runs (same origin), the policy
    really holds (the inline script does not run), and the gate fails on a missing label."""
    from django.test import Client

    policy = Client().get("/")["Content-Security-Policy"]
    html = (
        '<html lang="en"><title>t</title><main><input type="text"></main>'
        "<script>window.inlineRan = true</script></html>"
    )
    page.route(
        f"{live_server.url}/__test__/self-test",
        lambda route: route.fulfill(
            body=html, content_type="text/html", headers={"Content-Security-Policy": policy}
        ),
    )
    page.goto(f"{live_server.url}/__test__/self-test")
    for _ in range(50):  # the violation event comes a moment after the page loads
        if page.evaluate("() => window.__cspViolations.length"):
            break
        page.wait_for_timeout(100)
    assert page.evaluate("() => window.__cspViolations") == ["script-src-elem blocked inline"]
    assert page.evaluate("() => window.inlineRan") is None
    page.evaluate("() => { window.__cspViolations = []; }")  # seen; now the axe gate alone
    with pytest.raises(AssertionError, match="label"):
        check(page, "00-axe-self-test")


def test_a_coordinator_runs_a_round_watches_it_moves_a_leader_and_publishes(
    live_server: Any, page: Any, journey_world: dict[str, Any]
) -> None:
    import threading

    from nextpractice.formation.models import FormationRound
    from nextpractice.formation.services import run as services_run

    area = journey_world["area"]
    # Eight more leaders, not yet in a cluster, make a pool for two clusters.
    for k in range(8):
        setting = Setting.objects.create(
            name=f"Pool setting {k}",
            kind=SettingKind.PRIMARY,
            area=area,
            urn=f"1080{k:02d}",
            latitude=53.74 + k / 500,
            longitude=-1.60 + k / 400,
        )
        user = make_person(f"pool{k}@example.test", f"Pool Leader {k}", setting)
        user.profile.years_in_leadership = k
        user.profile.save()
    round_ = FormationRound.objects.create(
        area=area, name="Spring round", time_limit=3, created_by=journey_world["sam"]
    )
    page.context.add_cookies([_session_cookie(live_server, journey_world["sam"])])
    page.goto(f"{live_server.url}/areas/{area.pk}/rounds/{round_.pk}/")
    check(page, "34-round")
    page.get_by_role("button", name="Run the matching").click()
    page.locator("#progress-bar").wait_for()
    check(page, "35-round-running")
    # A worker picks the run up (here a thread doing the task's work: the database worker
    # needs the main thread for its signal handlers); the page follows it by itself.
    worker = threading.Thread(target=services_run, args=(round_.pk,))
    worker.start()
    page.get_by_role("heading", name="Proposed clusters").wait_for(timeout=30000)
    worker.join(timeout=30)
    check(page, "36-proposal")
    total = page.get_by_test_id("total-fit").inner_text()
    assert page.get_by_test_id("map").locator("path[data-setting]").count() == 8
    mover = page.locator("select[id^=move-]").first
    target = mover.locator("option").first.get_attribute("value")
    person = mover.get_attribute("id").removeprefix("move-")
    mover.select_option(target)
    page.get_by_role("button", name=re.compile("^Move")).first.click()
    page.get_by_text("Moved.").wait_for()
    assert round_.placements.get(user_id=int(person)).group == int(target)
    # The figures follow the move.
    assert page.get_by_test_id("total-fit").inner_text() != total
    # Two clusters of four: the move leaves one too small, so the summary says to fix it.
    page.get_by_role("link", name="Publish and invite the leaders").click()
    page.get_by_text("outside 4 to 7 leaders").wait_for()
    assert page.get_by_role("button", name=re.compile("^Publish and send")).count() == 0
    page.get_by_role("link", name="Go back to the proposal").click()
    page.locator(f"#move-{person}").select_option(index=0)
    page.locator(f"#move-{person}").locator("xpath=..").get_by_role("button").click()
    page.get_by_text("Moved.").wait_for()
    page.get_by_role("link", name="Publish and invite the leaders").click()
    summary = page.get_by_test_id("publish-summary").inner_text()
    assert re.search(r"Invitations to be sent\s+8,", summary), summary
    check(page, "37-publish-summary")
    assert not OutboundEmail.objects.filter(subject__contains="invites you to join").exists()
    # A double click publishes once.
    page.get_by_role("button", name="Publish and send 8 invitations").dblclick()
    page.get_by_text("Published: the invitations are in the outbox").wait_for()
    check(page, "37-published")
    invited = OutboundEmail.objects.filter(subject__contains="invites you to join")
    assert invited.count() == 8
    assert not invited.filter(subject__icontains="cluster 1").exists()
    # An invited leader sees the invitation on her home page.
    leader = User.objects.get(email="pool3@example.test")
    context = new_context(page.context.browser)
    context.add_cookies([_session_cookie(live_server, leader)])
    home = context.new_page()
    home.goto(live_server.url)
    assert "invited you to join" in home.locator("main").inner_text()
    check(home, "38-invited-leader")
    context.close()


def test_a_cluster_plans_its_year_meets_and_its_action_comes_back(
    live_server: Any, page: Any, journey_world: dict[str, Any], settings: Any
) -> None:
    """Journeys 3 and 4: plan the year, confirm it, answer with a deputy, add an agenda
    item, take notes with an action, publish, and find the action on the next agenda."""
    from nextpractice.meetings.models import Action, Attendance, Meeting, YearPlan
    from nextpractice.meetings.planner import academic_year, academic_year_of

    settings.SITE_URL = live_server.url
    cluster = journey_world["cluster"]
    next_year = academic_year_of(timezone.localdate()) + 1
    page.on("dialog", lambda dialog: dialog.accept())
    page.context.add_cookies([_session_cookie(live_server, journey_world["amira"])])
    page.goto(f"{live_server.url}/clusters/{cluster.pk}/")
    page.get_by_role("link", name="Plan the year").click()
    page.get_by_role("heading", name="Plan the year").wait_for()
    page.get_by_label("Academic year").select_option(label=academic_year(next_year).name)
    assert page.get_by_label("Every half-term (six meetings)").is_checked()
    assert page.get_by_label("Start time").input_value() == "15:00"
    check(page, "43-plan-the-year")
    page.get_by_role("button", name="Propose dates").click()
    page.get_by_role("heading", name=re.compile("Proposed dates")).wait_for()
    assert page.locator(".np-proposals > li").count() == 6
    check(page, "44-proposed-dates")
    page.get_by_role("button", name=re.compile("Confirm these 6 dates")).click()
    page.get_by_text("6 meetings are diarised").wait_for()
    check(page, "45-year-diarised")
    plan = YearPlan.objects.get(cluster=cluster, start_year=next_year)
    meetings = list(plan.meetings.order_by("starts_at"))
    assert all(m.status == "scheduled" for m in meetings)
    assert OutboundEmail.objects.filter(subject__contains="in the diary").count() == 3

    # Ben cannot come to the first meeting and sends his deputy.
    first, second = meetings[0], meetings[1]
    ben_context = new_context(page.context.browser)
    ben_context.add_cookies([_session_cookie(live_server, journey_world["ben"])])
    ben = ben_context.new_page()
    ben.goto(f"{live_server.url}/meetings/{first.pk}/")
    ben.get_by_label("Sending a deputy").check()
    ben.get_by_label("Your deputy's name").fill("Dee Deputy")
    ben.get_by_label("Your deputy's email address").fill("not an email")
    ben.get_by_role("button", name="Save my answer").click()
    ben.get_by_text("There is a problem").wait_for()
    check(ben, "46-deputy-error")
    ben.get_by_label("Your deputy's email address").fill("dee@school.test")
    ben.get_by_role("button", name="Save my answer").click()
    ben.get_by_text("Your deputy has been sent an invitation").wait_for()
    check(ben, "47-deputy-sent")
    ben_context.close()
    assert Attendance.objects.get(meeting=first, member=journey_world["ben"]).deputy_email == (
        "dee@school.test"
    )

    # Amira adds her concern to the agenda.
    page.goto(f"{live_server.url}/meetings/{first.pk}/")
    page.get_by_text("Add an item to the agenda").click()
    page.get_by_label("What kind of item").select_option(label="A concern")
    page.get_by_label("Item", exact=True).fill("Our SEF leadership section feels weak")
    page.get_by_role("button", name="Add to the agenda").click()
    page.get_by_text("Your item is on the agenda.").wait_for()
    check(page, "48-agenda")

    # The day comes: the note-taker notes the item, sets Amira an action and publishes.
    Meeting.objects.filter(pk=first.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    note_taker = Meeting.objects.get(pk=first.pk).note_taker
    assert note_taker is not None
    notes = new_context(page.context.browser)
    notes.add_cookies([_session_cookie(live_server, note_taker)])
    taker = notes.new_page()
    taker.on("dialog", lambda dialog: dialog.accept())
    taker.goto(f"{live_server.url}/meetings/{first.pk}/")
    taker.get_by_text("Add a note on Our SEF leadership section feels weak").click()
    taker.get_by_label("Note", exact=True).first.fill("Evidence lists activities, not impact.")
    taker.get_by_role("button", name="Add note").first.click()
    taker.get_by_text("Evidence lists activities, not impact.").wait_for()
    taker.get_by_text("Add a note on Our SEF leadership section feels weak").click()
    item_actions = taker.locator("form[action$='/actions/']").first
    item_actions.get_by_label("Action", exact=True).fill("Redraft leadership evidence")
    item_actions.get_by_label("Whose action").select_option(label="Amira Hussain")
    item_actions.get_by_role("button", name="Set action").click()
    taker.get_by_text("The action is set.").wait_for()
    check(taker, "49-notes")
    taker.get_by_role("button", name="Publish the notes and send everyone their actions").click()
    taker.get_by_text("The notes are published").wait_for()
    check(taker, "50-published")
    notes.close()
    action = Action.objects.get(title="Redraft leadership evidence")
    assert action.owner == journey_world["amira"] and action.due == second.local_start.date()
    to_amira = OutboundEmail.objects.filter(
        to="amira@example.test", subject__startswith="Notes and actions"
    ).get()
    assert "Redraft leadership evidence" in to_amira.body.split("Your actions:")[1]

    # At the next meeting, Amira's action is already on the agenda.
    page.goto(f"{live_server.url}/meetings/{second.pk}/")
    review = page.locator("#review")
    assert "Redraft leadership evidence" in review.inner_text()
    assert "Amira Hussain" in review.inner_text()
    check(page, "51-next-agenda")
    page.goto(f"{live_server.url}/actions/")
    page.get_by_role("heading", name="Redraft leadership evidence").wait_for()
    check(page, "52-my-actions")
    page.goto(f"{live_server.url}/clusters/{cluster.pk}/meetings/?year={next_year}")
    check(page, "53-year-and-attendance")


def test_a_leader_asks_for_feedback_on_her_sef_and_uses_it(
    live_server: Any,
    page: Any,
    chromium: Any,
    journey_world: dict[str, Any],
    settings: Any,
    tmp_path: Any,
) -> None:
    """Journey 5: Amira shares her SEF with two questions; Ben answers on a computer, Meera
    on her phone (losing the signal half-way); Amira turns a next step into an action and
    downloads the report as a PDF."""
    from fpdf import FPDF

    from nextpractice.meetings.models import Action
    from nextpractice.reviews.checklists import load as load_checklists
    from nextpractice.reviews.models import Checklist, ChecklistItem, Feedback, ReviewRequest

    if not Checklist.objects.exists():  # a transactional test before us flushed them
        load_checklists(Checklist, ChecklistItem)
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = live_server.url
    cluster = journey_world["cluster"]
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Millbrook self-evaluation")
    sef = tmp_path / "Millbrook SEF.pdf"
    sef.write_bytes(bytes(pdf.output()))

    page.context.add_cookies([_session_cookie(live_server, journey_world["amira"])])
    page.goto(f"{live_server.url}/clusters/{cluster.pk}/")
    page.get_by_role("link", name="Feedback and learning walks").click()
    check(page, "58-reviews")
    page.get_by_role("link", name="Share a document").click()
    page.get_by_label("Title").fill("Our SEF, leadership section")
    page.get_by_label("What it is").select_option(label="Self-evaluation (SEF)")
    page.get_by_label("The document").set_input_files(str(sef))
    page.get_by_label("Feedback wanted by").fill(
        (timezone.localdate() + timedelta(days=7)).isoformat()
    )
    page.get_by_label("Focus area 1", exact=True).fill("Is my evidence for leadership convincing?")
    page.get_by_label("Focus area 2 (optional)", exact=True).fill(
        "Does the impact section read well?"
    )
    check(page, "59-ask-for-feedback")
    page.get_by_role("button", name="Send the request").click()
    page.get_by_text("Your request is sent").wait_for()
    check(page, "60-request")
    review = ReviewRequest.objects.get()

    # Ben answers at his desk.
    ben_context = new_context(chromium)
    ben_context.add_cookies([_session_cookie(live_server, journey_world["ben"])])
    ben = ben_context.new_page()
    ben.goto(f"{live_server.url}/reviews/{review.pk}/")
    ben.get_by_role("link", name="Give your feedback").click()
    ben.get_by_label("Strengths").first.fill("A clear vision, well evidenced.")
    ben.get_by_role("button", name="Send my feedback").click()
    ben.get_by_text("There is a problem").wait_for()  # next steps are needed too
    check(ben, "61-feedback-error")
    ben.get_by_label("Next steps").first.fill("Your evidence lists activities, not impact.")
    ben.get_by_label("Strengths").nth(1).fill("Good use of data.")
    ben.get_by_label("Next steps").nth(1).fill("Cut it by half.")
    ben.get_by_role("button", name="Send my feedback").click()
    ben.get_by_text("your feedback is sent").wait_for()
    ben_context.close()

    # Meera answers on her phone, one question per screen; the signal drops on the second.
    phone_context = new_context(
        chromium, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    phone_context.add_cookies(
        [_session_cookie(live_server, User.objects.get(email="meera@example.test"))]
    )
    phone = phone_context.new_page()
    phone.goto(f"{live_server.url}/reviews/{review.pk}/feedback/")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    check(phone, "62-phone-feedback")
    phone.get_by_label("Strengths").first.fill("Honest and specific.")
    phone.get_by_label("Next steps").first.fill("Lead with the children's outcomes.")
    phone_context.set_offline(True)
    phone.get_by_label("Strengths").nth(1).fill("Short and readable.")
    phone.get_by_label("Next steps").nth(1).fill("Add one case study.")
    phone.get_by_role("button", name="Send my feedback").click()
    phone.get_by_text("kept on this device").wait_for()
    assert (
        Feedback.objects.filter(
            reviewer__email="meera@example.test", submitted_at__isnull=False
        ).count()
        == 0
    )
    phone_context.set_offline(False)
    from playwright.sync_api import expect

    expect(phone.locator("#save-status")).to_contain_text("saved")
    draft = Feedback.objects.get(reviewer__email="meera@example.test")
    assert {a.next_steps for a in draft.answers.all()} == {
        "Lead with the children's outcomes.",
        "Add one case study.",
    }
    phone.get_by_role("button", name="Send my feedback").click()
    phone.get_by_text("your feedback is sent").wait_for()
    phone_context.close()

    # Amira reads it by question, makes a next step her action, and takes the PDF.
    page.goto(f"{live_server.url}/reviews/{review.pk}/")
    assert "Your evidence lists activities, not impact." in page.locator("main").inner_text()
    check(page, "63-feedback-gathered")
    page.get_by_role("button", name=re.compile("Make this next step my action")).first.click()
    page.get_by_text("It is one of your actions now").wait_for()
    assert Action.objects.filter(owner=journey_world["amira"]).count() == 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report (PDF)").click()
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
    assert "Your evidence lists activities, not impact." in text and "Add one case study." in text
    page.get_by_role("link", name="Printable report").click()
    check(page, "64-report")
    page.goto(f"{live_server.url}/clusters/{cluster.pk}/examples/")
    check(page, "65-example-library")


def test_an_urgent_call_for_help_a_shout_out_and_a_sports_day(
    live_server: Any, page: Any, chromium: Any, journey_world: dict[str, Any], settings: Any
) -> None:
    """Journeys 7, 8 and 9: Amira presses "I need help" (urgent); Ben sees it at the top of
    his home page and answers "I'll call you"; Ben gives her a shout-out that appears on her
    "What you've achieved"; a sports day collects two settings' numbers."""
    from nextpractice.support.models import Event, HelpRequest

    settings.SITE_URL = live_server.url
    cluster = journey_world["cluster"]
    inspection = Topic.objects.order_by("position").first()
    assert inspection is not None
    page.context.add_cookies([_session_cookie(live_server, journey_world["amira"])])
    page.goto(f"{live_server.url}/clusters/{cluster.pk}/")
    page.get_by_role("link", name="I need help").click()
    page.get_by_label("What has happened, in a line").fill("Inspection tomorrow")
    page.get_by_label("More detail").fill("The inspector phoned at 9:10. **Help!**")
    page.get_by_label("Urgent: today").check()
    page.get_by_label(inspection.name, exact=True).check()
    check(page, "68-ask-for-help")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Sent to everyone in the cluster now.").wait_for()
    check(page, "69-help-request")
    help_request = HelpRequest.objects.get()
    assert OutboundEmail.objects.filter(
        to="ben@example.test", subject__startswith="URGENT"
    ).exists()

    ben_context = new_context(chromium)
    ben_context.add_cookies([_session_cookie(live_server, journey_world["ben"])])
    ben = ben_context.new_page()
    ben.goto(live_server.url)
    banner = ben.get_by_role("region", name="Urgent: a colleague needs help")
    assert "Inspection tomorrow" in banner.inner_text()
    check(ben, "70-urgent-on-home")
    banner.get_by_role("link", name="Inspection tomorrow").click()
    ben.get_by_role("button", name="I'll call you").click()
    ben.get_by_text("has been told you are calling").wait_for()
    check(ben, "71-calling")
    assert OutboundEmail.objects.filter(
        to="amira@example.test", subject="Ben Carter is calling you now"
    ).exists()
    help_request.refresh_from_db()
    assert help_request.first_answer_at is not None

    # Later: Ben's shout-out for Amira.
    ben.goto(f"{live_server.url}/clusters/{cluster.pk}/successes/")
    ben.get_by_label("Whose success").select_option(label="A shout-out for Amira Hussain")
    ben.get_by_label("What happened").fill("You handled the inspection *brilliantly*.")
    ben.get_by_role("button", name="Record it").click()
    ben.get_by_text("Recorded. Thank you for noticing.").wait_for()
    check(ben, "72-successes")

    # A sports day: Amira's and Ben's settings give their numbers (numbers only).
    ben.goto(f"{live_server.url}/clusters/{cluster.pk}/events/")
    ben.get_by_label("What kind of event").select_option(label="Sports day")
    ben.get_by_label("Title").fill("Cluster sports day")
    ben.get_by_label("Date").fill((timezone.localdate() + timedelta(days=40)).isoformat())
    ben.get_by_label("Starts").fill("09:30")
    ben.get_by_label("Ends").fill("14:30")
    ben.get_by_label("Hosted by").select_option(label="Millbrook Primary School")
    ben.get_by_label("For children").check()
    ben.get_by_label("The aim").fill("Children who never get picked compete at their level")
    ben.get_by_label("Organising contacts").fill("Pat Lee, pat.pe@millbrook.test")
    check(ben, "73-plan-event")
    ben.get_by_role("button", name="Create the event").click()
    ben.get_by_role("heading", name="Cluster sports day").wait_for()
    ben.get_by_label("Children (numbers only)").fill("18")
    ben.get_by_label("Adults").fill("4")
    ben.get_by_role("button", name=re.compile("Save .* numbers")).click()
    ben.get_by_text("Your setting's numbers are saved.").wait_for()
    ben_context.close()
    event = Event.objects.get()
    page.goto(f"{live_server.url}/events/{event.pk}/")
    page.get_by_label("Children (numbers only)").fill("12")
    page.get_by_label("Adults").fill("3")
    page.get_by_role("button", name=re.compile("Save .* numbers")).click()
    page.get_by_text("Your setting's numbers are saved.").wait_for()
    table = page.locator("table").inner_text()
    assert "Little Acorns Day Nursery" in table and "Millbrook Primary School" in table
    assert "30" in table and "7" in table
    check(page, "74-event-numbers")

    # Amira's achievements show Ben's shout-out; no league table anywhere.
    page.goto(f"{live_server.url}/achievements/")
    main = page.locator("main").inner_text()
    assert "You handled the inspection brilliantly." in main and "Ben Carter" in main
    check(page, "75-achievements")
    # She marks the request resolved: it joins the library.
    page.goto(f"{live_server.url}/help/{help_request.pk}/")
    page.get_by_label("What helped").fill("Ben's call: what the inspector asked him first.")
    page.get_by_role("button", name="Mark it resolved").click()
    page.get_by_text("Resolved, and added to the cluster's library.").wait_for()
    page.goto(f"{live_server.url}/clusters/{cluster.pk}/help/?q=inspector")
    assert "Inspection tomorrow" in page.locator("main").inner_text()
    check(page, "76-library")
    for path, name in [
        (f"/clusters/{cluster.pk}/research/", "77-research"),
        (f"/clusters/{cluster.pk}/ideas/", "78-ideas"),
        (f"/clusters/{cluster.pk}/funding/", "79-funding"),
        (f"/clusters/{cluster.pk}/search/?q=inspection", "80-search"),
        ("/notifications/", "81-notifications"),
        ("/notifications/settings/", "82-notification-settings"),
        ("/been-through/", "83-been-through"),
    ]:
        page.goto(live_server.url + path)
        check(page, name)
