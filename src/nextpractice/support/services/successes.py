"""Successes and shout-outs, and what a leader has achieved over a term or a year."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Aim, Cluster, Membership
from nextpractice.core.mail import queue_email
from nextpractice.meetings.models import Action, ActionStatus, Meeting, MeetingStatus
from nextpractice.reviews.models import FocusAnswer, ReviewRequest

from ..models import AchievementEmail, Event, Kind, Success, term_key
from .errors import SupportError, create_once
from .notifications import notify


@transaction.atomic
def record_success(
    cluster: Cluster, by: User, about: User, text: str, *, once_key: str = "", **links: Any
) -> Success:
    if not text.strip():
        raise SupportError("Write what happened.")
    if (
        about.pk != by.pk
        and not Membership.objects.unscoped().agreed().filter(cluster=cluster, user=about).exists()
    ):
        raise SupportError("A shout-out goes to a member of the cluster.")
    summary = f"{by} gave {about} a shout-out" if about.pk != by.pk else f"{by} recorded a success"

    def create() -> Success:
        success = Success.objects.create(
            cluster=cluster, author=by, about=about, text=text.strip(), **links
        )
        if about.pk != by.pk:
            notify(
                [about],
                cluster,
                Kind.SUCCESS,
                f"{by} gave you a shout-out",
                reverse("achievements"),
                email=("emails/shout_out", {"by": by, "success": success}),
            )
        record(by, "success.recorded", success, summary, cluster)
        return success

    return create_once(by, once_key, Success, create, cluster_id=cluster.pk)


def successes_since_last_meeting(meeting: Meeting) -> list[Success]:
    """For the agenda's standing item: successes recorded since the previous meeting. The
    meeting was reached through its own access rule; this reads its cluster for it."""
    previous = (
        Meeting.objects.unscoped()
        .filter(
            cluster_id=meeting.cluster_id,
            status=MeetingStatus.SCHEDULED,
            starts_at__lt=meeting.starts_at,
        )
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    found = Success.objects.unscoped().filter(
        cluster_id=meeting.cluster_id, created_at__lt=meeting.starts_at
    )
    if previous is not None:
        found = found.filter(created_at__gte=previous)
    return list(found.select_related("author", "about")[:50])


def achievements(user: User, since: dt.date) -> dict[str, Any]:
    """What the person has achieved since a date: their successes, shout-outs received,
    actions completed, and strengths colleagues named in feedback, from the clusters they
    may read now. No counts compared."""
    start = timezone.make_aware(dt.datetime.combine(since, dt.time()))
    successes = list(
        Success.objects.visible_to(user)
        .filter(about=user, created_at__gte=start)
        .select_related("author", "cluster")
    )
    return {
        "own": [s for s in successes if not s.is_shout_out],
        "shout_outs": [s for s in successes if s.is_shout_out],
        "actions": list(
            Action.objects.visible_to(user)
            .filter(owner=user, status=ActionStatus.DONE, closed_at__gte=start)
            .select_related("cluster")
            .order_by("-closed_at")
        ),
        "strengths": list(
            FocusAnswer.objects.visible_to(user)
            .filter(
                feedback__request__requester=user,
                feedback__submitted_at__gte=start,
            )
            .exclude(strengths="")
            .select_related("feedback__reviewer", "focus", "feedback__request")
            .order_by("-feedback__submitted_at")
        ),
    }


def term_start(day: dt.date) -> dt.date:
    key = term_key(day).split("-")[1]
    year = day.year
    if key == "autumn":
        return dt.date(year, 9, 1)
    if key == "spring":
        return dt.date(year, 1, 1)
    return dt.date(year, 4, 1)


def send_termly_achievements(now: dt.datetime | None = None) -> int:
    """In the last week of each term (December, March, July), each leader's "What you've
    achieved" email, once per term."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last_weeks = {12: 14, 3: 22, 7: 14}  # the day of the month from which it goes
    if today.month not in last_weeks or today.day < last_weeks[today.month]:
        return 0
    term = term_key(today)
    since = term_start(today)
    sent = 0
    leaders = User.objects.filter(
        pk__in=Membership.objects.unscoped().current().members().values("user"), is_active=True
    )
    for user in leaders.exclude(
        pk__in=AchievementEmail.objects.filter(term=term).values("user_id")
    ):
        with transaction.atomic():
            _, made = AchievementEmail.objects.get_or_create(user=user, term=term)
            if not made:
                continue
            found = achievements(user, since)
            queue_email(
                user.email, "emails/achievements", {"person": user, "since": since, **found}
            )
            sent += 1
    return sent


def success_links(cluster: Cluster, user: User) -> dict[str, tuple[str, dict[str, Any]]]:
    """What a success can point to: the person's completed actions, their review requests,
    the cluster's events, and the aims it is working on."""
    links: dict[str, tuple[str, dict[str, Any]]] = {}
    actions = Action.objects.in_cluster(user, cluster.pk)
    for action in actions.filter(owner=user, status=ActionStatus.DONE)[:20]:
        links[f"action-{action.pk}"] = (f"Action done: {action.title}", {"action": action})
    reviews = ReviewRequest.objects.in_cluster(user, cluster.pk)
    for review in reviews.filter(requester=user)[:20]:
        links[f"review-{review.pk}"] = (f"Feedback on: {review.title}", {"review": review})
    for event in Event.objects.in_cluster(user, cluster.pk).order_by("-starts_at")[:20]:
        links[f"event-{event.pk}"] = (f"Event: {event.title}", {"event": event})
    for aim in Aim.objects.in_cluster(user, cluster.pk).open():
        links[f"aim-{aim.pk}"] = (f"Our aim: {aim.title}", {"aim": aim})
    return links
