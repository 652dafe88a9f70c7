"""A name for each proposed cluster, from the place. Pure Python, no Django.

Leaders recognise a cluster by where it is: "Riverside", "Northbridge East", "NB3".
A cluster is named after the locality most of its settings share; failing that, their
commonest town; failing that, their commonest postcode district (the outward code). Names
are unique within the round: clusters that would share a name are told apart by the
compass point of each from the middle of them ("Northbridge North"), then by postcode
district, then by number.

GIAS addresses are written "Street, Locality, Address3, Town" (see directory.gias), so
the town is the last part and the locality the second, when there are three or more.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

COMPASS = ["East", "North East", "North", "North West", "West", "South West", "South", "South East"]
# Within this share of the spread of the clusters' middles, a cluster is "Central".
CENTRAL = 0.2
MAX_LENGTH = 120


@dataclass(frozen=True)
class Place:
    locality: str = ""
    town: str = ""
    district: str = ""
    latitude: float | None = None
    longitude: float | None = None


def postcode_district(postcode: str) -> str:
    """The outward code: "NB3 4XY" -> "NB3" (also without the space)."""
    code = re.sub(r"\s+", "", postcode or "").upper()
    return code[:-3] if len(code) >= 5 else ""


def place_of(
    address: str, postcode: str, latitude: float | None = None, longitude: float | None = None
) -> Place:
    """Where a setting is, read from its address and postcode."""
    parts = [p.strip() for p in re.split(r"[,\n]", address or "") if p.strip()]
    town = parts[-1] if len(parts) >= 2 else ""
    locality = parts[1] if len(parts) >= 3 else ""
    return Place(locality, town, postcode_district(postcode), latitude, longitude)


def _commonest(values: Iterable[str], at_least: int = 1) -> str:
    counts = Counter(v for v in values if v)
    if not counts:
        return ""
    # Most common first, then alphabetical: the same name on every visit.
    name, count = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return name if count >= at_least else ""


def base_name(places: Sequence[Place]) -> str:
    """The place a cluster is most at: a locality shared by two or more of its settings (or
    its one setting's), else the commonest town, else the commonest postcode district."""
    return (
        _commonest((p.locality for p in places), at_least=min(2, len(places)))
        or _commonest(p.town for p in places)
        or _commonest(p.district for p in places)
    )


def _middle(places: Sequence[Place]) -> tuple[float, float] | None:
    located = [
        (p.latitude, p.longitude)
        for p in places
        if p.latitude is not None and p.longitude is not None
    ]
    if not located:
        return None
    return (
        sum(a for a, _ in located) / len(located),
        sum(b for _, b in located) / len(located),
    )


def _compass(middles: dict[int, tuple[float, float]]) -> dict[int, str]:
    """Each cluster's direction from the middle of the clusters given."""
    lat0 = sum(m[0] for m in middles.values()) / len(middles)
    lon0 = sum(m[1] for m in middles.values()) / len(middles)
    scale = math.cos(math.radians(lat0))
    offsets = {g: ((lon - lon0) * scale, lat - lat0) for g, (lat, lon) in middles.items()}
    reach = max(math.hypot(*o) for o in offsets.values()) or 1.0
    out = {}
    for g, (x, y) in offsets.items():
        if math.hypot(x, y) < CENTRAL * reach:
            out[g] = "Central"
        else:
            out[g] = COMPASS[round(math.atan2(y, x) / (math.pi / 4)) % 8]
    return out


def propose_names(
    groups: Mapping[int, Sequence[Place]], taken: Iterable[str] = (), fallback: str = "Cluster"
) -> dict[int, str]:
    """A name for each group, unique within the groups and not one of ``taken`` (names of
    the area's clusters already), compared without regard to case. ``fallback`` (the
    area's name) names a group whose settings have no address."""
    base = {g: base_name(places) or fallback for g, places in groups.items()}
    names = dict(base)
    for name in set(base.values()):
        same = [g for g in groups if base[g] == name]
        if len(same) < 2:
            continue
        middles = {g: m for g in same if (m := _middle(groups[g])) is not None}
        if len(middles) == len(same):
            for g, point in _compass(middles).items():
                names[g] = f"{name} {point}"
    # Still alike: the postcode district; then (below) a number.
    counts = Counter(n.lower() for n in names.values())
    for g in sorted(groups):
        district = _commonest(p.district for p in groups[g])
        if counts[names[g].lower()] > 1 and district and district.lower() not in names[g].lower():
            names[g] = f"{names[g]} ({district})"
    used = {t.lower() for t in taken}
    out: dict[int, str] = {}
    for g in sorted(groups):
        name, k = names[g][:MAX_LENGTH], 2
        while name.lower() in used:
            name = f"{names[g][: MAX_LENGTH - 4]} {k}"
            k += 1
        used.add(name.lower())
        out[g] = name
    return out
