"""Who between-meeting news goes to. ``notify`` and preferences live in
``core.notifications`` (every feature app notifies); re-exported here for now."""

from __future__ import annotations

from nextpractice.accounts.models import User
from nextpractice.clusters.models import Cluster, Membership, Role
from nextpractice.core.notifications import (
    current_preferences,
    mark_all_read,
    mark_read,
    modes_for,
    notify,
    save_preferences,
    send_digests,
)

__all__ = [
    "current_preferences",
    "mark_all_read",
    "mark_read",
    "members_of",
    "modes_for",
    "notify",
    "save_preferences",
    "send_digests",
    "tell_cluster",
]


def members_of(cluster: Cluster, *, facilitator: bool = True) -> list[User]:
    """The people a cluster's news goes to: those who may read it now (current, agreed)."""
    found = Membership.objects.unscoped().agreed().filter(cluster=cluster)
    if not facilitator:
        found = found.filter(role=Role.MEMBER)
    return [m.user for m in found.select_related("user")]


def tell_cluster(
    cluster: Cluster, by: User, kind: str, text: str, what: str, title: str, link: str
) -> None:
    """Tell the rest of the cluster that a member shared something (research, an event,
    a funding opportunity)."""
    notify(
        [u for u in members_of(cluster) if u.pk != by.pk],
        cluster,
        kind,
        text,
        link,
        email=("emails/shared", {"what": what, "title": title, "by": by, "link": link}),
    )
