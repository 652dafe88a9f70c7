"""British National Grid to latitude/longitude, checked against Ordnance Survey's own figures."""

from __future__ import annotations

import pytest

from nextpractice.directory import geo


def test_it_inverts_the_projection_as_in_the_os_worked_example() -> None:
    # OS "A guide to coordinate systems in Great Britain", annex C: E 651409.903,
    # N 313177.270 is 52°39'27.2531"N 1°43'4.5177"E on OSGB36.
    lat, lon = geo.grid_to_osgb36(651409.903, 313177.270)
    assert lat == pytest.approx(52 + 39 / 60 + 27.2531 / 3600, abs=1e-7)
    assert lon == pytest.approx(1 + 43 / 60 + 4.5177 / 3600, abs=1e-7)


@pytest.mark.parametrize(
    ("easting", "northing", "lat", "lon"),
    [
        # OS developer pack test point TP01 (St Mary's, Isles of Scilly), OSTN15 test files.
        (91492.146, 11318.804, 49.92226393730, -6.29977752014),
        # OS grid reference TR 143 599 (Kent), the OSTN transformation's published example.
        (614300.0, 159900.0, 51.297880, 1.072628),
    ],
)
def test_it_lands_within_20_metres_of_published_points(
    easting: float, northing: float, lat: float, lon: float
) -> None:
    got_lat, got_lon = geo.grid_to_wgs84(easting, northing)
    assert geo.distance_km(got_lat, got_lon, lat, lon) * 1000 < 20


def test_distance_between_two_towns_is_about_right() -> None:
    # Leeds to Bradford city centres: about 13.5 km as the crow flies.
    assert geo.distance_km(53.7997, -1.5492, 53.7950, -1.7594) == pytest.approx(13.8, abs=0.5)
