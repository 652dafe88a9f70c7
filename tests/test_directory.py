"""Profiles, settings and the coordinator's area directory."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from nextpractice.accounts.models import Invitation
from nextpractice.core.models import OutboundEmail
from nextpractice.directory.models import ClosureDay, Setting

from .conftest import Cast, client_for
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
    page = client_for(cast.cora).post(reverse("area_import", args=[cast.area.pk]), {"file": upload})
    text = page.content.decode()
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
