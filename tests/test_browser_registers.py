"""A coordinator loads her authority from both national registers, in a real browser (axe
on every page), invites three leaders from the directory, and they sign in bound to their
settings; the childminder among them gives her setting's name for her cluster only."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)

from nextpractice.directory import imports
from nextpractice.directory.models import (
    Area,
    LeaderProfile,
    PrivateSettingDetails,
    SettingsImport,
    Topic,
    Value,
)
from nextpractice.directory.taxonomy import load_taxonomy

from .conftest import TOTP_SECRET, Mailbox, make_person, text_of
from .registers_data import area_files
from .test_browser import check, latest_code

pytestmark = pytest.mark.browser

LEADERS = [
    # (the setting's name in the directory, email, name)
    ("Beck Lane 7 Primary School", "head@example.test", "Hana Head"),
    ("Little Stars Day Nursery 0", "manager@example.test", "Maya Manager"),
    ("Childminder EY600001", "minder@example.test", "Mina Minder"),
]


@pytest.fixture
def area_world(transactional_db: Any, smtp_server: Mailbox, settings: Any) -> dict[str, Any]:
    if not Value.objects.exists():  # a transactional test before us flushed them
        load_taxonomy(Value, Topic)
    area = Area.objects.create(name="Bradford", la_code="380")
    sam = make_person("sam@example.test", "Sam Whitworth")
    area.coordinators.add(sam)
    TOTP.activate(sam, TOTP_SECRET)
    return {"area": area, "smtp": smtp_server}


def _load(page: Any, register_label: str, name: str, data: bytes) -> None:
    page.get_by_role("link", name="Import settings from the registers").click()
    page.get_by_label(register_label).check()
    page.get_by_label("The register's file (CSV)").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Waiting for the importer to start").wait_for()
    job = SettingsImport.objects.order_by("-pk").first()
    assert job is not None
    imports.run(job.pk)  # what the worker does
    page.get_by_text("settings imported").wait_for()  # HTMX polls the job's page


def test_a_coordinator_loads_both_registers_and_invites_three_leaders_who_join(
    live_server: Any, page: Any, area_world: dict[str, Any], settings: Any
) -> None:
    settings.SITE_URL = live_server.url
    smtp = area_world["smtp"]
    gias_data, ofsted_data, expected = area_files(60)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill("sam@example.test")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in with password").click()
    code = format_hotp_value(hotp_value(TOTP_SECRET, next(yield_hotp_counters_from_time())))
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name=re.compile("Sign In|Continue|Confirm", re.I)).click()
    page.get_by_role("link", name="Bradford").click()
    page.get_by_role("heading", name="Bradford").wait_for()

    page.get_by_role("link", name="Import settings from the registers").click()
    check(page, "80-import-registers")
    page.go_back()
    _load(page, "GIAS establishments", "edubase.csv", gias_data)
    check(page, "81-gias-imported")
    directory = f"{live_server.url}/areas/{area_world['area'].pk}/"
    page.goto(directory)
    _load(page, "Ofsted childcare providers", "childcare-providers.csv", ofsted_data)
    check(page, "82-ofsted-imported")

    page.goto(directory)
    page.get_by_role("heading", name=f"Settings ({expected.settings})").wait_for()
    check(page, "83-directory-both-registers")
    # The directory comes 30 settings a page: in an area this size Sam finds each setting
    # by its name (or URN) and invites its leader from there.
    for n, (setting_name, email, name) in enumerate(LEADERS):
        page.goto(f"{directory}?{urlencode({'q': setting_name})}")
        row = page.get_by_role("row").filter(has_text=setting_name).inner_text()
        if setting_name.startswith("Little Stars"):
            assert "Day nursery" in row  # Ofsted's kind of provider, beside GIAS's schools
        page.get_by_label(f"Invite the leader of {setting_name}", exact=True).check()
        page.get_by_role("button", name="Invite the leaders of the chosen settings").click()
        page.get_by_role("heading", name="Invite the leaders of chosen settings").wait_for()
        if n == 0:
            check(page, "84-invite-chosen")
        page.get_by_label(f"Email address of the leader of {setting_name}").fill(email)
        page.get_by_label(f"Name (optional) of the leader of {setting_name}").fill(name)
        page.get_by_role("button", name="Send invitations").click()
        page.get_by_text("1 invitation(s) sent.").wait_for()

    from nextpractice.core.mail import deliver_pending

    deliver_pending()
    links = {}
    for message in smtp.messages:
        found = re.search(r"(http://\S+/join/\S+/)", text_of(message))
        if found:
            links[str(message["To"])] = found.group(1)
    assert set(links) == {email for _, email, _ in LEADERS}

    for setting_name, email, name in LEADERS:
        page.context.clear_cookies()
        page.goto(links[email])
        page.get_by_role("button", name="Accept and send me a code").click()
        page.get_by_label("Code").fill(latest_code(smtp))
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Accept").click()
        page.get_by_role("heading", name="Your profile").wait_for()
        # The name the coordinator gave starts her account's name.
        assert page.get_by_label("Your name").input_value() == name
        profile = LeaderProfile.objects.select_related("setting").get(user__email=email)
        assert profile.setting is not None and profile.setting.name == setting_name

    # The childminder (still signed in) gives her setting's name, for her cluster only.
    page.goto(live_server.url + "/my-setting/")
    check(page, "85-childminder-private-details")
    page.get_by_label("Your setting's name").fill("Mina's Little Explorers")
    page.get_by_label("Postcode").fill("bd7 1ax")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your setting's details are saved.").wait_for()
    details = PrivateSettingDetails.objects.get()
    assert (details.name, details.postcode) == ("Mina's Little Explorers", "BD7 1AX")
