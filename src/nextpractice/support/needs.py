"""What needs a person from life between meetings, for their home page
(``settings.NEEDS_YOU_SOURCES``): urgent help asked in their clusters, not yet answered;
a colleague new to headship who has no buddy yet."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Exists, OuterRef
from django.urls import reverse

from nextpractice.accounts.models import User
from nextpractice.clusters.models import Membership
from nextpractice.core.needs import LIMIT, Need
from nextpractice.core.words import possessive

from .models import Buddy, HelpRequest, NewHead, Urgency


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


def buddy_wanted(user: User, clusters: Sequence[int]) -> list[Need]:
    """Colleagues new to headship in the person's clusters with no buddy yet, for members
    proper (one query): an offer is a member's to make, never the facilitator's."""
    as_member = Membership.objects.of(user).agreed().members().values("cluster")
    waiting = (
        NewHead.objects.visible_to(user)
        .current()
        .filter(cluster_id__in=clusters, cluster__in=as_member)
        .exclude(user=user)
        .exclude(Exists(Buddy.objects.unscoped().current().filter(new_head=OuterRef("pk"))))
        .select_related("user", "cluster")
        .order_by("-since")[:LIMIT]
    )
    return [
        Need(
            link=reverse("new_heads", args=[n.cluster_id]),
            link_text=f"{n.user} is new to headship",
            text=f" ({n.cluster.name}): would you be {possessive(n.user.get_short_name())} buddy?",
        )
        for n in waiting
    ]
