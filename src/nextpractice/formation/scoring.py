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
