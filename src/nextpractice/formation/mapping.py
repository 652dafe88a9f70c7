"""The proposal drawn as a map: each setting a mark in its cluster's colour and shape, and
each cluster's furthest journey a line with its length. Pure Python, no Django.

No tile service is called: the page draws only the settings, from their coordinates, so
nothing about the area's leaders leaves the server and the map works offline. Positions
are a local flat projection of latitude and longitude (kilometres east and north of the
area's middle, with longitude shrunk by the cosine of the middle's latitude): across a
local authority this is within a few metres of the British National Grid, far finer than
a mark on a screen.

Colour is never the only cue (WCAG 1.4.1): the palette is Okabe and Ito's, safe for the
common colour-vision deficiencies, each cluster also has a shape, every mark has a dark
outline (WCAG 1.4.11: 3:1 against the page whatever its fill), and every cluster is
labelled with its number beside its middle. A table beside the map carries the same facts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from nextpractice.directory import geo

# Okabe & Ito (2008), "Color Universal Design"; black is left out (it is the outline).
PALETTE = [
    ("#E69F00", "orange"),
    ("#56B4E9", "sky blue"),
    ("#009E73", "bluish green"),
    ("#F0E442", "yellow"),
    ("#0072B2", "blue"),
    ("#D55E00", "vermilion"),
    ("#CC79A7", "reddish purple"),
]
SHAPES = ["circle", "square", "triangle", "diamond", "hexagon"]
WIDTH = 640.0
PAD = 24.0
R = 8.0  # a mark's half-size in the drawing's units


@dataclass(frozen=True)
class Point:
    """One setting placed in one cluster."""

    key: int  # the setting's id
    label: str
    group: int
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Mark:
    key: int
    label: str
    group: int
    x: float
    y: float
    colour: str
    shape: str
    path: str  # the shape as an SVG path, centred on (x, y)


@dataclass(frozen=True)
class Journey:
    group: int
    x1: float
    y1: float
    x2: float
    y2: float
    km: float
    between: tuple[str, str]

    @property
    def mx(self) -> float:
        return (self.x1 + self.x2) / 2

    @property
    def my(self) -> float:
        return (self.y1 + self.y2) / 2


@dataclass(frozen=True)
class Label:
    group: int
    number: int
    x: float
    y: float


@dataclass(frozen=True)
class Style:
    colour: str
    colour_name: str
    shape: str


@dataclass(frozen=True)
class Map:
    width: float
    height: float
    marks: list[Mark]
    journeys: list[Journey]
    labels: list[Label]


def style(position: int) -> Style:
    """The colour and shape of the cluster at ``position`` (0-based) in the proposal. Colour
    and shape cycle at different lengths (7 and 5), so 35 clusters in a row look different."""
    colour, name = PALETTE[position % len(PALETTE)]
    return Style(colour, name, SHAPES[position % len(SHAPES)])


def shape_path(shape: str, x: float, y: float, r: float = R) -> str:
    """An SVG path for a mark of about the same area whatever its shape."""
    if shape == "square":
        s = r * 0.9
        return f"M{x - s:.1f} {y - s:.1f}h{2 * s:.1f}v{2 * s:.1f}h{-2 * s:.1f}Z"
    if shape == "triangle":
        t = r * 1.3
        return (
            f"M{x:.1f} {y - t:.1f}L{x + t * 0.866:.1f} {y + t / 2:.1f}"
            f"L{x - t * 0.866:.1f} {y + t / 2:.1f}Z"
        )
    if shape == "diamond":
        d = r * 1.25
        return f"M{x:.1f} {y - d:.1f}L{x + d:.1f} {y:.1f}L{x:.1f} {y + d:.1f}L{x - d:.1f} {y:.1f}Z"
    if shape == "hexagon":
        pts = [
            (x + r * 1.05 * math.cos(math.pi / 3 * k), y + r * 1.05 * math.sin(math.pi / 3 * k))
            for k in range(6)
        ]
        return "M" + "L".join(f"{a:.1f} {b:.1f}" for a, b in pts) + "Z"
    # A circle, as two arcs.
    arc = f"a{r:.1f} {r:.1f} 0 1 0"
    return f"M{x - r:.1f} {y:.1f}{arc} {2 * r:.1f} 0{arc} {-2 * r:.1f} 0Z"


def draw(points: Sequence[Point], order: Sequence[int]) -> Map:
    """Place the points; ``order`` is the proposal's groups in the order they are listed
    (position k is cluster k + 1, and has style(k))."""
    position = {g: k for k, g in enumerate(order)}
    located = [p for p in points if p.group in position]
    if not located:
        return Map(WIDTH, 0.0, [], [], [])
    lat0 = sum(p.latitude for p in located) / len(located)
    lon0 = sum(p.longitude for p in located) / len(located)
    shrink = math.cos(math.radians(lat0))
    km = [((p.longitude - lon0) * 111.32 * shrink, (p.latitude - lat0) * 110.57) for p in located]
    min_x, max_x = min(x for x, _ in km), max(x for x, _ in km)
    min_y, max_y = min(y for _, y in km), max(y for _, y in km)
    span = max(max_x - min_x, max_y - min_y, 0.5)
    scale = (WIDTH - 2 * PAD) / span
    height = max(2 * PAD + (max_y - min_y) * scale, 160.0)
    offset_x = (WIDTH - (max_x - min_x) * scale) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        # North is up: the drawing's y grows downwards.
        return offset_x + (x - min_x) * scale, height - PAD - (y - min_y) * scale

    marks = []
    seen: set[tuple[int, int]] = set()
    by_group: dict[int, list[tuple[Point, float, float]]] = {}
    for p, (x, y) in zip(located, km, strict=True):
        sx, sy = at(x, y)
        by_group.setdefault(p.group, []).append((p, sx, sy))
        if (p.key, p.group) in seen:  # two leaders of one setting: one mark
            continue
        seen.add((p.key, p.group))
        st = style(position[p.group])
        marks.append(
            Mark(p.key, p.label, p.group, sx, sy, st.colour, st.shape, shape_path(st.shape, sx, sy))
        )
    journeys, labels = [], []
    for g, members in by_group.items():
        far: tuple[float, int, int] | None = None
        for i, (a, _, _) in enumerate(members):
            for j in range(i + 1, len(members)):
                b = members[j][0]
                d = geo.distance_km(a.latitude, a.longitude, b.latitude, b.longitude)
                if far is None or d > far[0]:
                    far = (d, i, j)
        if far is not None and far[0] > 0:
            (a, x1, y1), (b, x2, y2) = members[far[1]], members[far[2]]
            journeys.append(Journey(g, x1, y1, x2, y2, round(far[0], 1), (a.label, b.label)))
        cx = sum(x for _, x, _ in members) / len(members)
        cy = sum(y for _, _, y in members) / len(members)
        labels.append(Label(g, position[g] + 1, cx, cy))
    journeys.sort(key=lambda j: position[j.group])
    labels.sort(key=lambda lab: lab.number)
    return Map(WIDTH, height, marks, journeys, labels)
