"""Telling people: who hears about a meeting, and the one way they are told.

Only the cluster's agreed members and facilitator (``Membership.objects.agreed()``) and the
meeting's own deputies are ever addressed: an email is a read of cluster content too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from nextpractice.accounts.models import User
from nextpractice.clusters.models import Cluster, Membership
from nextpractice.core.mail import queue_email
from nextpractice.core.notifications import notify

from ..models import Meeting, Response
from .agenda import CLUSTER_WIDE


def audience(cluster: Cluster) -> list[Membership]:
    """Members and facilitators who have agreed to the ground rules (they see content)."""
    return list(cluster.memberships.agreed().select_related("user", "cluster"))


def deputies(meeting: Meeting, agreed: set[int] | None = None) -> list[tuple[User, User]]:
    """(deputy, the member they stand in for) for each deputy named for the meeting, while
    the member who sent them is still an agreed member (as ``Meeting.visible_to`` says).
    ``agreed``: the agreed members' ids, when the caller has them already."""
    if agreed is None:
        agreed = {m.user_id for m in audience(meeting.cluster)}
    return [
        (a.deputy, a.member)
        for a in meeting.attendances.filter(response=Response.DEPUTY).select_related(
            "deputy", "member"
        )
        if a.deputy is not None and a.member_id in agreed
    ]


def tell_everyone(
    meeting: Meeting,
    template: str,
    context: dict[str, Any],
    *,
    kind: str | None = None,
    text: str = "",
    personal: Any = None,
) -> None:
    """Email every member and every deputy of this meeting. With ``kind``, members are told
    through a notice instead, emailed as each prefers (reminders and agendas are not news:
    they have none); a deputy has no notices page, so the email is how they hear."""
    members = audience(meeting.cluster)
    if kind is None:
        for membership in members:
            queue_email(
                membership.user.email,
                template,
                {
                    **context,
                    "person": membership.user,
                    "meeting": meeting,
                    "cluster": meeting.cluster,
                },
            )
    else:
        notify(
            [m.user for m in members],
            meeting.cluster,
            kind,
            text,
            reverse("meeting_detail", args=[meeting.pk]),
            email=(template, {**context, "meeting": meeting}),
            personal=personal,
        )
    # A deputy's copy leaves out what is the cluster's rather than this meeting's.
    own = {k: v for k, v in context.items() if k not in (*CLUSTER_WIDE, *settings.AGENDA_SOURCES)}
    for deputy, member in deputies(meeting, {m.user_id for m in members}):
        queue_email(
            deputy.email,
            template,
            {
                **own,
                "person": deputy,
                "meeting": meeting,
                "cluster": meeting.cluster,
                "deputy_for": member,
            },
        )
