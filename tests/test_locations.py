"""Where settings are: postcode centres from ONSPD or Code-Point Open, and the centre of the
postcode district until then. Every file here is generated in the test (invented grid
references; postcodes are addresses of places, not of people)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from nextpractice.directory import geo, gias, locations, postcodes
from nextpractice.directory.models import Area, Postcode, Setting, SettingKind
from nextpractice.formation.models import FormationRound

from .conftest import Cast, client_for, make_person
from .registers_data import ONSPD_COLUMNS
from .test_gias import gias_file, school


def onspd(*rows: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(ONSPD_COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in ONSPD_COLUMNS])
    return out.getvalue()


def onspd_row(pcds: str, east: int | str, north: int | str, **extra: str) -> dict[str, str]:
    compact = pcds.replace(" ", "")
    return {
        "pcd": f"{compact[:-3]:<4}{compact[-3:]}",
        "pcds": pcds,
        "dointr": "198001",
        "oseast1m": str(east),
        "osnrth1m": str(north),
        "osgrdind": "1",
        "ctry": "E92000001",
        "oslaua": "E08000032",
    } | extra


CODE_POINT_REST = ["E92000001", "E40000012", "E18000003", "", "E08000032", "E05001347"]


def code_point(*rows: tuple[str, int, int, int]) -> str:
    """Code-Point Open: no header, postcode in the 7-character form."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    for postcode, quality, east, north in rows:
        compact = postcode.replace(" ", "")
        writer.writerow(
            [f"{compact[:-3]:<4}{compact[-3:]}", quality, east, north, *CODE_POINT_REST]
        )
    return out.getvalue()


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def run(*paths: Path) -> str:
    out = io.StringIO()
    call_command("import_postcodes", *[str(p) for p in paths], stdout=out)
    return out.getvalue()


@pytest.fixture
def bradford(db: Any) -> Area:
    return Area.objects.create(name="Bradford", la_code="380")


def place(area: Area, name: str, postcode: str, point: tuple[float, float] | None = None) -> Any:
    lat, lon = point if point else (None, None)
    return Setting.objects.create(
        name=name,
        kind=SettingKind.DAY_NURSERY,
        area=area,
        postcode=postcode,
        latitude=lat,
        longitude=lon,
    )


# --- The pure part ----------------------------------------------------------------------


def test_the_outward_code_is_the_postcode_without_its_last_three_characters() -> None:
    assert geo.outward_code("BD7 1AX") == "BD7"
    assert geo.outward_code("bd71ax") == "BD7"
    assert geo.outward_code("EC1A 1BB") == "EC1A"
    assert geo.outward_code("x") == ""


def test_district_centres_are_the_mean_of_the_places_in_each_district() -> None:
    found = geo.district_centroids(
        [("BD7 1AX", 53.79, -1.78), ("BD7 2BB", 53.81, -1.76), ("BD10 0AA", 53.83, -1.72)]
    )
    assert found["BD7"] == pytest.approx((53.80, -1.77))
    assert found["BD10"] == pytest.approx((53.83, -1.72))
    assert geo.centroid([]) is None


# --- Until postcodes are loaded: the district's centre, marked approximate ---------------


def test_a_gias_row_without_a_grid_reference_is_placed_at_its_districts_centre(
    bradford: Area,
) -> None:
    data = gias_file(
        school(
            "107301", "Lilycroft Primary", Postcode="BD8 9AA", Easting="414000", Northing="434000"
        ),
        school(
            "107302", "Green Lane Primary", Postcode="BD8 9AB", Easting="416000", Northing="432000"
        ),
        school("107303", "Rainbow Nursery School", Postcode="BD8 7ZZ", Easting="", Northing=""),
        school("107304", "Far Away Primary", Postcode="BD23 1AA", Easting="", Northing=""),
    )
    gias.import_gias(data, area=bradford)
    exact = Setting.objects.get(urn="107301")
    assert not exact.location_approximate
    rainbow = Setting.objects.get(urn="107303")
    assert rainbow.location_approximate
    centre = geo.grid_to_wgs84(415000, 433000)
    assert geo.distance_km(rainbow.latitude, rainbow.longitude, *centre) < 0.05
    # A district nothing is known about yet: no location rather than a wrong one.
    far = Setting.objects.get(urn="107304")
    assert far.latitude is None and not far.location_approximate


# --- Loading the postcode directory ----------------------------------------------------


def test_onspd_loads_and_places_settings_exactly_with_every_bad_row_reported(
    bradford: Area, tmp_path: Path
) -> None:
    nursery = place(bradford, "Little Acorns", "BD8 7ZZ")
    approximate = place(bradford, "Busy Bees", "BD8 9AB", (53.0, -1.0))
    approximate.location_approximate = True
    approximate.save()
    exact_from_gias = place(bradford, "Lilycroft", "BD8 9AA", (53.8, -1.8))
    unknown = place(bradford, "Nowhere", "ZZ9 9ZZ")
    path = write(
        tmp_path,
        "ONSPD_FEB_2025_UK.csv",
        onspd(
            onspd_row("BD8 7ZZ", 415000, 433000),
            onspd_row("BD8 9AB", 416000, 432000),
            onspd_row("BD8 9AA", 414000, 434000),
            onspd_row("BD1 1OLD", 416500, 433100, doterm="200512"),  # not a postcode
            onspd_row("BD1 1XX", 416500, 433100, doterm="200512"),  # terminated: kept
            onspd_row("BT1 1AA", 333000, 374000),  # Irish Grid
            onspd_row("GY1 1AA", "", ""),  # no grid reference
            onspd_row("BD9 9ZZ", 0, 0, osgrdind="9"),
            onspd_row("BD5 0AA", "41x500", 432000),
            onspd_row("BD5 0AB", 9_999_999, 432000),
        ),
    )
    out = run(path)
    assert "row 5: rejected: postcode 'BD1 1OLD' is not a UK postcode" in out
    assert "row 10: rejected: easting '41x500' is not a grid reference in metres" in out
    assert "row 11: rejected: easting 9999999 lies outside the British National Grid" in out
    assert "4 postcodes loaded from ONS Postcode Directory (1 of them terminated)" in out
    assert "3 skipped" in out and "3 rejected" in out
    assert set(Postcode.objects.values_list("postcode", flat=True)) == {
        "BD8 7ZZ",
        "BD8 9AB",
        "BD8 9AA",
        "BD1 1XX",
    }
    nursery.refresh_from_db()
    assert not nursery.location_approximate
    assert (nursery.latitude, nursery.longitude) == pytest.approx(geo.grid_to_wgs84(415000, 433000))
    approximate.refresh_from_db()
    assert not approximate.location_approximate
    assert approximate.latitude == pytest.approx(geo.grid_to_wgs84(416000, 432000)[0])
    # The register's own grid reference is kept as it was.
    exact_from_gias.refresh_from_db()
    assert (exact_from_gias.latitude, exact_from_gias.longitude) == (53.8, -1.8)
    unknown.refresh_from_db()
    assert unknown.latitude is None
    assert "Settings located: 2 exactly, 0 at the centre" in out


def test_code_point_open_files_load_and_a_new_postcode_gets_its_districts_centre(
    bradford: Area, tmp_path: Path
) -> None:
    new_build = place(bradford, "New Build Nursery", "BD8 1NW")  # newer than the files
    first = write(
        tmp_path,
        "bd.csv",
        code_point(("BD8 7ZZ", 10, 415000, 433000), ("BD8 9AB", 10, 417000, 433000)),
    )
    headers = write(
        tmp_path, "Code-Point_Open_Column_Headers.csv", "PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC\r\n"
    )
    second = write(
        tmp_path, "ls.csv", code_point(("LS1 1UR", 10, 429900, 433500), ("LS2 9ZZ", 90, 0, 0))
    )
    out = run(headers, first, second)
    assert "3 postcodes loaded from OS Code-Point Open" in out
    assert "1 no coordinates (quality 90)" in out
    new_build.refresh_from_db()
    assert new_build.location_approximate
    centre = geo.grid_to_wgs84(416000, 433000)
    assert geo.distance_km(new_build.latitude, new_build.longitude, *centre) < 0.05


def test_loading_again_replaces_the_table(bradford: Area, tmp_path: Path) -> None:
    run(write(tmp_path, "a.csv", code_point(("BD8 7ZZ", 10, 415000, 433000))))
    run(write(tmp_path, "b.csv", onspd(onspd_row("LS1 1UR", 429900, 433500))))
    assert list(Postcode.objects.values_list("postcode", flat=True)) == ["LS1 1UR"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"name,start,end\r\nHalf term,2026-10-26,2026-10-30\r\n", "neither"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xb7\xac\xce\x34", "not UTF-8"),
        (code_point(("LS2 9ZZ", 90, 0, 0)).encode(), "no postcode with coordinates"),
    ],
)
def test_a_wrong_file_changes_nothing_and_says_why(
    bradford: Area, tmp_path: Path, content: bytes, reason: str
) -> None:
    good = write(tmp_path, "good.csv", code_point(("BD8 7ZZ", 10, 415000, 433000)))
    run(good)
    setting = place(bradford, "Later", "BD8 7ZZ")
    bad = write(tmp_path, "bad.csv", content)
    other = write(tmp_path, "other.csv", code_point(("LS1 1UR", 10, 429900, 433500)))
    with pytest.raises(CommandError, match=reason):
        # All or nothing: a good file given first is not loaded either; files with no
        # postcode at all never empty the table.
        run(bad) if reason.startswith("no postcode") else run(other, bad)
    assert list(Postcode.objects.values_list("postcode", flat=True)) == ["BD8 7ZZ"]
    setting.refresh_from_db()
    assert setting.latitude is None


def test_memory_stays_flat_the_table_is_written_in_batches(
    bradford: Area, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postcodes, "BATCH", 7)
    sizes: list[int] = []
    real = Postcode.objects.bulk_create

    def spy(objs: list[Postcode], **kw: Any) -> Any:
        sizes.append(len(objs))
        return real(objs, **kw)

    monkeypatch.setattr(Postcode.objects, "bulk_create", spy)
    rows = [(f"BD8 {n}AA", 10, 415000 + n, 433000) for n in range(10)]
    rows += [(f"BD9 {n}AB", 10, 415000 + n, 433000) for n in range(10)]
    run(write(tmp_path, "bd.csv", code_point(*rows)))
    assert Postcode.objects.count() == 20
    assert max(sizes) <= 7


def test_a_leader_who_changes_the_postcode_moves_the_setting(cast: Cast) -> None:
    Postcode.objects.create(postcode="BD8 7ZZ", easting=415000, northing=433000)
    setting = cast.alice.profile.setting
    assert setting is not None
    located = locations.locate([setting])
    assert located.unplaced == 0 and setting.latitude is None  # no postcode yet
    response = client_for(cast.alice).post(
        reverse("setting_edit"),
        {"name": setting.name, "kind": setting.kind, "urn": setting.urn, "postcode": "bd8 7zz"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    setting.refresh_from_db()
    assert setting.postcode == "BD8 7ZZ" and not setting.location_approximate
    assert setting.latitude == pytest.approx(geo.grid_to_wgs84(415000, 433000)[0])


# --- The formation page ------------------------------------------------------------------


def test_the_formation_page_names_leaders_with_only_an_approximate_location(cast: Cast) -> None:
    near = place(cast.area, "Approximate Nursery", "BD8 1NW", (53.8, -1.77))
    near.location_approximate = True
    near.save()
    make_person("pat@example.test", "Pat Approximate", near)
    round_ = FormationRound.objects.create(area=cast.area, name="Autumn", created_by=cast.cora)
    page = client_for(cast.cora).get(reverse("formation_round", args=[cast.area.pk, round_.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "1 leader has only an approximate location" in body
    assert "Pat Approximate" in body
    assert "Alice Archer" not in body.split('id="approximate-locations"')[1].split("</div>")[0]


def test_a_long_list_of_approximate_leaders_is_cut_short(cast: Cast) -> None:
    for n in range(23):
        setting = place(cast.area, f"Nursery {n}", "BD8 1NW", (53.8, -1.77))
        setting.location_approximate = True
        setting.save()
        make_person(f"leader{n}@example.test", f"Leader {n:02d}", setting)
    round_ = FormationRound.objects.create(area=cast.area, name="Autumn", created_by=cast.cora)
    page = client_for(cast.cora).get(reverse("formation_round", args=[cast.area.pk, round_.pk]))
    note = page.content.decode().split('id="approximate-locations"')[1].split("</div>")[0]
    assert "23 leaders have only an approximate location" in note
    assert "Leader 19" in note and "Leader 20" not in note and "and 3 more" in note


def test_an_ofsted_provider_with_a_postcode_is_placed_and_a_redacted_childminder_is_not(
    bradford: Area, tmp_path: Path
) -> None:
    from nextpractice.directory import ofsted

    from .registers_data import ofsted_file, provider_row

    run(write(tmp_path, "bd.csv", code_point(("BD7 1AA", 10, 414000, 432000))))
    nursery = provider_row(
        "EY700001",
        "Childcare on non-domestic premises",
        name="Invented Day Nursery",
        pc="BD7 1AA",
    )
    minder = provider_row("EY700002", "Childminder")
    ofsted.import_ofsted(ofsted_file([nursery, minder]), area=bradford)

    placed = Setting.objects.get(ofsted_urn="EY700001")
    assert not placed.location_approximate
    assert (
        geo.distance_km(placed.latitude, placed.longitude, *geo.grid_to_wgs84(414000, 432000))
        < 0.05
    )
    # Published without an address: nothing to place her by, and nothing invented.
    redacted = Setting.objects.get(ofsted_urn="EY700002")
    assert redacted.latitude is None and redacted.postcode in ("", None)
