"""Where settings are, from their postcodes.

A setting's location is exact when it comes from its own grid reference (a GIAS row's
easting and northing) or from its postcode in the postcode table (``import_postcodes``).
Otherwise, until the table is loaded or for a postcode it does not hold yet, the setting
is put at the centre of its postcode district (the outward code, "LS1" of "LS1 1UR") and
marked approximate: the centre of the table's postcodes of that district when it has any,
else of the settings of that district whose location is exact. A district is a few
kilometres across, close enough to weigh journeys between settings, not to give
directions; the formation page names the leaders whose setting is placed this way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Avg, Q, QuerySet

from nextpractice.audit.models import record

from . import geo
from .models import Area, Postcode, Setting

# Rows per query: well under SQLite's limit on parameters, and few round trips.
CHUNK = 500


@dataclass
class Located:
    exact: int = 0
    approximate: int = 0
    unplaced: int = 0  # a postcode in a district nothing is known about yet
    by_area: dict[int, int] = field(default_factory=dict)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _district_range(district: str) -> Q:
    # A range on the normalised postcode ("LS1 " up to "LS1!", the next character after
    # the space): it keeps "LS1 1UR" and leaves "LS10 1AA", and uses the primary key's
    # index on every database, where a LIKE would read the whole table on SQLite.
    return Q(postcode__gte=f"{district} ", postcode__lt=f"{district}!")


def exact_points(postcodes: Iterable[str]) -> dict[str, tuple[float, float]]:
    """Postcode -> (latitude, longitude) for those the postcode table holds."""
    found: dict[str, tuple[float, float]] = {}
    for chunk in _chunks(sorted(set(postcodes))):
        rows = Postcode.objects.filter(postcode__in=chunk).values_list(
            "postcode", "easting", "northing"
        )
        for postcode, easting, northing in rows:
            found[postcode] = geo.grid_to_wgs84(easting, northing)
    return found


def district_points(districts: Iterable[str]) -> dict[str, tuple[float, float]]:
    """Outward code -> the centre of that postcode district, as far as it is known."""
    wanted = sorted({d for d in districts if d})
    found: dict[str, tuple[float, float]] = {}
    for district in wanted:
        # One aggregate per district, answered from the index: an area has a few dozen.
        centre = Postcode.objects.filter(_district_range(district)).aggregate(
            e=Avg("easting"), n=Avg("northing")
        )
        if centre["e"] is not None and centre["n"] is not None:
            found[district] = geo.grid_to_wgs84(centre["e"], centre["n"])
    missing = [d for d in wanted if d not in found]
    for chunk in _chunks(missing):
        near = Q()
        for district in chunk:
            near |= _district_range(district)
        exact = (
            Setting.objects.filter(near, location_approximate=False)
            .exclude(latitude=None)
            .exclude(longitude=None)
            .values_list("postcode", "latitude", "longitude")
        )
        found |= geo.district_centroids(
            (p, lat, lon) for p, lat, lon in exact if lat is not None and lon is not None
        )
    return found


def locate(settings: Sequence[Setting]) -> Located:
    """Give each setting with a postcode its location (exact, else its district's centre,
    marked approximate); a setting nothing is known about keeps what it had. Not saved."""
    counts = Located()
    with_postcode = [s for s in settings if s.postcode]
    exact = exact_points(s.postcode for s in with_postcode)
    districts = district_points(
        geo.outward_code(s.postcode) for s in with_postcode if s.postcode not in exact
    )
    for setting in with_postcode:
        point = exact.get(setting.postcode)
        approximate = point is None
        if point is None:
            point = districts.get(geo.outward_code(setting.postcode))
        if point is None:
            counts.unplaced += 1
            continue
        setting.latitude, setting.longitude = point
        setting.location_approximate = approximate
        if approximate:
            counts.approximate += 1
        else:
            counts.exact += 1
        counts.by_area[setting.area_id] = counts.by_area.get(setting.area_id, 0) + 1
    return counts


def needing_location(settings: QuerySet[Setting] | None = None) -> QuerySet[Setting]:
    """Settings with a postcode whose location is missing or only approximate."""
    qs = Setting.objects.all() if settings is None else settings
    return qs.exclude(postcode="").filter(
        Q(latitude=None) | Q(longitude=None) | Q(location_approximate=True)
    )


def relocate(settings: QuerySet[Setting] | None = None, by: object = None) -> Located:
    """Locate and save every setting (of ``settings``, else all) with a postcode whose
    location is missing or approximate; exact locations are kept. Recorded per area.
    Call it inside the transaction that changed the settings or the postcode table."""
    total = Located()
    pks = list(needing_location(settings).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), CHUNK):
        batch = list(Setting.objects.filter(pk__in=pks[start : start + CHUNK]))
        counts = locate(batch)
        Setting.objects.bulk_update(
            [s for s in batch if s.latitude is not None],
            ["latitude", "longitude", "location_approximate"],
            batch_size=CHUNK,
        )
        total.exact += counts.exact
        total.approximate += counts.approximate
        total.unplaced += counts.unplaced
        for area_id, n in counts.by_area.items():
            total.by_area[area_id] = total.by_area.get(area_id, 0) + n
    for area in Area.objects.filter(pk__in=list(total.by_area)):
        record(
            by,
            "settings.located",
            area,
            f"{total.by_area[area.pk]} settings of {area} located from their postcodes",
        )
    return total


def relocate_one(setting: Setting) -> None:
    """After a setting's postcode changed: its location from the new postcode, exact or
    approximate; when nothing is known of the new one, the old point stays, approximate."""
    setting.location_approximate = True
    locate([setting])
    if setting.latitude is None:
        setting.location_approximate = False
