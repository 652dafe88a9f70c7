"""Learning walks in the cluster diary and in people's calendar feeds."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from nextpractice.directory.access import get_own_setting
from nextpractice.meetings.calendar import Entry

from .models import ReviewKind, ReviewRequest


def walks_for(user: Any, site_url: str) -> list[Entry]:
    """The learning walks this person is asked on (or hosts), in one query."""
    walks = (
        ReviewRequest.objects.visible_to(user)
        .filter(kind=ReviewKind.WALK, walk_starts_at__isnull=False)
        .select_related("requester__profile__setting")
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
