"""What needs a person from reviews, for their home page (``settings.NEEDS_YOU_SOURCES``):
feedback asked of them and not yet sent, and feedback that has arrived on their own
requests. One query each, within the person's own clusters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.core.needs import LIMIT, Need

from .models import Feedback, ReviewRequest

#: Feedback sent within this many days is news on the requester's home page.
ARRIVED_WITHIN = dt.timedelta(days=14)


def feedback_asked(user: User, clusters: Sequence[int]) -> list[Need]:
    """Open requests the person is asked to answer and has not answered, soonest wanted
    first."""
    # Unscoped: the person's own feedback, on requests ReviewRequest.visible_to gave them.
    sent = Feedback.objects.unscoped().filter(
        request=OuterRef("pk"), reviewer=user, submitted_at__isnull=False
    )
    asked = (
        ReviewRequest.objects.visible_to(user)
        .filter(cluster_id__in=clusters, closed_at=None)
        .exclude(requester=user)
        .exclude(Exists(sent))
        .select_related("requester")
        .order_by("feedback_by", "pk")[:LIMIT]
    )
    return [
        Need(
            link=reverse("review_detail", args=[r.pk]),
            link_text=f"Feedback for {r.requester}: {r.title}",
            due=r.feedback_by,
        )
        for r in asked
    ]


def feedback_arrived(user: User, clusters: Sequence[int]) -> list[Need]:
    """The person's own open requests on which feedback arrived lately."""
    since = timezone.now() - ARRIVED_WITHIN
    recent = Q(feedback__submitted_at__gte=since)
    mine = (
        ReviewRequest.objects.visible_to(user)
        .filter(cluster_id__in=clusters, requester=user, closed_at=None)
        .annotate(arrived=Count("feedback", filter=recent), last=Max("feedback__submitted_at"))
        .filter(arrived__gt=0)
        .order_by("-last")[:LIMIT]
    )
    return [
        Need(
            link=reverse("review_detail", args=[r.pk]),
            link_text=f"Feedback on {r.title}",
            # "arrived": the annotation above, which the type checker cannot see.
            text=f": {r.arrived} sent in the last two weeks",  # type: ignore[attr-defined]
        )
        for r in mine
    ]
