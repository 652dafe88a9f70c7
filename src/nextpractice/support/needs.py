"""What needs a person from life between meetings, for their home page
(``settings.NEEDS_YOU_SOURCES``): urgent help asked in their clusters, not yet answered."""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse

from nextpractice.accounts.models import User
from nextpractice.core.needs import LIMIT, Need

from .models import HelpRequest, Urgency


def urgent_help(user: User, clusters: Sequence[int]) -> list[Need]:
    """Urgent requests the person may see with no answer yet, newest first (one query)."""
    waiting = (
        HelpRequest.objects.visible_to(user)
        .filter(cluster_id__in=clusters, urgency=Urgency.URGENT)
        .filter(resolved_at=None, first_answer_at=None)
        .exclude(requester=user)
        .select_related("requester", "cluster")
        .order_by("-pk")[:LIMIT]
    )
    return [
        Need(
            link=reverse("help_detail", args=[h.pk]),
            link_text=h.title,
            text=f": {h.requester} ({h.cluster.name}) needs help",
            urgent=True,
        )
        for h in waiting
    ]
