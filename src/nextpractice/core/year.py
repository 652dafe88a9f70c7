"""A cluster's year, told by the apps that hold it ("Our year").

The page lives with the cluster (``clusters``), yet what it tells is held by the apps above
it: meetings, feedback and learning walks, help, events, successes. Each offers a source,
listed in ``settings.YEAR_SOURCES``, so no app below imports one above. A source is called
as ``source(cluster, user, year)``: it reads only through the scoped querysets
(``in_cluster(user, cluster.pk)``), answers with a fixed number of queries whatever the
size of the year, and returns one ``Section``. Lines are placed in a term, or across the
whole year (``term=""``). Counts are the cluster's, never one member's set against
another's: the page ranks nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

AUTUMN, SPRING, SUMMER = "autumn", "spring", "summer"
TERMS = ((AUTUMN, "Autumn term"), (SPRING, "Spring term"), (SUMMER, "Summer term"))

#: The most lines one source gives a year (a busy cluster's successes): the rest is a count
#: and a link, so the page stays readable and its cost bounded.
MAX_LINES = 60


@dataclass(frozen=True)
class Year:
    """An academic year by its first calendar year: ``Year(2026)`` is 2026/27, from
    1 August (summer's preparations count with the year ahead) to 31 July."""

    start_year: int

    @property
    def name(self) -> str:
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.start_year, 8, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.start_year + 1, 7, 31)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """From the first moment of the year to the first of the next, in local time:
        filter with ``__gte`` the first and ``__lt`` the second."""
        start = dt.datetime.combine(self.first_day, dt.time())
        end = dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time())
        return timezone.make_aware(start), timezone.make_aware(end)

    def holds(self, day: dt.date) -> bool:
        return self.first_day <= day <= self.last_day

    @staticmethod
    def term_of(day: dt.date) -> str:
        """Autumn (August to December), spring (January to March) or summer; as the
        termly achievements email counts them."""
        return AUTUMN if day.month >= 8 else SPRING if day.month <= 3 else SUMMER

    def term_of_moment(self, moment: dt.datetime) -> str:
        return self.term_of(timezone.localdate(moment))

    def term_starts(self, term: str) -> dt.date:
        if term == AUTUMN:
            return self.first_day
        return dt.date(self.start_year + 1, 1 if term == SPRING else 4, 1)

    @classmethod
    def of(cls, day: dt.date) -> Year:
        return cls(day.year if day.month >= 8 else day.year - 1)


@dataclass(frozen=True)
class Line:
    """One thing the year holds: ``text`` (plain, or Markdown when ``markdown``), with an
    optional ``link`` and ``detail`` after it; ``term`` is "" for the whole year."""

    term: str
    text: str
    link: str = ""
    detail: str = ""
    when: dt.date | None = None
    markdown: bool = False


@dataclass
class Section:
    """What one app tells of the year: its heading, its lines, and a sentence for the
    year at a glance (``summary``). ``more`` counts lines left off, ``more_link`` leads to
    them all."""

    key: str
    heading: str
    summary: str
    lines: list[Line] = field(default_factory=list)
    more: int = 0
    more_link: str = ""

    def in_term(self, term: str) -> list[Line]:
        return [line for line in self.lines if line.term == term]


Source = Callable[[Any, Any, Year], Section]


def plural(n: int, one: str, many: str | None = None) -> str:
    """``plural(1, "meeting")`` is "1 meeting", ``plural(3, "meeting")`` "3 meetings"."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def per_term(moments: Sequence[dt.datetime | None], year: Year) -> dict[str, int]:
    """How many of ``moments`` fall in each term (a missing one in none)."""
    counts = dict.fromkeys((t for t, _ in TERMS), 0)
    for moment in moments:
        if moment is not None:
            counts[year.term_of_moment(moment)] += 1
    return counts


def gather(cluster: Any, user: Any, year: Year) -> list[Section]:
    """Every source's section, in the order of ``settings.YEAR_SOURCES``."""
    return [import_string(path)(cluster, user, year) for path in settings.YEAR_SOURCES]


@dataclass(frozen=True)
class TermStory:
    key: str
    name: str
    parts: list[tuple[Section, list[Line]]]
    #: The term has not begun yet (this year's later terms): "still to come", not "nothing".
    to_come: bool = False


def by_term(
    sections: Sequence[Section], year: Year, today: dt.date
) -> tuple[list[TermStory], list[tuple[Section, list[Line]]]]:
    """The page's shape: each term with each section's lines in it (sections with none
    left out), then what belongs to the whole year."""
    terms = [
        TermStory(
            key,
            name,
            [(s, s.in_term(key)) for s in sections if s.in_term(key)],
            to_come=year.term_starts(key) > today,
        )
        for key, name in TERMS
    ]
    whole = [(s, s.in_term("")) for s in sections if s.in_term("")]
    return terms, whole
