"""A real local authority loaded from both national registers: England's authorities by LA
code, Ofsted's childcare providers (childminders redacted), settings on both registers
merged, and the leaders invited in bulk, each bound to their setting."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from nextpractice.accounts.models import Invitation, User
from nextpractice.audit.models import AuditEntry
from nextpractice.clusters.models import Cluster, ClusterStatus, Membership
from nextpractice.core.models import OutboundEmail
from nextpractice.directory import imports, localauthorities, ofsted
from nextpractice.directory.gias import ImportFileError
from nextpractice.directory.models import (
    Area,
    LeaderProfile,
    PrivateSettingDetails,
    Setting,
    SettingKind,
    SettingsImport,
)

from .conftest import TOTP_SECRET, Cast, client_for, make_person
from .registers_data import area_files, gias_file, ofsted_file, provider_row, school_row

# --- England's local authorities -------------------------------------------------------


def test_it_ships_every_english_local_authority_with_unique_codes() -> None:
    authorities = localauthorities.all_authorities()
    # 153 since April 2023 (Cumberland, Westmorland and Furness; North Yorkshire, Somerset).
    assert len(authorities) == 153
    assert all(re.fullmatch(r"[0-9]{3}", code) for code in authorities)
    gss = [la.gss for la in authorities.values()]
    assert len(set(gss)) == len(gss)
    assert all(re.fullmatch(r"E0[6-9][0-9]{6}|E10[0-9]{6}", g) for g in gss)
    assert authorities["202"].name == "Camden" and authorities["202"].gss == "E09000007"
    assert authorities["380"].name == "Bradford"
    names = {localauthorities.normalise_name(la.name) for la in authorities.values()}
    assert len(names) == len(authorities), "two authorities would read as one name"


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("Bristol, City of", "801"),
        ("Bristol City Of", "801"),
        ("County Durham", "840"),
        ("Durham", "840"),
        ("St Helens", "342"),
        ("St. Helens", "342"),
        ("Kingston upon Hull, City of", "810"),
        ("Herefordshire, County of", "884"),
        ("City of London", "201"),
        ("Bournemouth, Christchurch & Poole", "839"),
        ("Bradfordshire", None),
        ("", None),
    ],
)
def test_it_reads_each_registers_spelling_of_an_authority_as_its_code(
    spelling: str, code: str | None
) -> None:
    assert localauthorities.code_for_name(spelling) == code


def test_an_area_holds_only_real_la_codes_and_none_of_another_areas(db: Any) -> None:
    from django.core.exceptions import ValidationError

    Area.objects.create(name="West Yorkshire", la_code="380, 381")
    with pytest.raises(ValidationError, match="Not an English local authority's code: 999"):
        Area(name="Nowhere", la_code="999").full_clean()
    with pytest.raises(ValidationError, match="Another area has LA code 381"):
        Area(name="Calderdale", la_code="381").full_clean()
    Area(name="Leeds", la_code="383").full_clean()
    assert [la.name for la in Area.objects.get(name="West Yorkshire").authorities()] == [
        "Bradford",
        "Calderdale",
    ]


# --- a whole authority from both registers ----------------------------------------------


@pytest.fixture
def bradford(db: Any) -> Area:
    return Area.objects.create(name="Bradford", la_code="380")


def _counts(area: Area) -> dict[str, int]:
    open_settings = area.settings.filter(is_open=True)
    return {
        "settings": open_settings.count(),
        "both": open_settings.exclude(urn=None).exclude(ofsted_urn=None).count(),
        "gias_only": open_settings.exclude(urn=None).filter(ofsted_urn=None).count(),
        "ofsted_only": open_settings.filter(urn=None).exclude(ofsted_urn=None).count(),
        "childminders": open_settings.filter(redacted=True).count(),
        "nurseries": open_settings.filter(
            kind__in=[SettingKind.DAY_NURSERY, SettingKind.PRE_SCHOOL]
        ).count(),
    }


def _expected_counts(expected: Any) -> dict[str, int]:
    return {
        "settings": expected.settings,
        "both": expected.both,
        "gias_only": expected.gias_only,
        "ofsted_only": expected.ofsted_only,
        "childminders": expected.childminders,
        "nurseries": expected.nurseries,
    }


def test_the_command_loads_an_authority_of_1000_providers_from_both_registers(
    bradford: Area, tmp_path: Any
) -> None:
    gias_data, ofsted_data, expected = area_files(1000)
    (tmp_path / "gias.csv").write_bytes(gias_data)
    (tmp_path / "ofsted.csv").write_bytes(ofsted_data)
    out = _call("import_gias", tmp_path / "gias.csv")
    assert f"{expected.gias_imported} created, 0 updated, 2 skipped, 0 rejected" in out
    out = _call("import_ofsted", tmp_path / "ofsted.csv")
    assert (
        f"{expected.ofsted_only} created, {expected.both} updated, 0 closed, "
        f"{expected.ofsted_skipped} skipped, 0 rejected, {expected.ofsted_outside} of other"
    ) in out
    assert expected.settings == 1000
    assert _counts(bradford) == _expected_counts(expected)
    # Rows of another authority were counted, not imported, and made no area.
    assert not Setting.objects.exclude(area=bradford).exists()

    # The same files again: nothing new, nothing duplicated, nothing closed.
    out = _call("import_ofsted", tmp_path / "ofsted.csv")
    assert f"0 created, {expected.ofsted_imported} updated, 0 closed" in out
    out = _call("import_gias", tmp_path / "gias.csv")
    assert f"0 created, {expected.gias_imported} updated" in out
    assert _counts(bradford) == _expected_counts(expected)
    assert Setting.objects.count() == expected.settings


def _call(command: str, path: Any) -> str:
    import io

    out = io.StringIO()
    call_command(command, str(path), "--area", "Bradford", stdout=out)
    return out.getvalue()


def test_the_coordinators_page_loads_both_registers_in_the_background(
    bradford: Area, django_capture_on_commit_callbacks: Any
) -> None:
    cora = make_person("cora@example.org", "Cora")
    bradford.coordinators.add(cora)
    TOTP.activate(cora, TOTP_SECRET)  # a coordinator signs in with a second factor
    client = client_for(cora)
    gias_data, ofsted_data, expected = area_files(1000)
    for register, data in (("gias", gias_data), ("ofsted", ofsted_data)):
        with django_capture_on_commit_callbacks(execute=False):
            response = client.post(
                f"/areas/{bradford.pk}/import/",
                {"register": register, "file": SimpleUploadedFile(f"{register}.csv", data)},
            )
        assert response.status_code == 302
        job = SettingsImport.objects.get(register=register)
        assert imports.run(job.pk) is True
        job.refresh_from_db()
        assert job.state == SettingsImport.DONE, job.error
        page = client.get(response["Location"]).content.decode()
        assert f"{job.imported} settings imported" in page
    job = SettingsImport.objects.get(register="ofsted")
    assert (job.created, job.updated, job.outside) == (
        expected.ofsted_only,
        expected.both,
        expected.ofsted_outside,
    )
    assert len(job.skipped) == expected.ofsted_skipped
    assert _counts(bradford) == _expected_counts(expected)
    page = client.get(f"/areas/{bradford.pk}/").content.decode()
    assert f"Settings ({expected.settings})" in page
    minders = client.get(f"/areas/{bradford.pk}/", {"q": "Childminder"}).content.decode()
    assert "Childminder EY600001" in minders, minders[-3000:]
    nurseries = client.get(f"/areas/{bradford.pk}/", {"q": "Little Stars"}).content.decode()
    assert "Little Stars Day Nursery 0" in nurseries and "Day nursery" in nurseries
    assert AuditEntry.objects.filter(verb="settings.imported").count() == 2


def test_a_setting_on_both_registers_is_one_setting_whichever_comes_first(
    db: Any,
) -> None:
    school = school_row(107301, "St Mary's C of E Primary School", "BD7 1AX")
    nursery_school = school_row(
        107302,
        "Lilycroft Nursery School",
        "BD8 9PN",
        **{
            "TypeOfEstablishment (name)": "Local authority nursery school",
            "PhaseOfEducation (name)": "Nursery",
        },
    )
    school_nursery = provider_row(
        "EY400001",
        "Childcare on non-domestic premises",
        "Sessional day care",
        name="St Marys CofE Primary School Nursery",
        pc="bd71ax",
    )
    ns_on_ofsted = provider_row(
        "EY400002",
        "Childcare on non-domestic premises",
        "Full day care",
        name="LILYCROFT NURSERY SCHOOL",
        pc="BD8 9PN",
    )
    # A private nursery on the school's site, under its own name: a setting of its own.
    neighbour = provider_row(
        "EY400003",
        "Childcare on non-domestic premises",
        "Full day care",
        name="Busy Bees at St Mary's",
        pc="BD7 1AX",
    )
    for order in ("gias first", "ofsted first"):
        Setting.objects.all().delete()
        Area.objects.all().delete()
        area = Area.objects.create(name="Bradford", la_code="380")
        steps = [
            lambda: call_command("import_gias", _file(gias_file([school, nursery_school]))),
            lambda: ofsted.import_ofsted(ofsted_file([school_nursery, ns_on_ofsted, neighbour])),
        ]
        for step in steps if order == "gias first" else steps[::-1]:
            step()
        assert area.settings.count() == 3, order
        merged = area.settings.get(urn="107301")
        assert merged.ofsted_urn == "EY400001", order
        # The school keeps its GIAS name and kind; it gains Ofsted's inspection.
        assert (merged.name, merged.kind) == ("St Mary's C of E Primary School", "primary")
        assert merged.inspection_outcome == "Good"
        assert area.settings.get(urn="107302").ofsted_urn == "EY400002", order
        assert area.settings.get(ofsted_urn="EY400003").urn is None, order


def _file(data: bytes) -> str:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
        handle.write(data)
    return handle.name


def test_childminders_are_imported_without_any_personal_data(bradford: Area) -> None:
    data = ofsted_file(
        [
            provider_row("EY123456", "Childminder", Places="6"),
            provider_row("EY123457", "Home childcarer"),
            # Even if a file carried a childminder's name, it is not kept.
            provider_row("EY123458", "Childminder", name="Jane Example", pc="BD7 1AX"),
        ]
    )
    report = ofsted.import_ofsted(data, area=bradford)
    assert report.created == 3 and not report.rejected
    minders = list(Setting.objects.order_by("ofsted_urn"))
    assert [s.name for s in minders] == [
        "Childminder EY123456",
        "Home childcarer EY123457",
        "Childminder EY123458",
    ]
    for s in minders:
        assert (s.address, s.postcode, s.redacted) == ("", "", True)
        assert "REDACTED" not in repr(vars(s))
    assert minders[0].size == 6 and minders[0].inspection_outcome == "Good"
    assert str(minders[0].inspection_date) == "2023-03-14"
    assert minders[0].deprivation_band == 2 and minders[0].registers == "EYR, CCR, VCR"


def test_every_bad_row_is_reported_with_its_number_and_nothing_else_changes(
    bradford: Area,
) -> None:
    good = provider_row("EY100001", "Childminder")
    data = ofsted_file(
        [
            good,
            provider_row("XX1", "Childminder"),
            provider_row("EY100003", "Childminder", **{"Local authority": "Atlantis"}),
            provider_row("EY100004", "Childminder", Places="lots"),
            provider_row(
                "EY100005", "Childminder", **{"Most recent full: Inspection date": "31/02/2023"}
            ),
            provider_row("EY100006", "Childminder", **{"Deprivation Band": "9"}),
            provider_row("EY100001", "Childminder"),
            provider_row(
                "EY100008", "Childcare on non-domestic premises", "Full day care", name=""
            ),
            provider_row(
                "EY100009",
                "Childcare on non-domestic premises",
                "Full day care",
                name="A Nursery",
                pc="not a postcode",
            ),
            provider_row("EY100010", "Childminder", Places="-1"),
        ]
    )
    report = ofsted.import_ofsted(data, area=bradford)
    assert report.created == 1
    assert [(p.row, p.reason) for p in report.rejected] == [
        (3, "Provider URN 'XX1' is not a valid URN"),
        (4, "Local authority 'Atlantis' is not an English local authority"),
        (5, "Places is not a number ('lots')"),
        (6, "Most recent full: Inspection date is not a date ('31/02/2023')"),
        (7, "Deprivation Band '9' is not a band from 1 to 5"),
        (8, "Provider URN appears twice (first on row 2)"),
        (9, "Provider name is blank"),
        (10, "Postcode 'not a postcode' is not a UK postcode"),
        (11, "Places -1 is not a number of places"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b'"URN","Name"\r\n"1","x"\r\n', "missing column(s) Provider URN"),
        (b"\x00\x01PK", "not a CSV file"),
    ],
)
def test_a_file_that_is_not_the_register_writes_nothing(
    bradford: Area, data: bytes, message: str
) -> None:
    with pytest.raises(ImportFileError, match=re.escape(message)):
        ofsted.import_ofsted(data, area=bradford)
    assert not Setting.objects.exists()


def test_a_broken_row_half_way_writes_nothing_at_all(bradford: Area) -> None:
    good = ofsted_file([provider_row(f"EY2000{i:02d}", "Childminder") for i in range(20)])
    broken = good + b'"EY300000","' + b"x" * 200_000 + b'"\r\n'
    with pytest.raises(ImportFileError, match="Row 22: a field is longer than 128 KiB"):
        ofsted.import_ofsted(broken, area=bradford)
    assert not Setting.objects.exists()


def test_providers_no_longer_active_are_closed_and_never_deleted(bradford: Area) -> None:
    rows = [provider_row(f"EY50000{i}", "Childminder") for i in range(4)]
    ofsted.import_ofsted(ofsted_file(rows), area=bradford)
    # The next file: one resigned, one gone from the list, one with a row it cannot read.
    rows[0]["Provider status"] = "Resigned"
    rows[2]["Places"] = "many"
    report = ofsted.import_ofsted(ofsted_file([rows[0], rows[2], rows[3]]), area=bradford)
    assert report.closed == 2
    assert Setting.objects.count() == 4
    assert set(Setting.objects.filter(is_open=False).values_list("ofsted_urn", flat=True)) == {
        "EY500000",
        "EY500001",
    }
    # Registered again: open again, the same setting.
    rows[0]["Provider status"] = "Active"
    rows[2]["Places"] = "6"
    ofsted.import_ofsted(ofsted_file(rows), area=bradford)
    assert Setting.objects.filter(is_open=True).count() == 4 and Setting.objects.count() == 4


def test_a_school_whose_nursery_leaves_ofsteds_register_stays_open(bradford: Area) -> None:
    call_command("import_gias", _file(gias_file([school_row(107301, "Oak Primary", "BD7 1AX")])))
    nursery = provider_row(
        "EY400001", "Childcare on non-domestic premises", name="Oak Primary Nursery", pc="BD7 1AX"
    )
    ofsted.import_ofsted(ofsted_file([nursery]), area=bradford)
    nursery["Provider status"] = "Cancelled"
    ofsted.import_ofsted(ofsted_file([nursery]), area=bradford)
    assert Setting.objects.get(urn="107301").is_open


def test_an_areas_upload_never_moves_another_areas_provider(bradford: Area) -> None:
    leeds = Area.objects.create(name="Leeds", la_code="383")
    Setting.objects.create(name="Leeds Nursery", kind="day_nursery", area=leeds, ofsted_urn="EY1")
    Setting.objects.create(name="Elsewhere", kind="day_nursery", area=leeds, ofsted_urn="EY700001")
    data = ofsted_file([provider_row("EY700001", "Childminder")])
    report = ofsted.import_ofsted(data, area=bradford)
    assert [(p.row, p.reason) for p in report.rejected] == [
        (2, "this URN is a setting of another area; not changed")
    ]
    assert Setting.objects.get(ofsted_urn="EY700001").area == leeds


# --- childminders' own details ---------------------------------------------------------


@pytest.fixture
def minder_in_cluster(cast: Cast) -> tuple[User, Setting]:
    cast.area.la_code = "380"
    cast.area.save()
    ofsted.import_ofsted(ofsted_file([provider_row("EY123456", "Childminder")]), area=cast.area)
    setting = Setting.objects.get(ofsted_urn="EY123456")
    mina = make_person("mina@example.org", "Mina")
    LeaderProfile.objects.create(user=mina, setting=setting, job_title="Childminder")
    Membership.objects.create(cluster=cast.cluster, user=mina)
    return mina, setting


def test_a_childminder_gives_her_settings_name_and_postcode_for_her_cluster_only(
    cast: Cast, minder_in_cluster: tuple[User, Setting]
) -> None:
    mina, setting = minder_in_cluster
    client = client_for(mina)
    page = client.get("/my-setting/").content.decode()
    assert "only they see them" in page
    response = client.post("/my-setting/", {"name": "Little Acorns", "postcode": "bd7 1ax"})
    assert response.status_code == 302
    details = PrivateSettingDetails.objects.get(setting=setting)
    assert (details.name, details.postcode) == ("Little Acorns", "BD7 1AX")
    setting.refresh_from_db()
    assert (setting.name, setting.postcode) == ("Childminder EY123456", "")
    assert "Little Acorns" not in str(AuditEntry.objects.values_list("summary", flat=True))
    # Her fellow member sees her setting's name; the coordinator, and the directory, do not.
    assert "Little Acorns" in client_for(cast.alice).get("/").content.decode()
    cluster_page = client_for(cast.alice).get(f"/clusters/{cast.cluster.pk}/").content.decode()
    assert "Little Acorns" in cluster_page
    directory = client_for(cast.cora).get(f"/areas/{cast.area.pk}/").content.decode()
    assert "Childminder EY123456" in directory and "Little Acorns" not in directory
    search = client_for(cast.cora).get(f"/areas/{cast.area.pk}/", {"q": "BD7"}).content.decode()
    assert "Childminder EY123456" not in search
    assert "Little Acorns" not in client_for(cast.oscar).get("/").content.decode()
    assert "Little Acorns" not in client_for(cast.cora).get("/").content.decode()


def test_a_bad_postcode_is_refused_and_saves_nothing(
    minder_in_cluster: tuple[User, Setting],
) -> None:
    mina, _ = minder_in_cluster
    response = client_for(mina).post("/my-setting/", {"name": "Acorns", "postcode": "nope"})
    assert response.status_code == 400
    assert "Enter a real UK postcode" in response.content.decode()
    assert not PrivateSettingDetails.objects.exists()


# --- bulk invitations ------------------------------------------------------------------


@pytest.fixture
def loaded(cast: Cast) -> Cast:
    cast.area.la_code = "380"
    cast.area.save()
    ofsted.import_ofsted(
        ofsted_file(
            [
                provider_row("EY000001", "Childminder"),
                provider_row(
                    "EY000002",
                    "Childcare on non-domestic premises",
                    "Full day care",
                    name="Sunny Day Nursery",
                    pc="BD7 1AX",
                ),
                provider_row("EY000003", "Childminder"),
            ]
        ),
        area=cast.area,
    )
    return cast


def test_the_coordinator_invites_the_leaders_of_ticked_settings(loaded: Cast) -> None:
    client = client_for(loaded.cora)
    chosen = list(Setting.objects.filter(ofsted_urn__startswith="EY00000").order_by("ofsted_urn"))
    ids = [s.pk for s in chosen]
    page = client.get(f"/areas/{loaded.area.pk}/invite/settings/", {"setting": ids})
    assert page.status_code == 200 and "Sunny Day Nursery" in page.content.decode()
    data: dict[str, Any] = {"setting": ids}
    for i, s in enumerate(chosen):
        data[f"email_{s.pk}"] = f"Leader{i}@Example.org"
        data[f"name_{s.pk}"] = f"Leader {i}"
    response = client.post(f"/areas/{loaded.area.pk}/invite/settings/", data)
    assert response.status_code == 302
    invitations = Invitation.objects.unscoped().filter(area=loaded.area).order_by("email")
    assert [(i.email, i.setting_id, i.name) for i in invitations] == [
        (f"leader{i}@example.org", s.pk, f"Leader {i}") for i, s in enumerate(chosen)
    ]
    assert OutboundEmail.objects.filter(to__startswith="leader").count() == 3
    assert "Hello Leader 0," in OutboundEmail.objects.get(to="leader0@example.org").body


def test_one_bad_address_and_no_invitation_is_sent(loaded: Cast) -> None:
    client = client_for(loaded.cora)
    chosen = list(Setting.objects.filter(ofsted_urn__startswith="EY00000"))
    data: dict[str, Any] = {"setting": [s.pk for s in chosen]}
    for s in chosen:
        data[f"email_{s.pk}"] = "same@example.org"
    response = client.post(f"/areas/{loaded.area.pk}/invite/settings/", data)
    assert response.status_code == 400
    assert "is also on row 1" in response.content.decode()
    assert not Invitation.objects.unscoped().filter(area=loaded.area).exists()


def test_settings_of_another_area_cannot_be_chosen(loaded: Cast) -> None:
    other = Area.objects.create(name="Leeds", la_code="383")
    elsewhere = Setting.objects.create(name="Far", kind="day_nursery", area=other)
    response = client_for(loaded.cora).get(
        f"/areas/{loaded.area.pk}/invite/settings/", {"setting": [elsewhere.pk]}
    )
    assert response.status_code == 400
    for bad in (["x"], ["99999999999999999999"], []):
        response = client_for(loaded.cora).get(
            f"/areas/{loaded.area.pk}/invite/settings/", {"setting": bad}
        )
        assert response.status_code == 400


def _upload(client: Client, area: Area, text: str) -> Any:
    return client.post(
        f"/areas/{area.pk}/invite/upload/",
        {"file": SimpleUploadedFile("leaders.csv", text.encode(), "text/csv")},
    )


def test_the_coordinator_invites_leaders_from_a_list_of_urns(loaded: Cast) -> None:
    client = client_for(loaded.cora)
    text = "urn,email,name\nEY000001,mina@example.org,Mina\nEY000002,sam@example.org,Sam Day\n"
    response = _upload(client, loaded.area, text)
    assert response.status_code == 302
    invitations = {i.email: i for i in Invitation.objects.unscoped().filter(area=loaded.area)}
    assert invitations["mina@example.org"].setting.ofsted_urn == "EY000001"
    assert invitations["sam@example.org"].setting.name == "Sunny Day Nursery"
    assert AuditEntry.objects.filter(verb="invitation.bulk_sent").count() == 1


def test_an_uploaded_list_reports_each_bad_row_and_sends_nothing(loaded: Cast) -> None:
    make_person("taken@example.org", "Taken")
    text = (
        "urn,email,name\n"
        "EY000001,ok@example.org,Fine\n"
        "EY999999,a@example.org,Nobody\n"
        "EY000002,not-an-email,X\n"
        "EY000003,b@example.org\n"
    )
    response = _upload(client_for(loaded.cora), loaded.area, text)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Row 3: no open setting of Northbridge has URN EY999999" in page
    assert "Row 4: not-an-email is not an email address" in page
    assert "Row 5: 2 fields, not 3" in page
    response = _upload(
        client_for(loaded.cora), loaded.area, "urn,email,name\nEY000001,taken@example.org,T\n"
    )
    assert "Row 2: taken@example.org already has an account" in response.content.decode()
    assert not Invitation.objects.unscoped().filter(area=loaded.area).exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("email,urn,name\n", "The first row must be the header: urn,email,name"),
        ("urn,email,name\n", "The file lists nobody to invite"),
        (
            "urn,email,name\n" + "EY000001,a@example.org,A\n" * 201,
            "At most 200 leaders at a time",
        ),
    ],
)
def test_an_uploaded_list_is_bounded_and_must_have_its_header(
    loaded: Cast, text: str, message: str
) -> None:
    response = _upload(client_for(loaded.cora), loaded.area, text)
    assert response.status_code == 400 and message in response.content.decode()


def test_an_invited_leader_who_joins_is_bound_to_her_setting(loaded: Cast) -> None:
    from nextpractice.accounts.services import account_for_invitation
    from nextpractice.clusters.services import accept

    _upload(
        client_for(loaded.cora), loaded.area, "urn,email,name\nEY000001,mina@example.org,Mina\n"
    )
    invitation = Invitation.objects.unscoped().get(email="mina@example.org")
    user = account_for_invitation(invitation)
    assert user.full_name == "Mina"
    accept(invitation, user)
    assert LeaderProfile.objects.get(user=user).setting.ofsted_urn == "EY000001"


def test_nobody_but_the_areas_coordinator_reaches_the_invitation_pages(
    loaded: Cast, db: Any
) -> None:
    cluster = Cluster.objects.create(name="X", area=loaded.area, status=ClusterStatus.ACTIVE)
    assert cluster.pk
    for person in (loaded.alice, loaded.fay, loaded.oscar, loaded.rita):
        for url in ("invite/settings/", "invite/upload/"):
            assert client_for(person).get(f"/areas/{loaded.area.pk}/{url}").status_code == 404


# --- query budget at an authority's size -------------------------------------------------


def test_the_directory_runs_the_same_queries_for_ten_settings_and_for_a_whole_authority(
    cast: Cast,
) -> None:
    from .test_query_budget import count_queries

    cast.area.la_code = "380"
    cast.area.save()
    cora = client_for(cast.cora)

    def measure() -> dict[str, int]:
        chosen = list(cast.area.settings.values_list("pk", flat=True)[:50])
        query = "&".join(f"setting={pk}" for pk in chosen)
        base = f"/areas/{cast.area.pk}/"
        return {
            "directory": count_queries(cora, base),
            "search": count_queries(cora, base + "?q=Nursery"),
            "page 2": count_queries(cora, base + "?page=2"),
            "invite chosen": count_queries(cora, f"{base}invite/settings/?{query}"),
        }

    _, ofsted_data, _ = area_files(60)
    ofsted.import_ofsted(ofsted_data, area=cast.area)
    small = measure()
    gias_data, ofsted_data, _ = area_files(1000)
    call_command("import_gias", _file(gias_data), "--area", cast.area.name)
    ofsted.import_ofsted(ofsted_data, area=cast.area)
    assert cast.area.settings.count() >= 1000
    big = measure()
    # (The small area's first page shows the cast's leaders, whose names are fetched.)
    assert all(big[page] <= small[page] for page in big), (small, big)
    assert big["directory"] <= 14 and big["invite chosen"] <= 12, big


def test_areas_made_before_codes_get_their_authoritys_code_when_unambiguous(db: Any) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("nextpractice.directory.migrations.0006_registers")
    Area.objects.create(name="Leeds", la_code="")
    Area.objects.create(name="Kingston upon Hull, City of", la_code="")
    Area.objects.create(name="Northbridge", la_code="")  # not an authority: left alone
    Area.objects.create(name="West Yorkshire", la_code="380")
    Area.objects.create(name="Bradford", la_code="")  # its code is West Yorkshire's already
    migration.codes_from_names(apps, None)
    assert dict(Area.objects.values_list("name", "la_code")) == {
        "Leeds": "383",
        "Kingston upon Hull, City of": "810",
        "Northbridge": "",
        "West Yorkshire": "380",
        "Bradford": "",
    }


def test_the_administrators_national_import_files_each_provider_under_its_authority(
    db: Any,
) -> None:
    leeds = Area.objects.create(name="Leeds City", la_code="383")
    data = ofsted_file(
        [
            provider_row("EY000001", "Childminder", la_name="Leeds"),
            provider_row("EY000002", "Childminder", la_name="Bristol City of"),
            provider_row("EY000003", "Childminder", la_name="Durham"),
        ]
    )
    report = ofsted.import_ofsted(data)
    assert report.created == 3
    assert Setting.objects.get(ofsted_urn="EY000001").area == leeds
    assert Setting.objects.get(ofsted_urn="EY000002").area.la_code == "801"
    assert Setting.objects.get(ofsted_urn="EY000003").area.name == "County Durham"


def test_a_childminder_joining_by_invitation_is_asked_for_her_settings_name(
    cast: Cast,
) -> None:
    import re

    from nextpractice.clusters import services as cluster_services
    from nextpractice.core.models import OutboundEmail

    cast.area.la_code = "380"
    cast.area.save()
    ofsted.import_ofsted(ofsted_file([provider_row("EY123457", "Childminder")]), area=cast.area)
    setting = Setting.objects.get(ofsted_urn="EY123457")
    mina = make_person("mina@example.org", "Mina Patel", setting)
    cluster_services.invite(cast.cluster, cast.alice, mina.email)
    body = OutboundEmail.objects.get(to=mina.email).body
    match = re.search(r"/join/([^/\s]+)/", body)
    assert match
    client = client_for(mina)
    response = client.post(f"/join/{match.group(1)}/", {"answer": "accept"})
    # Straight to her setting's name and postcode, which only her cluster will see.
    assert response.status_code == 302 and response["Location"] == "/my-setting/"
    client.post("/my-setting/", {"name": "Little Acorns", "postcode": "BD7 1AX"})
    assert PrivateSettingDetails.objects.get(setting=setting).name == "Little Acorns"
