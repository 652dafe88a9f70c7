"""One answer to "may this person see this cluster, and do this in it?".

Every cluster view goes through here. Outsiders (another cluster's members, the area's
coordinator, the researcher, a former member) get 404: never a hint that the cluster
exists. A current member who lacks a right gets 403. What a member may do is a named
capability of ``ClusterAccess``, asked by views and templates alike, so the rule is written
once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import Http404

from nextpractice.core.forms import is_id

from .models import Aim, Cluster, JoinRequest, Membership, RemovalProposal, current_memberships

M = TypeVar("M")


@dataclass(frozen=True)
class ClusterAccess:
    """What ``user`` may do in ``cluster``, from their current membership."""

    cluster: Cluster
    membership: Membership
    user: Any

    @property
    def user_id(self) -> int:
        return self.membership.user_id

    @property
    def has_agreed(self) -> bool:
        return self.membership.has_agreed

    # Nobody reads cluster content, nor acts in it, before agreeing the ground rules as
    # they stand now: a change to the rules asks everyone again.
    @property
    def can_read(self) -> bool:
        return self.membership.has_agreed

    @property
    def can_agree(self) -> bool:
        return not self.membership.has_agreed

    @property
    def can_invite(self) -> bool:
        return self.can_read

    @property
    def can_edit_ground_rules(self) -> bool:
        # Members meet as equals: any agreed member or the facilitator may propose new words,
        # and everyone else is then asked to agree again.
        return self.can_read

    @property
    def can_rename(self) -> bool:
        # The cluster's name is the members' own: a round proposes one from the place, and
        # any agreed member may change it (everyone sees who did).
        return self.can_read

    @property
    def can_propose_removal(self) -> bool:
        return self.can_read

    def can_propose_removal_of(self, user_id: int) -> bool:
        """Anyone but oneself (to go, one leaves)."""
        return self.can_propose_removal and user_id != self.user_id

    @property
    def can_vote(self) -> bool:
        return self.can_read

    def can_vote_on(self, proposal: RemovalProposal) -> bool:
        """Every other member decides; the person proposed for removal does not."""
        return self.can_vote and proposal.subject_id != self.user_id

    @property
    def can_decide_join(self) -> bool:
        return self.can_read

    @property
    def can_see_activity(self) -> bool:
        return self.can_read

    @property
    def can_use_library(self) -> bool:
        """The example library is the members' own, not the facilitator's (documents reach
        a facilitator only where shared with them: reviews' ``Exemplar.objects``)."""
        return self.can_read and not self.membership.is_facilitator

    @property
    def can_edit_aims(self) -> bool:
        # Equals: any agreed member, or the facilitator, proposes and changes the cluster's
        # aims; every change is in the activity log.
        return self.can_read

    @property
    def can_read_the_year(self) -> bool:
        return self.can_read

    @property
    def can_leave(self) -> bool:
        # Leaving is always open to a current member, agreed or not.
        return True


def get_membership_for(user: Any, cluster_id: int) -> Membership:
    """The user's current membership of the cluster, or 404."""
    if not getattr(user, "is_authenticated", False) or not is_id(cluster_id):
        raise Http404("No such cluster")
    # The person's own few memberships, read once for the whole request (every later read
    # of the cluster's content then filters on the clusters they read, by id).
    wanted = int(cluster_id)
    membership = next((m for m in current_memberships(user) if m.cluster_id == wanted), None)
    if membership is None:
        raise Http404("No such cluster")
    return membership


def get_access_for(user: Any, cluster_id: int) -> ClusterAccess:
    """The access object of a current member (agreed or not); 404 for anyone else."""
    membership = get_membership_for(user, cluster_id)
    return ClusterAccess(membership.cluster, membership, user)


def require(allowed: bool, reason: str) -> None:
    """403 with the reason when a member lacks a right."""
    if not allowed:
        raise PermissionDenied(reason)


def get_cluster_for(
    user: Any, cluster_id: int, *, agreed: bool = True
) -> tuple[Cluster, Membership]:
    """The cluster and the user's membership, for reading its content.

    With ``agreed`` (the default) a member who has not yet agreed to the ground rules is
    refused: no one sees cluster content before agreeing.
    """
    access = get_access_for(user, cluster_id)
    if agreed:
        require(access.can_read, "Agree to the cluster's ground rules first")
    return access.cluster, access.membership


def get_proposal_for(access: ClusterAccess, proposal_id: int) -> RemovalProposal:
    """An open or decided proposal of this cluster, or 404."""
    return get_in_cluster(
        RemovalProposal, access.user, access.cluster.pk, proposal_id, "No such proposal"
    )


def get_join_request_for(access: ClusterAccess, request_id: int) -> JoinRequest:
    return get_in_cluster(
        JoinRequest, access.user, access.cluster.pk, request_id, "No such request"
    )


def get_aim_for(access: ClusterAccess, aim_id: int) -> Aim:
    return get_in_cluster(Aim, access.user, access.cluster.pk, aim_id, "No such aim")


def get_in_cluster(model: type[M], user: Any, cluster_id: int, pk: Any, missing: str) -> M:
    """One of a cluster's ``model`` rows by id, read as ``user`` may read it, or 404."""
    rows: Any = model.objects  # type: ignore[attr-defined]
    found = rows.in_cluster(user, cluster_id).filter(pk=pk).first() if is_id(pk) else None
    if found is None:
        raise Http404(missing)
    return found
