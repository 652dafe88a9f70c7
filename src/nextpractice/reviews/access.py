"""One answer to "may this person see this review?". Every review view goes through here.

Only the audience sees a request and its feedback: the requester, the whole cluster or the
members chosen, and the facilitator only when invited. Everyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from nextpractice.clusters.models import Membership

from .models import ReviewRequest


def get_review_for(user: Any, review_id: int) -> tuple[ReviewRequest, Membership]:
    if not user.is_authenticated:
        raise Http404("No such review")
    review = (
        ReviewRequest.objects.select_related("cluster", "requester", "checklist")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        raise Http404("No such review")
    membership = (
        Membership.objects.select_related("cluster")
        .filter(cluster_id=review.cluster_id, user=user, left_at=None)
        .first()
    )
    if membership is None or not membership.has_agreed:
        raise Http404("No such review")
    if not ReviewRequest.objects.visible_to(user, review.cluster_id).filter(pk=review.pk).exists():
        raise Http404("No such review")
    return review, membership
