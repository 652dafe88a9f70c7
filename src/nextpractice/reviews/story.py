"""What feedback and learning walks tell of a cluster's year ("Our year",
settings.YEAR_SOURCES). Counts for the cluster as a whole, never by member; each person
counts only the requests they may see (``visible_to``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from nextpractice.clusters.models import Cluster
from nextpractice.core.year import MAX_LINES, TERMS, Line, Section, Year, per_term, plural

from .models import Feedback, ReviewKind, ReviewRequest


def feedback(cluster: Cluster, user: Any, year: Year) -> Section:
    """Feedback asked for and given, as counts by term (two queries)."""
    start, end = year.bounds()
    asked = list(
        ReviewRequest.objects.in_cluster(user, cluster.pk)
        .exclude(kind=ReviewKind.WALK)
        .filter(created_at__gte=start, created_at__lt=end)
        .values_list("created_at", flat=True)
    )
    given = list(
        Feedback.objects.in_cluster(user, cluster.pk)
        .exclude(submitted_at=None)
        .filter(submitted_at__gte=start, submitted_at__lt=end)
        .values_list("submitted_at", flat=True)
    )
    asked_by_term, given_by_term = per_term(asked, year), per_term(given, year)
    lines = [
        Line(
            term,
            f"Feedback asked for {plural(asked_by_term[term], 'time')}, "
            f"{plural(given_by_term[term], 'piece')} of feedback given",
        )
        for term, _ in TERMS
        if asked_by_term[term] or given_by_term[term]
    ]
    summary = (
        f"Feedback asked for {plural(len(asked), 'time')} and given {plural(len(given), 'time')}"
        if asked or given
        else "No feedback asked for or given"
    )
    return Section("feedback", "Feedback given and received", summary, lines)


def learning_walks(cluster: Cluster, user: Any, year: Year) -> Section:
    """Each learning walk of the year (one query)."""
    start, end = year.bounds()
    walks = list(
        ReviewRequest.objects.in_cluster(user, cluster.pk)
        .filter(kind=ReviewKind.WALK, walk_starts_at__gte=start, walk_starts_at__lt=end)
        .order_by("walk_starts_at")[:MAX_LINES]
    )
    lines = []
    for walk in walks:
        if walk.walk_starts_at is None:  # pragma: no cover - filtered above
            continue
        day = timezone.localdate(walk.walk_starts_at)
        lines.append(
            Line(
                year.term_of(day),
                walk.title,
                link=reverse("review_detail", args=[walk.pk]),
                when=day,
            )
        )
    return Section(
        "walks",
        "Learning walks",
        plural(len(walks), "learning walk") if walks else "No learning walks",
        lines,
    )
