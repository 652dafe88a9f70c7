"""What life between meetings tells of a cluster's year ("Our year",
settings.YEAR_SOURCES): help asked and given, events for the children, successes in their
own words. Counts are the cluster's; nobody is ranked."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Sum, Window
from django.urls import reverse
from django.utils import timezone

from nextpractice.clusters.models import Cluster
from nextpractice.core.year import MAX_LINES, TERMS, Line, Section, Year, per_term, plural

from .models import Event, HelpReply, HelpRequest, Success


def help_given(cluster: Cluster, user: Any, year: Year) -> Section:
    """The safety net by term: times help was asked for and answers given (two queries)."""
    start, end = year.bounds()
    asked = list(
        HelpRequest.objects.in_cluster(user, cluster.pk)
        .filter(created_at__gte=start, created_at__lt=end)
        .values_list("created_at", flat=True)
    )
    answers = list(
        HelpReply.objects.in_cluster(user, cluster.pk)
        .filter(created_at__gte=start, created_at__lt=end)
        .values_list("created_at", flat=True)
    )
    asked_by_term, answers_by_term = per_term(asked, year), per_term(answers, year)
    lines = [
        Line(
            term,
            f"Help asked for {plural(asked_by_term[term], 'time')}, "
            f"{plural(answers_by_term[term], 'answer')} given",
        )
        for term, _ in TERMS
        if asked_by_term[term] or answers_by_term[term]
    ]
    summary = (
        f"Help asked for {plural(len(asked), 'time')}, {plural(len(answers), 'answer')} given"
        if asked or answers
        else "No help asked for"
    )
    return Section("help", "Help given", summary, lines)


def events(cluster: Cluster, user: Any, year: Year) -> Section:
    """The year's events, children's first in the summary, with the numbers taking part
    (one query)."""
    start, end = year.bounds()
    found = list(
        Event.objects.in_cluster(user, cluster.pk)
        .filter(cancelled_at=None, starts_at__gte=start, starts_at__lt=end)
        .annotate(
            settings_taking_part=Count("participations"), children=Sum("participations__children")
        )
        .select_related("served_aim")
        .order_by("starts_at")[:MAX_LINES]
    )
    lines = []
    for event in found:
        day = timezone.localdate(event.starts_at)
        who = [
            name
            for name, yes in (
                ("children", event.for_children),
                ("staff", event.for_staff),
                ("families", event.for_families),
            )
            if yes
        ]
        detail = f"for {', '.join(who)}" if who else event.get_kind_display()
        taking_part = event.settings_taking_part  # type: ignore[attr-defined]
        if taking_part:
            detail += f"; {plural(taking_part, 'setting')} taking part"
        if event.children:  # type: ignore[attr-defined]
            detail += f", {plural(event.children, 'child', 'children')}"  # type: ignore[attr-defined]
        if event.served_aim is not None:
            detail += f"; towards our aim: {event.served_aim.title}"
        lines.append(
            Line(
                year.term_of(day),
                event.title,
                link=reverse("event_detail", args=[event.pk]),
                detail=detail,
                when=day,
            )
        )
    for_children = sum(1 for e in found if e.for_children)
    summary = (
        f"{plural(len(found), 'event')}, {for_children} for the children" if found else "No events"
    )
    return Section("events", "Events for the children, and training", summary, lines)


def successes(cluster: Cluster, user: Any, year: Year) -> Section:
    """The year's successes in their own words, newest last in each term (one query)."""
    start, end = year.bounds()
    in_year = Success.objects.in_cluster(user, cluster.pk).filter(
        created_at__gte=start, created_at__lt=end
    )
    # The year's total rides on each row (a window over the whole year, counted before the
    # slice): one query however many there are.
    found = list(
        in_year.select_related("aim")
        .annotate(year_total=Window(Count("pk")))
        .order_by("created_at")[:MAX_LINES]
    )
    total = found[0].year_total if found else 0  # type: ignore[attr-defined]
    lines = [
        Line(
            year.term_of_moment(s.created_at),
            s.text,
            markdown=True,
            detail=f"Towards our aim: {s.aim.title}" if s.aim else "",
        )
        for s in found
    ]
    return Section(
        "successes",
        "Successes",
        f"{plural(total, 'success', 'successes')} recorded",
        lines,
        more=total - len(lines),
        more_link=reverse("successes", args=[cluster.pk]),
    )
