"""British National Grid to WGS84, and distances. Pure Python, no Django.

GIAS gives each establishment an easting and northing on the British National Grid
(OSGB36 datum, Airy 1830 ellipsoid). We invert the Transverse Mercator projection to
OSGB36 latitude/longitude (Ordnance Survey, "A guide to coordinate systems in Great
Britain", annex C), then move datum to WGS84 with the published seven-parameter Helmert
transformation. The Helmert step is good to a few metres across England, far inside what
planning visits between settings needs; OSTN15's grid would add centimetres we do not use.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

# Airy 1830 ellipsoid and the National Grid projection.
_AIRY_A, _AIRY_B = 6377563.396, 6356256.909
_F0 = 0.9996012717
_LAT0, _LON0 = math.radians(49.0), math.radians(-2.0)
_E0, _N0 = 400000.0, -100000.0
# GRS80/WGS84 ellipsoid.
_WGS_A, _WGS_B = 6378137.000, 6356752.3141
# OSGB36 -> WGS84 Helmert parameters: translations (m), rotations (arc seconds), scale (ppm).
_TX, _TY, _TZ = 446.448, -125.157, 542.060
_RX, _RY, _RZ = 0.1502, 0.2470, 0.8421
_S_PPM = -20.4894


def _meridional_arc(b: float, n: float, lat: float) -> float:
    dl, sl = lat - _LAT0, lat + _LAT0
    return (
        b
        * _F0
        * (
            (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * dl
            - (3 * n + 3 * n**2 + 21 / 8 * n**3) * math.sin(dl) * math.cos(sl)
            + (15 / 8 * n**2 + 15 / 8 * n**3) * math.sin(2 * dl) * math.cos(2 * sl)
            - 35 / 24 * n**3 * math.sin(3 * dl) * math.cos(3 * sl)
        )
    )


def grid_to_osgb36(easting: float, northing: float) -> tuple[float, float]:
    """National Grid metres -> OSGB36 (latitude, longitude) in degrees."""
    a, b = _AIRY_A, _AIRY_B
    e2 = 1 - b**2 / a**2
    n = (a - b) / (a + b)
    lat = _LAT0
    m = 0.0
    # Iterate until the residual northing is under 0.01 mm.
    while True:
        lat = (northing - _N0 - m) / (a * _F0) + lat
        m = _meridional_arc(b, n, lat)
        if abs(northing - _N0 - m) < 0.00001:
            break
    sin_lat, cos_lat, tan_lat = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = a * _F0 / math.sqrt(1 - e2 * sin_lat**2)
    rho = a * _F0 * (1 - e2) / (1 - e2 * sin_lat**2) ** 1.5
    eta2 = nu / rho - 1
    vii = tan_lat / (2 * rho * nu)
    viii = tan_lat / (24 * rho * nu**3) * (5 + 3 * tan_lat**2 + eta2 - 9 * tan_lat**2 * eta2)
    ix = tan_lat / (720 * rho * nu**5) * (61 + 90 * tan_lat**2 + 45 * tan_lat**4)
    x = 1 / (cos_lat * nu)
    xi = 1 / (cos_lat * 6 * nu**3) * (nu / rho + 2 * tan_lat**2)
    xii = 1 / (cos_lat * 120 * nu**5) * (5 + 28 * tan_lat**2 + 24 * tan_lat**4)
    xiia = (
        1
        / (cos_lat * 5040 * nu**7)
        * (61 + 662 * tan_lat**2 + 1320 * tan_lat**4 + 720 * tan_lat**6)
    )
    de = easting - _E0
    lat_out = lat - vii * de**2 + viii * de**4 - ix * de**6
    lon_out = _LON0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return math.degrees(lat_out), math.degrees(lon_out)


def _to_cartesian(lat: float, lon: float, a: float, b: float) -> tuple[float, float, float]:
    e2 = 1 - b**2 / a**2
    phi, lam = math.radians(lat), math.radians(lon)
    nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    return (
        nu * math.cos(phi) * math.cos(lam),
        nu * math.cos(phi) * math.sin(lam),
        nu * (1 - e2) * math.sin(phi),
    )


def _from_cartesian(x: float, y: float, z: float, a: float, b: float) -> tuple[float, float]:
    e2 = 1 - b**2 / a**2
    p = math.hypot(x, y)
    phi = math.atan2(z, p * (1 - e2))
    for _ in range(10):
        nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
        phi = math.atan2(z + e2 * nu * math.sin(phi), p)
    return math.degrees(phi), math.degrees(math.atan2(y, x))


def osgb36_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Helmert datum shift of a point at zero ellipsoidal height."""
    x, y, z = _to_cartesian(lat, lon, _AIRY_A, _AIRY_B)
    s = _S_PPM * 1e-6
    rx, ry, rz = (math.radians(r / 3600) for r in (_RX, _RY, _RZ))
    x2 = _TX + (1 + s) * x - rz * y + ry * z
    y2 = _TY + rz * x + (1 + s) * y - rx * z
    z2 = _TZ - ry * x + rx * y + (1 + s) * z
    return _from_cartesian(x2, y2, z2, _WGS_A, _WGS_B)


def grid_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """British National Grid easting/northing (metres) -> WGS84 (latitude, longitude)."""
    return osgb36_to_wgs84(*grid_to_osgb36(easting, northing))


EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (haversine; accurate to well under 1%)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def outward_code(postcode: str) -> str:
    """The postcode district: 'LS1 1UR' (or 'ls11ur') -> 'LS1'. '' for anything shorter
    than a postcode. The inward code is always the last three characters."""
    compact = "".join(postcode.split()).upper()
    return compact[:-3] if len(compact) >= 5 else ""


def centroid(points: Iterable[tuple[float, float]]) -> tuple[float, float] | None:
    """The mean of (latitude, longitude) points, None for none. Over a postcode district
    (a few kilometres) the mean of the angles is the centre to within metres."""
    count = lat_sum = lon_sum = 0.0
    for lat, lon in points:
        count += 1
        lat_sum += lat
        lon_sum += lon
    return (lat_sum / count, lon_sum / count) if count else None


def district_centroids(
    located: Iterable[tuple[str, float, float]],
) -> dict[str, tuple[float, float]]:
    """(postcode, latitude, longitude) of places whose location is known -> the centre of
    each postcode district they fall in, keyed by outward code."""
    by_district: dict[str, list[tuple[float, float]]] = {}
    for postcode, lat, lon in located:
        district = outward_code(postcode)
        if district:
            by_district.setdefault(district, []).append((lat, lon))
    found: dict[str, tuple[float, float]] = {}
    for district, points in by_district.items():
        centre = centroid(points)
        if centre is not None:
            found[district] = centre
    return found
