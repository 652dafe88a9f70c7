"""Change from baseline, with its uncertainty, and which group means may be shown.

Pure and typed: no Django, so it can be tested alone against independently computed values.

Why a paired t-interval. Each leader answers at joining (the baseline) and each term after;
the change is the same person's latest answer minus their baseline, so differences between
people (some rate everything higher) drop out. With n paired differences d, the mean
change is mean(d) and its 95% interval mean(d) +/- t(0.975, n - 1) * sd(d) / sqrt(n), with
sd the sample standard deviation (n - 1 in the denominator). It assumes the differences are
roughly normal; on 0-10 scales with n >= 5 that is a fair working assumption, and the page
says the interval is approximate. Fewer than MIN_GROUP pairs give no figure at all.

The t quantile is computed here (no SciPy): the Student t CDF through the regularised
incomplete beta function (a continued fraction, Numerical Recipes' ``betacf``), inverted by
bisection to well under the precision shown (two decimals).

Why means need complementary suppression too. Groups of a breakdown (by setting type, by
deprivation band) partition the same people as the overall figure. Showing the overall mean
and n, and every group's but one, gives that one group's sum by subtraction: a group of two
would have its combined change revealed. So the hidden groups, taken together, must hold at
least MIN_GROUP people (or none); ``protect_groups`` hides more groups, smallest first,
until they do, and hides the overall figure too when nothing else is left.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MIN_GROUP = 5
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Change:
    """Mean paired change with its confidence interval."""

    n: int
    mean: float
    low: float
    high: float


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean; ValueError on no values."""
    if not values:
        raise ValueError("no values")
    return math.fsum(values) / len(values)


def sample_sd(values: Sequence[float]) -> float:
    """The sample standard deviation (n - 1 denominator); ValueError under two values."""
    if len(values) < 2:
        raise ValueError("a standard deviation needs two values")
    m = mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / (len(values) - 1))


def median(values: Sequence[float]) -> float:
    """The median (the mean of the middle two for an even count); ValueError on none."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(ln_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (0 < p < 1)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be between 0 and 1")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-12:
            break
    return (low + high) / 2.0


def paired_change(
    before: Sequence[float], after: Sequence[float], confidence: float = CONFIDENCE
) -> Change:
    """Mean of ``after - before`` (the same people, in the same order) with its t-interval.

    Needs at least two pairs (one pair has no spread); callers show nothing under
    MIN_GROUP pairs anyway."""
    if len(before) != len(after):
        raise ValueError("before and after must pair up")
    diffs = [a - b for b, a in zip(before, after, strict=True)]
    n = len(diffs)
    if n < 2:
        raise ValueError("a change needs at least two pairs")
    m = mean(diffs)
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * sample_sd(diffs) / math.sqrt(n)
    return Change(n=n, mean=m, low=m - half, high=m + half)


def protect_groups(
    sizes: Sequence[int], min_group: int = MIN_GROUP, hidden: Iterable[int] = ()
) -> tuple[set[int], bool]:
    """Which groups of a partition to hide, and whether to hide the overall figure.

    ``sizes`` are the number of people in each group (the groups together are everyone
    the overall figure is about). A group of 1 to ``min_group - 1`` people is hidden; then,
    while the hidden groups together hold 1 to ``min_group - 1`` people (their total is the
    overall minus the shown groups, so it can be worked out), the smallest shown non-empty
    group is hidden as well. Empty groups are shown (there is nobody to point at). If the
    overall figure itself is about fewer than ``min_group`` people, everything is hidden.
    ``hidden``: groups already hidden for another reason (their count is suppressed).
    Returns (indices of hidden groups, overall hidden)."""
    if any(s < 0 for s in sizes):
        raise ValueError("sizes cannot be negative")
    total = sum(sizes)
    if total < min_group:
        return {i for i, s in enumerate(sizes) if s > 0}, True
    hidden = {i for i, s in enumerate(sizes) if 0 < s < min_group} | set(hidden)
    while 0 < sum(sizes[i] for i in hidden) < min_group:
        shown = [(s, i) for i, s in enumerate(sizes) if i not in hidden and s > 0]
        if not shown:  # cannot happen: total >= min_group
            return hidden, True
        hidden.add(min(shown)[1])
    return hidden, False
