"""Learning walks in the cluster diary and in people's calendar feeds."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q
from django.urls import reverse

from nextpractice.clusters.models import Membership, Role
from nextpractice.directory.access import get_own_setting
from nextpractice.meetings.calendar import Entry

from .models import ReviewKind, ReviewRequest


def walks_for(user: Any, site_url: str) -> list[Entry]:
    """The learning walks this person is asked on (or hosts), in one query."""
    rows = Membership.objects.filter(
        user=user, left_at=None, ground_rules_agreed_version=F("cluster__ground_rules_version")
    ).values_list("cluster_id", "role")
    member_of = [c for c, role in rows if role == Role.MEMBER]
    facilitating = [c for c, role in rows if role == Role.FACILITATOR]
    walks = (
        ReviewRequest.objects.filter(
            kind=ReviewKind.WALK,
            walk_starts_at__isnull=False,
            cluster_id__in=member_of + facilitating,
        )
        .filter(
            Q(requester=user)
            | Q(audience=user)
            | Q(cluster_id__in=member_of, whole_cluster=True)
            | Q(cluster_id__in=facilitating, include_facilitator=True)
        )
        .select_related("requester__profile__setting")
        .distinct()
    )
    entries = []
    for walk in walks:
        if walk.walk_starts_at is None or walk.walk_ends_at is None:  # filtered above
            continue
        setting = get_own_setting(walk.requester)
        place = setting.address_line() if setting else ""
        entries.append(
            Entry(
                uid=f"walk-{walk.uid}",
                cluster_id=walk.cluster_id,
                starts_at=walk.walk_starts_at,
                ends_at=walk.walk_ends_at,
                title=f"Learning walk: {walk.title}",
                location=place,
                link=site_url + reverse("review_detail", args=[walk.pk]),
                created_at=walk.created_at,
                updated_at=walk.updated_at,
                sequence=walk.sequence,
            )
        )
    return entries
