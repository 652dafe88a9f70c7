"""One answer to "may this person see this cluster?". Every cluster view goes through here.

Outsiders get 404 (never a hint that the cluster exists); members who lack a right get 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Cluster, Membership


def get_membership_for(user: Any, cluster_id: int) -> Membership:
    """The user's current membership of the cluster, or 404."""
    if not user.is_authenticated:
        raise Http404("No such cluster")
    membership = (
        Membership.objects.select_related("cluster", "cluster__area")
        .filter(cluster_id=cluster_id, user=user, left_at=None)
        .first()
    )
    if membership is None:
        raise Http404("No such cluster")
    return membership


def get_cluster_for(
    user: Any, cluster_id: int, *, agreed: bool = True
) -> tuple[Cluster, Membership]:
    """The cluster and the user's membership, for reading its content.

    With ``agreed`` (the default) a member who has not yet agreed to the ground rules is
    refused: no one sees cluster content before agreeing.
    """
    membership = get_membership_for(user, cluster_id)
    if agreed and not membership.has_agreed:
        raise PermissionDenied("Agree to the cluster's ground rules first")
    return membership.cluster, membership
