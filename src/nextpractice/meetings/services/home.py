"""The person's own meetings and actions for their home page: what needs them (an answer
not given, actions due) and what is coming up. Each reads only the person's own clusters
(their ids given by the page) and their deputy meetings, with a fixed number of queries,
so the page costs the same in a network of 20 settings or 2,000."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.core.needs import LIMIT, Need

from ..models import Action, Attendance, Meeting, MeetingStatus, Response

#: Actions due within this many days (or overdue) need the person now.
ACTIONS_DUE_WITHIN = dt.timedelta(days=14)


def upcoming_for(
    user: User, limit: int = 5, clusters: Sequence[int] | None = None
) -> list[Meeting]:
    """The person's next diarised meetings, as members or deputies. Narrowed first to the
    person's own clusters and deputy meetings by id, so the database looks at those
    clusters' meetings, not at every future meeting in the network."""
    if clusters is None:
        clusters = list(
            Meeting.objects.visible_to(user).values_list("cluster_id", flat=True).distinct()
        )
    # The person's own deputy answers (by the index on deputy), usually none; unscoped as
    # a narrowing only: the meetings read are still Meeting.visible_to's.
    deputising = (
        Attendance.objects.unscoped()
        .filter(deputy=user, response=Response.DEPUTY)
        .values("meeting_id")
    )
    return list(
        Meeting.objects.visible_to(user)
        .filter(Q(cluster_id__in=clusters) | Q(pk__in=deputising))
        .filter(status=MeetingStatus.SCHEDULED, starts_at__gte=timezone.now())
        .select_related("cluster", "host_setting")
        .order_by("starts_at")[:limit]
    )


def answers_due(user: User, clusters: Sequence[int]) -> list[Need]:
    """Each cluster's next meeting, where the person has not said whether they are coming."""
    # Unscoped: the person's own answer, for a meeting Meeting.visible_to already gave them.
    answered = (
        Attendance.objects.unscoped()
        .filter(meeting=OuterRef("pk"), member=user)
        .exclude(response="")
    )
    # The next few meetings of the person's clusters (a handful: the membership rules cap
    # how many clusters one person is in), the first of each cluster kept.
    seen: set[int] = set()
    meetings: list[Meeting] = []
    for m in (
        Meeting.objects.in_clusters(user, clusters)
        .filter(status=MeetingStatus.SCHEDULED)
        .filter(starts_at__gte=timezone.now())
        .select_related("cluster")
        .annotate(answered=Exists(answered))
        .order_by("starts_at")[: 3 * len(clusters)]
    ):
        if m.cluster_id not in seen:
            seen.add(m.cluster_id)
            meetings.append(m)
    return [
        Need(
            link=reverse("meeting_detail", args=[m.pk]) + "#answer",
            link_text=f"Say whether you are coming to {m.cluster.name}",
            text=f" on {m.local_start:%A %-d %B} at {m.local_start:%H:%M}",
            due=m.local_start.date(),
        )
        for m in meetings
        if not m.answered  # type: ignore[attr-defined]
    ][:LIMIT]


def actions_due(user: User, clusters: Sequence[int]) -> list[Need]:
    """The person's own open actions due within two weeks, or overdue, soonest first."""
    today = timezone.localdate()
    due = list(
        Action.objects.visible_to(user)
        .open()
        .filter(cluster_id__in=clusters, owner=user, due__lte=today + ACTIONS_DUE_WITHIN)
        .select_related("cluster")
        .order_by("due", "pk")[:LIMIT]
    )
    return [
        Need(
            link=reverse("my_actions"),
            link_text=a.title,
            text=f" ({a.cluster.name}){' is overdue' if a.due and a.due < today else ''}",
            due=a.due,
        )
        for a in due
    ]
