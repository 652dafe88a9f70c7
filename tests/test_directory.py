"""Profiles, settings and the coordinator's area directory."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from nextpractice.accounts.models import Invitation
from nextpractice.core.models import OutboundEmail
from nextpractice.directory import imports
from nextpractice.directory.models import ClosureDay, Setting, SettingsImport

from .conftest import TOTP_SECRET, Cast, client_for
from .test_gias import gias_file, school


def setting_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Setting 0",
        "kind": "primary",
        "urn": "100000",
        "address": "1 Mill Lane",
        "postcode": "ls6 2aa",
        "website": "https://setting0.example",
        "size": "210",
        "percent_disadvantaged": "41.5",
        "percent_eal": "62",
        "home_languages": "Urdu, Polish",
        "new_arrivals": "many",
        "idaci_decile": "2",
        "closure_days_text": "27/11/2026 INSET day\n02/01/2027\n",
    }
    data.update(overrides)
    return data


def test_a_leader_edits_her_settings_context_and_closure_days(cast: Cast) -> None:
    response = client_for(cast.alice).post(reverse("setting_edit"), setting_data())
    assert response.status_code == 302
    setting = Setting.objects.get(urn="100000")
    assert setting.postcode == "LS6 2AA"
    assert (setting.idaci_decile, setting.new_arrivals) == (2, "many")
    assert [(d.date.isoformat(), d.reason) for d in ClosureDay.objects.filter(setting=setting)] == [
        ("2026-11-27", "INSET day"),
        ("2027-01-02", "INSET day"),
    ]


def test_bad_setting_details_are_shown_inline_and_nothing_changes(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        reverse("setting_edit"),
        setting_data(
            urn="12", postcode="NOWHERE", percent_eal="140", closure_days_text="next friday"
        ),
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "Enter a URN of 6 or 7 digits" in text
    assert "Enter a real UK postcode" in text
    assert "Line 1: start with a date" in text
    assert "less than or equal to 100" in text
    setting = Setting.objects.get(urn="100000")
    assert (setting.postcode, setting.percent_eal) == ("", None)
    assert not ClosureDay.objects.exists()


def test_profile_rejects_a_topic_chosen_as_both_strength_and_need(cast: Cast) -> None:
    from nextpractice.directory.models import Topic, Value

    send = Topic.objects.get(name="SEND").pk
    data: dict[str, Any] = {
        "full_name": "Alice Archer",
        "job_title": "Head",
        "strengths": [send],
        "develop": [send],
    }
    for value in Value.objects.all():
        data[f"value_{value.pk}"] = "3"
    response = client_for(cast.alice).post(reverse("profile_edit"), data)
    assert b"Choose each area once" in response.content


def test_the_profile_form_only_follows_local_next_links(cast: Cast) -> None:
    from nextpractice.directory.models import Value

    data: dict[str, Any] = {
        "full_name": "Alice Archer",
        "job_title": "Head",
        "next": "https://evil.example/",
    }
    for value in Value.objects.all():
        data[f"value_{value.pk}"] = "3"
    response = client_for(cast.alice).post(reverse("profile_edit"), data)
    assert response["Location"] == "/"


def test_the_coordinator_sees_names_and_sizes_never_contact_details(cast: Cast) -> None:
    page = client_for(cast.cora).get(reverse("area_directory", args=[cast.area.pk]))
    text = page.content.decode()
    assert "Riverside" in text and "Alice Archer" in text and "Setting 0" in text
    assert "07700 900111" not in text and "alice@example.test" not in text
    assert "ground rules" not in text.lower()


def test_the_directory_search_answers_htmx_with_just_the_results(cast: Cast) -> None:
    url = reverse("area_directory", args=[cast.area.pk])
    page = client_for(cast.cora).get(url, {"q": "Setting 3"}, HTTP_HX_REQUEST="true")
    text = page.content.decode()
    assert "Setting 3" in text and "Setting 1" not in text
    assert "<html" not in text


def test_a_coordinator_uploads_a_gias_file(cast: Cast) -> None:
    cast.area.name, cast.area.la_code = "Bradford", "380"
    cast.area.save()
    upload = SimpleUploadedFile(
        "edubase.csv",
        gias_file(school("107301", "Lilycroft Primary"), school("x1", "Broken Primary")),
        "text/csv",
    )
    client = client_for(cast.cora)
    job_page = client.post(reverse("area_import", args=[cast.area.pk]), {"file": upload})
    job = SettingsImport.objects.get()
    assert job_page.url == reverse("area_import_job", args=[cast.area.pk, job.pk])
    imports.run(job.pk)  # what the worker does
    text = client.get(job_page.url).content.decode()
    assert "1 settings imported" in text
    assert "URN &#x27;x1&#x27; is not a valid URN" in text
    assert Setting.objects.filter(urn="107301", area=cast.area).exists()


def test_an_unreadable_upload_is_reported_inline_and_writes_nothing(cast: Cast) -> None:
    upload = SimpleUploadedFile("edubase.xlsx", b"PK\x03\x04\x00\x00binary", "application/zip")
    page = client_for(cast.cora).post(reverse("area_import", args=[cast.area.pk]), {"file": upload})
    assert b"There is a problem" in page.content and b"not a CSV file" in page.content
    assert Setting.objects.count() == 5


def test_a_coordinator_invites_leaders_to_fill_in_profiles(cast: Cast) -> None:
    page = client_for(cast.cora).post(
        reverse("area_invite", args=[cast.area.pk]),
        {"emails": "head1@example.test\nHEAD2@example.test\nalice@example.test\n"},
    )
    text = page.content.decode()
    assert "2 invitation(s) sent" in text
    assert "alice@example.test already has an account" in text
    assert set(Invitation.objects.values_list("email", flat=True)) == {
        "head1@example.test",
        "head2@example.test",
    }
    assert (
        OutboundEmail.objects.filter(subject__contains="join Next Practice in Northbridge").count()
        == 2
    )


def test_bad_email_lines_are_reported_by_line(cast: Cast) -> None:
    page = client_for(cast.cora).post(
        reverse("area_invite", args=[cast.area.pk]), {"emails": "ok@example.test\nnot-an-address"}
    )
    assert b"Line 2: not-an-address is not an email address" in page.content
    assert not Invitation.objects.exists()


def test_researchers_see_counts_and_nothing_below_five(cast: Cast) -> None:
    page = client_for(cast.rita).get(reverse("research"))
    text = page.content.decode()
    assert "Northbridge" in text
    assert "fewer than 5" in text  # four leaders with profiles in the cast's area
    assert "Riverside" not in text and "Alice" not in text


# --- Who leads a setting is established, never self-asserted ------------------------------


def profile_data(**overrides: Any) -> dict[str, Any]:
    from nextpractice.directory.models import Value

    data: dict[str, Any] = {"full_name": "Alice Archer", "job_title": "Head"}
    for value in Value.objects.all():
        data[f"value_{value.pk}"] = "3"
    data.update(overrides)
    return data


def test_the_profile_form_no_longer_lets_a_leader_pick_a_setting(cast: Cast) -> None:
    other = Setting.objects.get(name="Setting 4")
    page = client_for(cast.alice).get(reverse("profile_edit"))
    assert b'name="setting"' not in page.content
    client_for(cast.alice).post(reverse("profile_edit"), profile_data(setting=other.pk))
    cast.alice.profile.refresh_from_db()
    assert cast.alice.profile.setting.name == "Setting 0"


def test_a_leader_without_an_established_link_cannot_edit_any_setting(cast: Cast) -> None:
    from .conftest import make_person

    leader = make_person("lee@example.test", "Lee Leader")
    target = Setting.objects.get(name="Setting 4")
    client = client_for(leader)
    response = client.post(reverse("setting_edit"), setting_data(urn="100004", name="Mine"))
    assert response.status_code == 302 and response["Location"] == reverse("setting_claim")
    target.refresh_from_db()
    assert target.name == "Setting 4" and not ClosureDay.objects.exists()


def test_a_claim_gives_no_right_until_the_coordinator_approves(cast: Cast) -> None:
    from nextpractice.audit.models import AuditEntry
    from nextpractice.directory.access import get_own_setting
    from nextpractice.directory.models import SettingClaim

    from .conftest import make_person

    lee = make_person("lee@example.test", "Lee Leader")
    # Lee is connected with the area by an invitation, so its settings are offered.
    Invitation.issue("lee@example.test", area=cast.area, invited_by=cast.cora)
    target = Setting.objects.get(name="Setting 4")
    client = client_for(lee)
    assert b"Setting 4" in client.get(reverse("setting_claim")).content
    client.post(reverse("setting_claim"), {"setting": target.pk})
    claim = SettingClaim.objects.get(user=lee)
    assert claim.state == SettingClaim.PENDING
    assert get_own_setting(lee) is None
    assert client.get(reverse("setting_edit")).status_code == 302
    assert OutboundEmail.objects.filter(to="cora@example.test", subject__contains="Lee").exists()

    # The coordinator sees it on the area directory and approves it.
    directory = client_for(cast.cora).get(reverse("area_directory", args=[cast.area.pk]))
    assert b"Lee Leader" in directory.content and b"says they lead" in directory.content
    assert b"lee@example.test" not in directory.content  # names and settings, no contacts
    client_for(cast.cora).post(
        reverse("area_claim_decide", args=[cast.area.pk, claim.pk]), {"approve": "yes"}
    )
    claim.refresh_from_db()
    lee.refresh_from_db()
    assert claim.state == SettingClaim.APPROVED and get_own_setting(lee) == target
    assert OutboundEmail.objects.filter(to="lee@example.test", subject__contains="confirmed")
    assert set(AuditEntry.objects.unscoped().values_list("verb", flat=True)) >= {
        "setting.claimed",
        "setting.claim_approved",
        "setting.leader_linked",
    }
    response = client.post(reverse("setting_edit"), setting_data(urn="100004", name="Setting 4"))
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.postcode == "LS6 2AA"


def test_a_declined_claim_leaves_no_link_and_tells_the_leader(cast: Cast) -> None:
    from nextpractice.directory import services
    from nextpractice.directory.access import get_own_setting

    target = Setting.objects.get(name="Setting 4")
    claim = services.claim_setting(cast.oscar, target)
    client_for(cast.cora).post(
        reverse("area_claim_decide", args=[cast.area.pk, claim.pk]), {"approve": "no"}
    )
    cast.oscar.refresh_from_db()
    assert get_own_setting(cast.oscar) == Setting.objects.get(name="Setting 2")
    assert OutboundEmail.objects.filter(
        to="oscar@example.test", subject__contains="Your request about Setting 4"
    ).exists()


def test_another_areas_coordinator_cannot_decide_a_claim(cast: Cast) -> None:
    from nextpractice.directory import services
    from nextpractice.directory.models import Area, SettingClaim

    from .conftest import make_person

    elsewhere = Area.objects.create(name="Elsewhere", la_code="381")
    carl = make_person("carl@example.test", "Carl Coordinator")
    elsewhere.coordinators.add(carl)
    TOTP.activate(carl, TOTP_SECRET)
    claim = services.claim_setting(cast.oscar, Setting.objects.get(name="Setting 4"))
    client = client_for(carl)
    for area_id in (cast.area.pk, elsewhere.pk):
        response = client.post(
            reverse("area_claim_decide", args=[area_id, claim.pk]), {"approve": "yes"}
        )
        assert response.status_code == 404
    for name in ["area_directory", "area_import", "area_invite", "formation_rounds"]:
        assert client.get(reverse(name, args=[cast.area.pk])).status_code == 404, name
    assert SettingClaim.objects.get().state == SettingClaim.PENDING


def test_a_coordinators_invitation_binds_the_leader_to_the_setting(cast: Cast) -> None:
    from nextpractice.clusters import services
    from nextpractice.directory.access import get_own_setting

    from .conftest import make_person

    target = Setting.objects.get(name="Setting 4")
    page = client_for(cast.cora).post(
        reverse("area_invite", args=[cast.area.pk]),
        {"emails": "head4@example.test", "setting": target.pk},
    )
    assert b"1 invitation(s) sent" in page.content
    invitation = Invitation.objects.get(email="head4@example.test")
    assert invitation.setting == target
    assert "as a leader of Setting 4" in OutboundEmail.objects.get(to="head4@example.test").body
    head = make_person("head4@example.test", "Hana Head")
    services.accept(invitation, head)
    head.refresh_from_db()
    assert get_own_setting(head) == target


def test_a_coordinator_invites_one_leader_at_a_time_for_a_setting(cast: Cast) -> None:
    target = Setting.objects.get(name="Setting 4")
    page = client_for(cast.cora).post(
        reverse("area_invite", args=[cast.area.pk]),
        {"emails": "a@example.test\nb@example.test", "setting": target.pk},
    )
    assert b"Invite one leader at a time" in page.content
    assert not Invitation.objects.exists()


def test_a_leader_cannot_claim_a_setting_of_an_area_they_have_no_link_with(cast: Cast) -> None:
    from nextpractice.directory.models import Area, SettingClaim

    from .conftest import make_person

    elsewhere = Area.objects.create(name="Elsewhere", la_code="381")
    far = Setting.objects.create(name="Far Primary", kind="primary", area=elsewhere)
    lee = make_person("lee@example.test", "Lee Leader")
    response = client_for(lee).post(reverse("setting_claim"), {"setting": far.pk})
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    assert not SettingClaim.objects.exists()


@pytest.mark.parametrize(
    "bad",
    ["²", "99999999999999999999", "1\x00", "x" * 100_000, "", "NaN"],
)
def test_malformed_ids_and_text_never_break_directory_pages(cast: Cast, bad: str) -> None:
    from nextpractice.directory.models import Area, SettingClaim

    cora = client_for(cast.cora)
    url = reverse("area_directory", args=[cast.area.pk])
    assert cora.get(url, {"q": bad}).status_code in {200, 400}
    assert cora.get(url, {"page": bad}).status_code in {200, 400}
    assert cora.post(reverse("setting_claim"), {"setting": bad}).status_code == 200
    assert (
        cora.post(reverse("area_invite", args=[cast.area.pk]), {"emails": bad}).status_code == 200
    )
    huge = reverse("area_directory", args=[cast.area.pk]).replace(str(cast.area.pk), "9" * 20)
    assert cora.get(huge).status_code == 404
    claim_url = f"/areas/{cast.area.pk}/claims/{'9' * 20}/"
    assert cora.post(claim_url, {"approve": "yes"}).status_code == 404
    alice = client_for(cast.alice)
    response = alice.post(
        reverse("setting_edit"),
        setting_data(closure_days_text=f"{bad}/11/2026 x", size=bad, name=bad or "x"),
    )
    assert response.status_code == 200
    assert alice.get(reverse("profile_edit"), {"next": bad}).status_code == 200
    assert Area.objects.count() == 1 and not SettingClaim.objects.exists()


def test_a_leader_withdraws_a_waiting_claim_only_by_saying_so(cast: Cast) -> None:
    from nextpractice.directory import services
    from nextpractice.directory.models import SettingClaim

    claim = services.claim_setting(cast.oscar, Setting.objects.get(name="Setting 4"))
    client = client_for(cast.oscar)
    other = Setting.objects.get(name="Setting 3")
    client.post(reverse("setting_claim"), {"setting": other.pk})  # not a withdrawal
    claim.refresh_from_db()
    assert claim.state == SettingClaim.PENDING and SettingClaim.objects.count() == 1
    client.post(reverse("setting_claim"), {"withdraw": "yes"})
    claim.refresh_from_db()
    assert claim.state == SettingClaim.WITHDRAWN
    assert not services.pending_claims(cast.area)


@pytest.mark.django_db(transaction=True)
def test_links_made_before_claims_existed_wait_for_the_coordinator() -> None:
    # Before claims, a leader picked "their" setting on the profile: nobody established it.
    # The migration turns each such link into a claim for the coordinator, and clears it.
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("directory", "0003_la_codes_and_setting_claims")]
    after = [("directory", "0004_self_asserted_links_become_claims")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    area = old.get_model("directory", "Area").objects.create(name="Oldtown", la_code="381")
    setting = old.get_model("directory", "Setting").objects.create(
        name="Riverside Nursery", kind="day_nursery", area=area, urn="EY100001"
    )
    user = old.get_model("accounts", "User").objects.create(
        email="old@example.test", full_name="Olu Old", password="!"
    )
    old.get_model("directory", "LeaderProfile").objects.create(user=user, setting=setting)
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        from nextpractice.directory.models import LeaderProfile, SettingClaim

        assert LeaderProfile.objects.get(user_id=user.pk).setting is None
        claim = SettingClaim.objects.get(user_id=user.pk)
        assert (claim.setting_id, claim.state) == (setting.pk, SettingClaim.PENDING)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
