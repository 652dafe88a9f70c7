"""What the meetings app tells of a cluster's year ("Our year", settings.YEAR_SOURCES):
the meetings held, with attendance as counts, and the actions completed. Counts only:
nobody's attendance or actions are set against another's."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from nextpractice.clusters.models import Cluster
from nextpractice.core.year import MAX_LINES, TERMS, Line, Section, Year, per_term, plural

from .models import Action, ActionStatus, Mark, Meeting, MeetingStatus, PlaceKind


def _where(meeting: Meeting) -> str:
    if meeting.place_kind == PlaceKind.ONLINE:
        return "Meeting online"
    if meeting.host_setting is not None and meeting.place_kind == PlaceKind.ROTATING:
        return f"Meeting at {meeting.host_setting.name}"
    return "Meeting"


def meetings_held(cluster: Cluster, user: Any, year: Year) -> Section:
    """Each meeting held in the year, with how many were there (one query)."""
    start, end = year.bounds()
    now = timezone.now()
    there = Q(attendances__mark__in=[Mark.ATTENDED, Mark.DEPUTISED])
    meetings = list(
        Meeting.objects.in_cluster(user, cluster.pk)
        .filter(status=MeetingStatus.SCHEDULED, starts_at__gte=start, starts_at__lt=end)
        .annotate(
            there=Count("attendances", filter=there),
            deputised=Count("attendances", filter=Q(attendances__mark=Mark.DEPUTISED)),
            apologies=Count("attendances", filter=Q(attendances__mark=Mark.APOLOGIES)),
        )
        .select_related("host_setting")
        .order_by("starts_at")[:MAX_LINES]
    )
    held = [m for m in meetings if m.starts_at < now]
    lines = []
    for m in held:
        day = timezone.localdate(m.starts_at)
        if m.register_taken_at is None:
            detail = "no register taken"
        else:
            detail = plural(m.there, "person", "people") + " there"  # type: ignore[attr-defined]
            if m.deputised:  # type: ignore[attr-defined]
                detail += f" ({m.deputised} by a deputy)"  # type: ignore[attr-defined]
            if m.apologies:  # type: ignore[attr-defined]
                detail += f", {plural(m.apologies, 'apology', 'apologies')}"  # type: ignore[attr-defined]
        lines.append(
            Line(
                year.term_of(day),
                _where(m),
                link=reverse("meeting_detail", args=[m.pk]),
                detail=detail,
                when=day,
            )
        )
    summary = f"{plural(len(held), 'meeting')} held" if held else "No meetings held"
    if len(meetings) > len(held):
        summary += f", {len(meetings) - len(held)} more diarised"
    return Section("meetings", "Meetings", summary, lines)


def actions_completed(cluster: Cluster, user: Any, year: Year) -> Section:
    """How many actions the cluster completed each term (one query)."""
    start, end = year.bounds()
    closed = list(
        Action.objects.in_cluster(user, cluster.pk)
        .filter(status=ActionStatus.DONE, closed_at__gte=start, closed_at__lt=end)
        .values_list("closed_at", flat=True)
    )
    counts = per_term(closed, year)
    lines = [
        Line(term, f"{plural(counts[term], 'action')} completed")
        for term, _ in TERMS
        if counts[term]
    ]
    summary = f"{plural(len(closed), 'action')} completed" if closed else "No actions completed"
    return Section("actions", "Actions", summary, lines)
