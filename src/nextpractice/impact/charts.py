"""Charts drawn on the server as accessible SVG.

Pure and typed: no Django; text is escaped here with the standard library, so the markup
can be placed in a page as it is.

Why this shape. A chart is an image to a screen reader unless it says what it shows: each
one is ``role="img"`` with a ``<title>`` and a ``<desc>`` (named by ``aria-labelledby``),
and every mark carries its own value twice, as a ``<title>`` (read out, and shown on hover)
and as ``data-value`` (what the tests parse to check that a chart draws what it claims).
The same figures are always in a table beside the chart; the chart adds the shape, never a
figure the table lacks. No colour carries meaning on its own (marks are labelled), and the
lines and marks meet WCAG's 3:1 contrast for graphics on white.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

INK = "#0b0c0c"
LINE = "#1d70b8"
GRID = "#b1b4b6"


@dataclass(frozen=True)
class Point:
    label: str  # the x position's name: "Baseline", "Spring 2027"
    value: float | None  # None: no answer that term


@dataclass(frozen=True)
class Interval:
    label: str
    mean: float
    low: float
    high: float


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def line_chart(
    chart_id: str, title: str, desc: str, points: Sequence[Point], y_min: float, y_max: float
) -> str:
    """One measure over time: a line through the answered points, each a labelled mark."""
    width, height, left, right, top, bottom = 320, 180, 36, 12, 14, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (y_max - y_min) or 1.0

    def x(i: int) -> float:
        return left + (plot_w * i / (len(points) - 1) if len(points) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - y_min) / span)

    parts = [_open(chart_id, title, desc, width, height)]
    for tick in (y_min, (y_min + y_max) / 2, y_max):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}" stroke-width="1" aria-hidden="true"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{INK}" aria-hidden="true">{_fmt(tick).removesuffix(".0")}</text>'
        )
    answered = [(i, p) for i, p in enumerate(points) if p.value is not None]
    if len(answered) > 1:
        path = " ".join(f"{x(i):.1f},{y(p.value):.1f}" for i, p in answered if p.value is not None)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2" '
            'aria-hidden="true"/>'
        )
    for i, p in enumerate(points):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'font-size="10" fill="{INK}" aria-hidden="true">{escape(p.label)}</text>'
        )
        if p.value is None:
            continue
        parts.append(
            f'<circle class="mark" cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="5" fill="{LINE}" '
            f'stroke="{INK}" stroke-width="1" data-label="{escape(p.label)}" '
            f'data-value="{_fmt(p.value)}"><title>{escape(p.label)}: {_fmt(p.value)}</title>'
            "</circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def interval_chart(
    chart_id: str,
    title: str,
    desc: str,
    intervals: Sequence[Interval],
    x_min: float,
    x_max: float,
) -> str:
    """Mean changes with their intervals, one row each, around a zero line."""
    row, left, right, top = 34, 170, 16, 26
    width = 520
    height = top + row * max(len(intervals), 1) + 24
    plot_w = width - left - right
    span = (x_max - x_min) or 1.0

    def x(v: float) -> float:
        return left + plot_w * (min(max(v, x_min), x_max) - x_min) / span

    parts = [_open(chart_id, title, desc, width, height)]
    zero = x(0.0)
    parts.append(
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top - 10}" y2="{height - 20}" '
        f'stroke="{INK}" stroke-width="1" aria-hidden="true"/>'
        f'<text x="{zero:.1f}" y="{top - 14}" text-anchor="middle" font-size="11" '
        f'fill="{INK}" aria-hidden="true">no change</text>'
    )
    for tick in (x_min, x_max):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{height - 6}" text-anchor="middle" font-size="11" '
            f'fill="{INK}" aria-hidden="true">{tick:+.0f}</text>'
        )
    for k, iv in enumerate(intervals):
        cy = top + row * k + row / 2
        label = f"{iv.label}: {iv.mean:+.2f} (95% interval {iv.low:+.2f} to {iv.high:+.2f})"
        parts.append(
            f'<text x="{left - 8}" y="{cy + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{INK}" aria-hidden="true">{escape(iv.label)}</text>'
            f'<g class="mark" data-label="{escape(iv.label)}" data-value="{iv.mean:.2f}" '
            f'data-low="{iv.low:.2f}" data-high="{iv.high:.2f}"><title>{escape(label)}</title>'
            f'<line x1="{x(iv.low):.1f}" x2="{x(iv.high):.1f}" y1="{cy:.1f}" y2="{cy:.1f}" '
            f'stroke="{LINE}" stroke-width="3"/>'
            f'<circle cx="{x(iv.mean):.1f}" cy="{cy:.1f}" r="6" fill="{LINE}" stroke="{INK}" '
            'stroke-width="1"/></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> str:
    cid = escape(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="np-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'aria-labelledby="{cid}-title {cid}-desc">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(desc)}</desc>'
    )
