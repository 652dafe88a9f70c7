"""From leaders' profiles to pairwise scores for the grouping engine. Pure Python and numpy.

s_ij = w_values * value similarity + w_context * context similarity
     + w_complement * (how many of i's areas to develop are j's strengths, and the reverse)
     - w_travel * how far the journey exceeds what either will travel
     + w_wish * (i or j would like to work with the other)
     - w_novices * (both are new leaders: nudges each group towards an experienced member)
"Prefer not to be with" is a hard cannot-link, applied by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from nextpractice.directory import geo

EXPERIENCED_YEARS = 3
DEFAULT_TRAVEL_KM = 10.0


@dataclass(frozen=True)
class Leader:
    """What the engine may know of a leader: what they chose to share for matching."""

    key: int
    name: str
    values: dict[str, int] = field(default_factory=dict)  # value name -> 1..5
    strengths: frozenset[str] = frozenset()
    develop: frozenset[str] = frozenset()
    latitude: float | None = None
    longitude: float | None = None
    max_travel_km: float | None = None
    years: int | None = None
    percent_disadvantaged: float | None = None
    percent_eal: float | None = None
    new_arrivals: int | None = None  # 0 none, 1 some, 2 many
    idaci_decile: int | None = None
    early_years: bool | None = None  # an early-years setting rather than a school
    would_like: frozenset[int] = frozenset()  # keys of leaders they would like to work with

    @property
    def experienced(self) -> bool:
        return self.years is not None and self.years >= EXPERIENCED_YEARS

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class Weights:
    values: float = 1.0
    context: float = 0.5
    complement: float = 0.5
    travel: float = 2.0
    wish: float = 0.5
    novices: float = 0.3


def distance_km(a: Leader, b: Leader) -> float | None:
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    return geo.distance_km(a.latitude, a.longitude, b.latitude, b.longitude)


def value_similarity(a: Leader, b: Leader) -> float:
    """1 when they rate every shared value the same, 0 when as far apart as 1 and 5."""
    common = a.values.keys() & b.values.keys()
    if not common:
        return 0.5
    return 1 - sum(abs(a.values[k] - b.values[k]) for k in common) / (4 * len(common))


def context_similarity(a: Leader, b: Leader) -> float:
    parts: list[float] = []
    for x, y, scale in (
        (a.percent_disadvantaged, b.percent_disadvantaged, 60.0),
        (a.percent_eal, b.percent_eal, 60.0),
        (a.new_arrivals, b.new_arrivals, 2.0),
        (a.idaci_decile, b.idaci_decile, 9.0),
    ):
        if x is not None and y is not None:
            parts.append(1 - min(1.0, abs(float(x) - float(y)) / scale))
    if a.early_years is not None and b.early_years is not None:
        parts.append(1.0 if a.early_years == b.early_years else 0.0)
    return sum(parts) / len(parts) if parts else 0.5


def complement(a: Leader, b: Leader) -> float:
    """Needs met either way, capped so one pair cannot outweigh everything else."""
    met = len(a.develop & b.strengths) + len(b.develop & a.strengths)
    return min(met, 4) / 4


def travel_penalty(a: Leader, b: Leader) -> float:
    """How far the distance exceeds what the less willing of the two will travel, relative
    to that limit (0 when within it); capped at 3."""
    d = distance_km(a, b)
    if d is None:
        return 0.0
    limit = min(a.max_travel_km or DEFAULT_TRAVEL_KM, b.max_travel_km or DEFAULT_TRAVEL_KM)
    return min(3.0, max(0.0, d - limit) / limit)


def score_matrix(leaders: Sequence[Leader], weights: Weights = Weights()) -> NDArray[np.float64]:
    """Every pair's score at once, computed over whole arrays (no loop over pairs): the
    same numbers as score_matrix_pairwise, which defines them, in a fraction of a second
    for 1,500 leaders (the pairwise loop took over six)."""
    n = len(leaders)
    if n == 0:
        return np.zeros((0, 0))
    s = weights.values * _value_similarity(leaders)
    s += weights.context * _context_similarity(leaders)
    s += weights.complement * _complement(leaders)
    s -= weights.travel * _travel_penalty(leaders)
    s += weights.wish * _wishes(leaders)
    novice = np.array([not leader.experienced for leader in leaders])
    s -= weights.novices * np.outer(novice, novice)
    np.fill_diagonal(s, 0.0)
    return s


def _value_similarity(leaders: Sequence[Leader]) -> NDArray[np.float64]:
    names = sorted(set().union(*(leader.values.keys() for leader in leaders)))
    n = len(leaders)
    rated = np.zeros((n, len(names)), dtype=bool)
    rating = np.zeros((n, len(names)))
    column = {name: k for k, name in enumerate(names)}
    for i, leader in enumerate(leaders):
        for name, value in leader.values.items():
            rated[i, column[name]] = True
            rating[i, column[name]] = value
    known = rated.astype(np.float64)
    common = known @ known.T
    # |x - y| summed over the values both rated, as two matrix products: over the rating
    # levels l_0 < l_1 < ..., |x - y| is the sum of (l_t+1 - l_t) over the levels t that
    # exactly one of x and y is above, and "exactly one" is a + b - 2ab. Every term is a
    # small whole number, so the sums are exact.
    levels = np.unique(rating[rated])
    if levels.size < 2:
        apart = np.zeros((n, n))
    else:
        above = np.concatenate([rated & (rating > low) for low in levels[:-1]], axis=1)
        gaps = np.repeat(np.diff(levels), len(names))
        weighted = above * gaps
        apart = weighted @ np.tile(known, levels.size - 1).T
        apart += apart.T
        apart -= 2 * (weighted @ above.T.astype(np.float64))
    common *= 4
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(apart, common, out=apart)
    np.subtract(1.0, apart, out=apart)
    apart[common == 0] = 0.5
    return apart


def _context_similarity(leaders: Sequence[Leader]) -> NDArray[np.float64]:
    n = len(leaders)
    total = np.zeros((n, n))
    parts = np.zeros((n, n), dtype=np.int64)
    fields: list[tuple[list[float | None], float]] = [
        ([leader.percent_disadvantaged for leader in leaders], 60.0),
        ([leader.percent_eal for leader in leaders], 60.0),
        ([_number(leader.new_arrivals) for leader in leaders], 2.0),
        ([_number(leader.idaci_decile) for leader in leaders], 9.0),
    ]
    for column, scale in fields:
        known = np.array([x is not None for x in column])
        x = np.array([float(v) if v is not None else 0.0 for v in column])
        both = np.outer(known, known)
        near = np.subtract.outer(x, x)
        np.abs(near, out=near)
        near /= scale
        np.minimum(near, 1.0, out=near)
        np.subtract(1.0, near, out=near)
        near *= both
        total += near
        parts += both
    kind = [leader.early_years for leader in leaders]
    known = np.array([k is not None for k in kind])
    early = np.array([bool(k) for k in kind])
    both = np.outer(known, known)
    total += np.where(both & (early[:, None] == early[None, :]), 1.0, 0.0)
    parts += both
    with np.errstate(divide="ignore", invalid="ignore"):
        similar = total / parts
    return np.where(parts > 0, similar, 0.5)


def _number(x: int | None) -> float | None:
    return None if x is None else float(x)


def _complement(leaders: Sequence[Leader]) -> NDArray[np.float64]:
    topics = sorted(set().union(*(leader.strengths | leader.develop for leader in leaders)))
    column = {topic: k for k, topic in enumerate(topics)}
    n = len(leaders)
    strong = np.zeros((n, len(topics)))
    needs = np.zeros((n, len(topics)))
    for i, leader in enumerate(leaders):
        strong[i, [column[t] for t in leader.strengths]] = 1.0
        needs[i, [column[t] for t in leader.develop]] = 1.0
    met = needs @ strong.T
    return np.minimum(met + met.T, 4) / 4


def _travel_penalty(leaders: Sequence[Leader]) -> NDArray[np.float64]:
    located = np.array([leader.located for leader in leaders])
    lat = np.radians(np.array([leader.latitude or 0.0 for leader in leaders]))
    lon = np.radians(np.array([leader.longitude or 0.0 for leader in leaders]))
    # The haversine of geo.distance_km over every pair, with sin^2((x - y) / 2) written as
    # (1 - cos x cos y - sin x sin y) / 2 so that only outer products are n x n.
    clat, slat, clon, slon = np.cos(lat), np.sin(lat), np.cos(lon), np.sin(lon)
    dlat = 1 - np.outer(clat, clat) - np.outer(slat, slat)
    dlon = 1 - np.outer(clon, clon) - np.outer(slon, slon)
    dlon *= np.outer(clat, clat)
    h = dlat
    h += dlon
    h *= 0.5
    np.clip(h, 0.0, 1.0, out=h)
    d = np.sqrt(h, out=h)
    np.arcsin(d, out=d)
    d *= 2 * geo.EARTH_RADIUS_KM
    reach = np.array([leader.max_travel_km or DEFAULT_TRAVEL_KM for leader in leaders])
    limit = np.minimum(reach[:, None], reach[None, :])
    penalty = np.minimum(3.0, np.maximum(0.0, d - limit) / limit)
    return np.where(np.outer(located, located), penalty, 0.0)


def _wishes(leaders: Sequence[Leader]) -> NDArray[np.float64]:
    position = {leader.key: i for i, leader in enumerate(leaders)}
    n = len(leaders)
    wished = np.zeros((n, n))
    for i, leader in enumerate(leaders):
        for key in leader.would_like:
            j = position.get(key)
            if j is not None:
                wished[i, j] = wished[j, i] = 1.0
    return wished


def score_matrix_pairwise(
    leaders: Sequence[Leader], weights: Weights = Weights()
) -> NDArray[np.float64]:
    """The scores pair by pair, straight from the definitions above: slow (a Python loop
    over every pair), kept as the oracle that score_matrix is tested against."""
    n = len(leaders)
    s = np.zeros((n, n))
    for i in range(n):
        a = leaders[i]
        for j in range(i + 1, n):
            b = leaders[j]
            value = (
                weights.values * value_similarity(a, b)
                + weights.context * context_similarity(a, b)
                + weights.complement * complement(a, b)
                - weights.travel * travel_penalty(a, b)
            )
            if b.key in a.would_like or a.key in b.would_like:
                value += weights.wish
            if not a.experienced and not b.experienced:
                value -= weights.novices
            s[i, j] = s[j, i] = value
    return s


def unlocated(leaders: Sequence[Leader]) -> list[Leader]:
    """Leaders whose setting has no coordinates: travel cannot be judged for them."""
    return [leader for leader in leaders if not leader.located]


@dataclass(frozen=True)
class GroupExplanation:
    shared_values: list[str]
    needs_met: list[tuple[str, str, str]]  # (who has the strength, topic, who needs it)
    furthest_km: float | None
    has_experienced: bool


def explain(group: Sequence[Leader]) -> GroupExplanation:
    """Why a group fits: values everyone rates 4 or 5, needs met by another member's
    strength, and the longest journey between two members."""
    shared = (
        sorted(
            set.intersection(*[{k for k, v in leader.values.items() if v >= 4} for leader in group])
        )
        if group
        else []
    )
    needs = sorted(
        (giver.name, topic, taker.name)
        for taker in group
        for giver in group
        if giver is not taker
        for topic in taker.develop & giver.strengths
    )
    distances = [
        d
        for i, a in enumerate(group)
        for b in group[i + 1 :]
        if (d := distance_km(a, b)) is not None
    ]
    return GroupExplanation(
        shared_values=shared,
        needs_met=needs,
        furthest_km=round(max(distances), 1) if distances else None,
        has_experienced=any(leader.experienced for leader in group),
    )
