"""Importing settings from a GIAS export: good rows in, every bad row reported, no half-writes."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from nextpractice.directory import gias
from nextpractice.directory.models import Area, Setting, SettingKind

HEADER = (Path(__file__).parent / "data" / "gias-establishments-header.csv").read_text().strip()
COLUMNS = next(csv.reader([HEADER]))


def gias_file(*rows: dict[str, str], encoding: str = "utf-8") -> bytes:
    """A file in the real GIAS layout (139 columns): quoted only where a field has a comma."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return out.getvalue().encode(encoding)


def school(urn: str, name: str, **extra: str) -> dict[str, str]:
    row = {
        "URN": urn,
        "LA (code)": "380",
        "LA (name)": "Bradford",
        "EstablishmentNumber": "2001",
        "EstablishmentName": name,
        "TypeOfEstablishment (name)": "Community school",
        "EstablishmentStatus (name)": "Open",
        "OpenDate": "01-09-1974",
        "PhaseOfEducation (name)": "Primary",
        "Street": "School Lane",
        "Town": "Bradford",
        "Postcode": "bd7 1ax",
        "Easting": "414500",
        "Northing": "432900",
        "SchoolWebsite": "www.example-primary.sch.uk",
        "NumberOfPupils": "412",
        "PercentageFSM": "38.6",
        "GOR (name)": "Yorkshire and the Humber",
    }
    row.update(extra)
    return row


@pytest.fixture
def bradford(db: Any) -> Area:
    return Area.objects.create(name="Bradford", la_code="380")


def test_it_imports_open_establishments_with_coordinates(bradford: Area) -> None:
    data = gias_file(
        school("107301", "Lilycroft Primary School"),
        school(
            "107302",
            "Green Lane Infant School, Nursery and Children's Centre",
            PercentageFSM="SUPP",
        ),
        school(
            "107303",
            "Rainbow Nursery School",
            **{
                "TypeOfEstablishment (name)": "Local authority nursery school",
                "PhaseOfEducation (name)": "Nursery",
                "Easting": "",
                "Northing": "",
            },
        ),
    )
    report = gias.import_gias(data, area=bradford)
    assert (report.created, report.updated, report.rejected, report.skipped) == (3, 0, [], [])
    lily = Setting.objects.get(urn="107301")
    assert lily.kind == SettingKind.PRIMARY
    assert lily.postcode == "BD7 1AX"
    assert lily.website == "http://www.example-primary.sch.uk"
    assert (lily.size, str(lily.percent_disadvantaged)) == (412, "38.6")
    assert lily.address == "School Lane, Bradford"
    # Easting 414500 / Northing 432900 is in Bradford, about 53.79N 1.78W.
    assert lily.latitude == pytest.approx(53.79, abs=0.01)
    assert lily.longitude == pytest.approx(-1.78, abs=0.01)
    green = Setting.objects.get(urn="107302")
    assert green.name == "Green Lane Infant School, Nursery and Children's Centre"
    assert green.kind == SettingKind.INFANT
    assert green.percent_disadvantaged is None  # "SUPP": suppressed, not zero
    rainbow = Setting.objects.get(urn="107303")
    assert rainbow.kind == SettingKind.NURSERY_SCHOOL
    # No grid reference: placed at the centre of its postcode district (BD7), approximately.
    assert not lily.location_approximate
    assert rainbow.location_approximate
    assert rainbow.latitude == pytest.approx(lily.latitude)


def test_reimporting_updates_by_urn_instead_of_duplicating(bradford: Area) -> None:
    gias.import_gias(gias_file(school("107301", "Lilycroft Primary")), area=bradford)
    report = gias.import_gias(
        gias_file(school("107301", "Lilycroft Primary School", NumberOfPupils="420")), area=bradford
    )
    assert (report.created, report.updated) == (0, 1)
    assert Setting.objects.count() == 1
    setting = Setting.objects.get()
    assert (setting.name, setting.size) == ("Lilycroft Primary School", 420)


def test_reimporting_an_unchanged_row_stamps_it_and_reopens_it(bradford: Area) -> None:
    data = gias_file(school("107301", "Lilycroft Primary"), school("107302", "Green Lane"))
    gias.import_gias(data, area=bradford)
    Setting.objects.filter(urn="107302").update(is_open=False)
    first = Setting.objects.get(urn="107301").imported_at
    report = gias.import_gias(data, area=bradford)
    assert (report.created, report.updated) == (0, 2)
    assert Setting.objects.filter(is_open=True).count() == 2
    again = Setting.objects.get(urn="107301").imported_at
    assert first is not None and again is not None and again > first


def test_it_reports_every_rejected_or_skipped_row_with_its_number(bradford: Area) -> None:
    data = gias_file(
        school("107301", "Good Primary"),  # row 2
        school(
            "107304",
            "Closed Primary",
            **{"EstablishmentStatus (name)": "Closed", "CloseDate": "31-08-2019"},
        ),  # row 3
        school("107305", "Future Primary", **{"EstablishmentStatus (name)": "Proposed to open"}),
        school(
            "107306",
            "Closing Primary",
            **{"EstablishmentStatus (name)": "Open, but proposed to close"},
        ),  # row 5
        school(
            "401234",
            "Ysgol Gymraeg",
            **{
                "LA (code)": "660",
                "LA (name)": "Isle of Anglesey",
                "GOR (name)": "Wales (pseudo)",
                "Postcode": "",
                "Easting": "",
                "Northing": "",
            },
        ),  # row 6
        school("12", "Bad URN Primary"),  # row 7
        school("107307", "Bad Postcode Primary", Postcode="NOT A CODE"),  # row 8
        school("107308", "Elsewhere Primary", **{"LA (name)": "Leeds", "LA (code)": "383"}),
        school("107301", "Duplicate Primary"),  # row 10
        school("107309", "Odd Number Primary", NumberOfPupils="lots"),  # row 11
        school(
            "107310",
            "",
        ),  # row 12
    )
    report = gias.import_gias(data, area=bradford)
    assert report.created == 2
    assert set(Setting.objects.values_list("urn", flat=True)) == {"107301", "107306"}
    rejected = {(p.row, p.reason) for p in report.rejected}
    assert rejected == {
        (6, "outside England (Wales)"),
        (7, "URN '12' is not a valid URN"),
        (8, "Postcode 'NOT A CODE' is not a UK postcode"),
        (9, "in Leeds (LA code 383), not in Bradford"),
        (10, "URN appears twice (first on row 2)"),
        (11, "NumberOfPupils is not a number ('lots')"),
        (12, "EstablishmentName is blank"),
    }
    assert {(p.row, p.reason) for p in report.skipped} == {
        (3, "not open (Closed)"),
        (4, "not open (Proposed to open)"),
    }


def test_blank_optional_fields_are_fine(bradford: Area) -> None:
    row = school(
        "107301",
        "Sparse Primary",
        Postcode="",
        Easting="",
        Northing="",
        SchoolWebsite="",
        NumberOfPupils="",
        PercentageFSM="",
        Street="",
        Town="",
    )
    report = gias.import_gias(gias_file(row), area=bradford)
    assert report.created == 1 and not report.rejected


def test_a_windows_1252_export_is_read(bradford: Area) -> None:
    data = gias_file(school("107301", "St Bede’s Primary"), encoding="cp1252")  # noqa: RUF001
    gias.import_gias(data, area=bradford)
    assert Setting.objects.get().name == "St Bede’s Primary"  # noqa: RUF001


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"URN,EstablishmentName\r\n1,A\r\n", r"missing column\(s\) LA \(name\)"),
        (b"name,town\r\nA,B\r\n", "not a GIAS establishment export"),
        (b"PK\x03\x04\x00\x00binary spreadsheet", "not a CSV file"),
        (b"\xff\xfe\x00U\x00R", "not a CSV file"),
    ],
)
def test_an_unreadable_file_writes_nothing(bradford: Area, data: bytes, message: str) -> None:
    with pytest.raises(gias.ImportFileError, match=message):
        gias.import_gias(data, area=bradford)
    assert Setting.objects.count() == 0


def test_a_failure_while_writing_leaves_nothing_behind(
    bradford: Area, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Setting.objects, "bulk_update", explode)
    with pytest.raises(RuntimeError):
        gias.import_gias(gias_file(school("107301", "A"), school("107302", "B")), area=bradford)
    assert Setting.objects.count() == 0


def test_the_command_creates_areas_and_reports_rows(
    db: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "edubase.csv"
    path.write_bytes(
        gias_file(
            school("107301", "A Primary"),
            school("107401", "B Primary", **{"LA (name)": "Leeds", "LA (code)": "383"}),
            school("x", "C Primary"),
        )
    )
    call_command("import_gias", str(path))
    out = capsys.readouterr().out
    assert "row 4 (URN x): rejected: URN 'x' is not a valid URN" in out
    assert "2 created, 0 updated, 0 skipped, 1 rejected" in out
    assert set(Area.objects.values_list("name", flat=True)) == {"Bradford", "Leeds"}


# --- A coordinator's upload touches only their own area ----------------------------------


def test_an_upload_never_moves_another_areas_setting(bradford: Area) -> None:
    leeds = Area.objects.create(name="Leeds", la_code="383")
    theirs = Setting.objects.create(
        name="Leeds Primary", kind=SettingKind.PRIMARY, area=leeds, urn="107401"
    )
    data = gias_file(
        # The file claims the Leeds school is in Bradford, by name and by code.
        school("107401", "Renamed Primary"),
        school("107301", "Lilycroft Primary"),
    )
    report = gias.import_gias(data, area=bradford)
    theirs.refresh_from_db()
    assert (theirs.area, theirs.name) == (leeds, "Leeds Primary")
    assert report.created == 1
    assert [(p.row, p.reason) for p in report.rejected] == [
        (2, "this URN is a setting of another area; not changed")
    ]


def test_rows_are_matched_by_la_code_never_by_the_la_name_the_file_gives(bradford: Area) -> None:
    data = gias_file(
        school("107301", "Named Bradford, coded Leeds", **{"LA (code)": "383"}),
        school("107302", "Named Leeds, coded Bradford", **{"LA (name)": "Leeds"}),
        school("107303", "No code", **{"LA (code)": ""}),
    )
    report = gias.import_gias(data, area=bradford)
    assert set(Setting.objects.values_list("urn", flat=True)) == {"107302"}
    assert {(p.row, p.reason) for p in report.rejected} == {
        (2, "in Bradford (LA code 383), not in Bradford"),
        (4, "LA (code) '' is not a local authority code"),
    }


def test_an_area_without_a_code_imports_nothing_and_says_why(db: Any) -> None:
    area = Area.objects.create(name="Nowhere")
    with pytest.raises(gias.ImportFileError, match="no local authority code"):
        gias.import_gias(gias_file(school("107301", "A")), area=area)
    assert not Setting.objects.exists()


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"Easting": "NaN", "Northing": "432900"}, "Easting is not a number ('NaN')"),
        ({"Easting": "inf", "Northing": "432900"}, "Easting is not a number ('inf')"),
        ({"Northing": "9" * 30}, "Northing is not a number"),
        ({"NumberOfPupils": "9" * 30}, "NumberOfPupils is not a number"),
        ({"NumberOfPupils": "3000000000"}, "NumberOfPupils 3000000000 is not a number of pupils"),
        ({"NumberOfPupils": "١٢٣"}, "NumberOfPupils is not a number"),
        ({"NumberOfPupils": "²"}, "NumberOfPupils is not a number"),
        ({"PercentageFSM": "NaN"}, "PercentageFSM is not a number ('NaN')"),
        ({"PercentageFSM": "1E+999999"}, "PercentageFSM is not a number"),
        ({"LA (code)": "³⁸⁰"}, "LA (code) '³⁸⁰' is not a local authority code"),
        ({"LA (code)": "6٦0"}, "is not a local authority code"),
        ({"URN": "\uff11\uff10\uff17\uff13\uff10\uff11"}, "is not a valid URN"),  # fullwidth
    ],
)
def test_malformed_figures_are_rejected_rows_never_errors(
    bradford: Area, extra: dict[str, str], reason: str
) -> None:
    data = gias_file(school("107302", "Good Primary"), school("107301", "Odd Primary", **extra))
    report = gias.import_gias(data, area=bradford)
    assert [p.row for p in report.rejected] == [3]
    assert reason in report.rejected[0].reason
    assert list(Setting.objects.values_list("urn", flat=True)) == ["107302"]


def test_a_field_over_128_kib_refuses_the_whole_file(bradford: Area) -> None:
    data = gias_file(
        school("107302", "Good Primary"),
        school("107301", "Long Primary", Street="x" * (129 * 1024)),
    )
    with pytest.raises(gias.ImportFileError, match="Row 3: a field is longer than 128 KiB"):
        gias.import_gias(data, area=bradford)
    assert not Setting.objects.exists()


def test_an_upload_over_the_limit_is_refused_before_it_is_read(
    bradford: Area, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    monkeypatch.setattr(gias, "MAX_UPLOAD_BYTES", 1000)
    upload = SimpleUploadedFile("big.csv", gias_file(school("107301", "A")) * 2, "text/csv")
    with pytest.raises(gias.ImportFileError, match="larger than"):
        gias.import_for_area(upload, bradford, by=None)
    assert not Setting.objects.exists()


def test_a_coordinators_import_is_recorded(bradford: Area) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from nextpractice.audit.models import AuditEntry

    upload = SimpleUploadedFile("ok.csv", gias_file(school("107301", "A")), "text/csv")
    gias.import_for_area(upload, bradford, by=None)
    entry = AuditEntry.objects.unscoped().get(verb="settings.imported")
    assert "1 new" in entry.summary


def test_a_nul_character_deep_in_the_file_rejects_its_row(bradford: Area) -> None:
    # (Near the start, a NUL marks a binary file and the whole file is refused.)
    padding = [school(f"1074{i:02d}", f"Primary {i}") for i in range(30)]
    data = gias_file(*padding, school("107301", "Nul\x00Primary"))
    report = gias.import_gias(data, area=bradford)
    assert [(p.row, p.reason) for p in report.rejected] == [(32, "a field holds a NUL character")]
    assert report.created == 30


# --- A long import runs in the background, with progress and a report --------------------


def _coordinator(area: Area) -> Any:
    from allauth.mfa.totp.internal.auth import TOTP

    from .conftest import TOTP_SECRET, client_for, make_person

    cora = make_person("cora@example.test", "Cora Coordinator")
    area.coordinators.add(cora)
    TOTP.activate(cora, TOTP_SECRET)  # a coordinator signs in with a second factor
    return client_for(cora)


def _upload(client: Any, area: Area, data: bytes, name: str = "edubase.csv") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    return client.post(
        reverse("area_import", args=[area.pk]),
        {"file": SimpleUploadedFile(name, data, "text/csv")},
    )


def _job_page(client: Any, area: Area, job: Any, **headers: str) -> str:
    from django.urls import reverse

    page = client.get(reverse("area_import_job", args=[area.pk, job.pk]), headers=headers)
    assert page.status_code == 200
    return str(page.content.decode())


def test_an_upload_returns_at_once_with_a_job_page_and_the_worker_imports_it(
    bradford: Area, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    from nextpractice.directory import imports
    from nextpractice.directory.models import SettingsImport

    client = _coordinator(bradford)
    data = gias_file(
        school("107301", "Lilycroft Primary"),
        school("x1", "Broken Primary"),
        school("107303", "Closed Primary", **{"EstablishmentStatus (name)": "Closed"}),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, bradford, data)
    job = SettingsImport.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/import/{job.pk}/")
    # Only checked and stored so far: the worker imports it.
    assert job.state == SettingsImport.WAITING and not Setting.objects.exists()
    assert DBTaskResult.objects.filter(args_kwargs__args=[job.pk]).exists()
    waiting = _job_page(client, bradford, job)
    assert "Waiting for the importer to start" in waiting and 'hx-trigger="every 2s"' in waiting
    assert "reload it" in waiting  # without JavaScript

    assert imports.run(job.pk) is True
    job.refresh_from_db()
    assert job.state == SettingsImport.DONE and job.created == 1 and job.data == b""
    assert Setting.objects.filter(urn="107301", area=bradford).exists()
    page = _job_page(client, bradford, job)
    assert "1 settings imported" in page
    assert "URN &#x27;x1&#x27; is not a valid URN" in page and ">3<" in page  # its row number
    assert "Row 4 (URN 107303): not open (Closed)" in page
    # HTMX gets the part only, and it stops polling once finished.
    part = _job_page(client, bradford, job, HX_Request="true")
    assert "<html" not in part and "hx-trigger" not in part and "1 settings imported" in part


def test_a_job_runs_once_and_the_same_file_twice_changes_nothing_more(bradford: Area) -> None:
    from nextpractice.directory import imports
    from nextpractice.directory.models import SettingsImport

    client = _coordinator(bradford)
    data = gias_file(school("107301", "Lilycroft Primary"), school("107302", "Green Lane"))
    _upload(client, bradford, data)
    first = SettingsImport.objects.get()
    assert imports.run(first.pk) is True
    assert imports.run(first.pk) is False  # done: a duplicate task does nothing
    _upload(client, bradford, data)
    second = SettingsImport.objects.exclude(pk=first.pk).get()
    imports.run(second.pk)
    second.refresh_from_db()
    assert (second.created, second.updated) == (0, 2)
    assert Setting.objects.count() == 2


def test_a_file_refused_by_its_start_makes_no_job(bradford: Area) -> None:
    from nextpractice.directory.models import SettingsImport

    response = _upload(_coordinator(bradford), bradford, b"URN,Name\r\n1,x\r\n")
    assert response.status_code == 400 and b"missing column(s)" in response.content
    assert not SettingsImport.objects.exists()


def test_a_file_rejected_half_way_changes_nothing_and_says_why(bradford: Area) -> None:
    from nextpractice.directory import imports
    from nextpractice.directory.models import SettingsImport

    client = _coordinator(bradford)
    good = [school(f"1074{i:02d}", f"Primary {i}") for i in range(20)]
    _upload(client, bradford, gias_file(*good, school("107301", "x" * (140 * 1024))))
    job = SettingsImport.objects.get()
    imports.run(job.pk)
    job.refresh_from_db()
    assert job.state == SettingsImport.FAILED and "longer than 128 KiB" in job.error
    assert not Setting.objects.exists()
    page = _job_page(client, bradford, job)
    assert "The file was not imported" in page and "Nothing was changed" in page


def test_an_error_while_writing_fails_the_job_and_writes_nothing(
    bradford: Area, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nextpractice.directory import imports
    from nextpractice.directory.models import SettingsImport

    _upload(
        _coordinator(bradford), bradford, gias_file(school("107301", "A"), school("107302", "B"))
    )
    job = SettingsImport.objects.get()

    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(Setting.objects, "bulk_update", explode)
    imports.run(job.pk)
    job.refresh_from_db()
    assert job.state == SettingsImport.FAILED and "Nothing was imported" in job.error
    assert not Setting.objects.exists() and job.created == 0


def test_a_run_whose_worker_died_is_taken_over_and_a_live_one_is_not(bradford: Area) -> None:
    import datetime as dt

    from django.utils import timezone

    from nextpractice.directory import imports
    from nextpractice.directory.models import SettingsImport

    _upload(_coordinator(bradford), bradford, gias_file(school("107301", "A")))
    job = SettingsImport.objects.get()
    now = timezone.now()
    SettingsImport.objects.filter(pk=job.pk).update(
        state=SettingsImport.RUNNING, started_at=now, heartbeat_at=now
    )
    assert imports.run(job.pk) is False  # someone is at it
    assert imports.resume_stalled() == 0
    long_ago = now - imports.STALE_AFTER - dt.timedelta(seconds=1)
    SettingsImport.objects.filter(pk=job.pk).update(started_at=long_ago, heartbeat_at=long_ago)
    assert imports.resume_stalled() == 1
    assert imports.run(job.pk) is True
    job.refresh_from_db()
    assert job.state == SettingsImport.DONE and Setting.objects.filter(urn="107301").exists()


def test_progress_is_committed_as_rows_are_read(
    bradford: Area, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nextpractice.directory import imports
    from nextpractice.directory.models import SettingsImport

    seen: list[int] = []
    monkeypatch.setattr(gias, "PROGRESS_EVERY", 2)
    original = gias.parse_gias

    def watched(data: bytes, area: Any, progress: Any = None) -> Any:
        def spy(rows: int) -> None:
            progress(rows)
            seen.append(SettingsImport.objects.get().rows_read)

        return original(data, area, spy)

    monkeypatch.setattr(gias, "parse_gias", watched)
    _upload(
        _coordinator(bradford),
        bradford,
        gias_file(*[school(f"1074{i:02d}", "P") for i in range(6)]),
    )
    job = SettingsImport.objects.get()
    assert job.rows_total == 6
    imports.run(job.pk)
    assert seen == [1, 3, 5]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_process_completes_an_upload() -> None:
    import os
    import subprocess
    import sys

    from nextpractice.directory.models import SettingsImport

    from .test_email import _database_url

    area = Area.objects.create(name="Bradford", la_code="380")
    client = _coordinator(area)
    rows = [school(f"1{i:05d}", f"Primary {i}") for i in range(300)]
    response = _upload(client, area, gias_file(*rows))
    assert response.status_code == 302
    job = SettingsImport.objects.get()
    worker = subprocess.run(
        [sys.executable, "-m", "nextpractice", "worker", "--batch"],
        env={**os.environ, "DATABASE_URL": _database_url()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    job.refresh_from_db()
    assert job.state == SettingsImport.DONE and job.created == 300
    assert "300 settings imported" in _job_page(client, area, job)
