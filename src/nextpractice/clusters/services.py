"""Workflows over clusters: starting, inviting, joining, leaving, removing a member."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from nextpractice.accounts.models import Invitation, User
from nextpractice.audit.models import record
from nextpractice.core.mail import queue_email
from nextpractice.core.words import possessive
from nextpractice.directory import services as directory_services
from nextpractice.directory.access import get_own_setting
from nextpractice.directory.models import Area

from .models import (
    Cluster,
    ClusterStatus,
    JoinRequest,
    Membership,
    RemovalProposal,
    RemovalVote,
    Role,
)


def _membership_ended(membership: Membership) -> None:
    """Tell the apps above (``settings.MEMBERSHIP_ENDED``) that a membership ended, in the
    same transaction: what hung on it there (a buddy, being new) ends with it."""
    for path in settings.MEMBERSHIP_ENDED:
        import_string(path)(membership)


class ClusterError(Exception):
    """A workflow step that cannot happen; the message is shown to the person."""


# A leader belongs to a handful of clusters at most: more is a sign of misuse (or of an
# account used to look inside many), and nobody can keep up with more. Facilitators, who
# are invited to facilitate, are not counted.
MAX_MEMBERSHIPS = 5


def _check_membership_cap(user: User) -> None:
    held = Membership.objects.of(user).current().members().count()
    if held >= MAX_MEMBERSHIPS:
        raise ClusterError(
            f"You are already a member of {held} clusters, the most one person can be in. "
            "Leave one first."
        )


def check_can_start(user: User) -> Area:
    """The area a leader may start a cluster in, or ClusterError with the reason.

    Clusters are bounded: only a leader whose link to a setting is established (by the
    coordinator) starts one, in that setting's area; one forming cluster of theirs at a
    time; and within the cap on memberships.
    """
    setting = get_own_setting(user)
    if setting is None:
        raise ClusterError(
            "Only a leader whose setting is confirmed by the area's coordinator can start a "
            "cluster. Say which setting you lead on your profile first."
        )
    if Cluster.objects.filter(created_by=user, status=ClusterStatus.FORMING).exists():
        raise ClusterError(
            "You have started a cluster that is still forming: invite leaders to it before "
            "starting another."
        )
    _check_membership_cap(user)
    return setting.area


@transaction.atomic
def start_cluster(user: User, name: str) -> Cluster:
    area = check_can_start(user)
    cluster = Cluster.objects.create(name=name, area=area, created_by=user)
    membership = Membership(cluster=cluster, user=user, role=Role.MEMBER)
    membership.agree()
    membership.save()
    record(user, "cluster.started", cluster, f"{user} started the cluster", cluster)
    return cluster


def places_left(cluster: Cluster) -> int:
    taken = cluster.member_count() + cluster.invitations.pending().filter(role=Role.MEMBER).count()
    return cluster.area.max_cluster_size - taken


def who_is_in(cluster: Cluster) -> list[dict[str, str]]:
    """Who an invited leader would join: the first name and setting of each member who has
    agreed the ground rules (no surname, no email: the invitation may be forwarded). A
    childminder's setting is shown by its published name, which names no one."""
    found = (
        Membership.objects.unscoped()  # told to the invited person, who is not in it yet
        .agreed()
        .filter(cluster=cluster)
        .select_related("user__profile__setting")
        .order_by("role", "user__full_name")
    )
    people = []
    for membership in found:
        profile = getattr(membership.user, "profile", None)
        setting = profile.setting if profile is not None else None
        people.append(
            {
                "name": membership.user.get_short_name(),
                "setting": str(setting) if setting is not None else "",
                "role": "facilitator" if membership.role == Role.FACILITATOR else "",
            }
        )
    return people


@transaction.atomic
def invite(
    cluster: Cluster,
    by: User,
    email: str,
    role: str = Role.MEMBER,
    message: str = "",
    why: Sequence[str] = (),
) -> Invitation:
    """Invite ``email`` to the cluster. ``why``: sentences telling the invited leader why
    this cluster (a formation round's reasons), written into the email."""
    email = email.strip().lower()
    # Serialise invitations to one cluster so that two at once cannot overfill it.
    Cluster.objects.select_for_update().filter(pk=cluster.pk).first()
    if cluster.memberships.current().filter(user__email__iexact=email).exists():
        raise ClusterError(f"{email} is already in this cluster.")
    if cluster.invitations.pending().filter(email=email).exists():
        raise ClusterError(f"{email} has already been invited and has not answered yet.")
    if role == Role.MEMBER and places_left(cluster) <= 0:
        raise ClusterError(
            f"This cluster is full: at most {cluster.area.max_cluster_size} members, "
            "counting invitations not yet answered."
        )
    invitation, token = Invitation.issue(
        email, invited_by=by, cluster=cluster, area=cluster.area, role=role, message=message
    )
    queue_email(
        email,
        "emails/cluster_invitation",
        {
            "invitation": invitation,
            "cluster": cluster,
            "inviter": by,
            "token": token,
            "why": list(why),
            "members": who_is_in(cluster),
            # Greeted by name when they already have an account; otherwise we know no name.
            "person": User.objects.filter(email__iexact=email).first(),
        },
        forget_body=True,
        report_to=by,  # told if it never arrives
    )
    record(by, "invitation.sent", invitation, f"{by} invited a new {role}", cluster)
    return invitation


def already_joined(invitation: Invitation, user: Any) -> Membership | None:
    """The membership an accepted invitation made, when ``user`` is the one invited and
    still in the cluster: a second "accept" (a double click, the email's link again) is
    then a calm "you are in", not an error."""
    if (
        invitation.used_at is None
        or invitation.cluster_id is None
        or not getattr(user, "is_authenticated", False)
        or user.email.lower() != invitation.email.lower()
    ):
        return None
    # The person's own membership, looked up before they may have agreed the ground rules.
    return (
        Membership.objects.unscoped()
        .current()
        .filter(cluster_id=invitation.cluster_id, user=user)
        .first()
    )


@transaction.atomic
def accept(invitation: Invitation, user: User) -> Membership | None:
    """The invited person (already signed in as the invited address) accepts."""
    if user.email.lower() != invitation.email.lower():
        raise ClusterError("This invitation was sent to a different email address.")
    cluster = invitation.cluster
    if cluster is not None:
        Cluster.objects.select_for_update().filter(pk=cluster.pk).first()
        if cluster.status == ClusterStatus.CLOSED:
            raise ClusterError("This cluster has closed.")
        if (
            invitation.role == Role.MEMBER
            and cluster.member_count() >= cluster.area.max_cluster_size
        ):
            raise ClusterError("This cluster is already full.")
        if invitation.role == Role.MEMBER:
            _check_membership_cap(user)
    if not invitation.claim():
        raise ClusterError("This invitation has already been used or has expired.")
    if invitation.setting_id is not None:
        link_setting_by_invitation(user, invitation)
    if cluster is None:
        record(user, "invitation.accepted", invitation, f"{user} joined Next Practice")
        return None
    try:
        with transaction.atomic():
            membership = Membership.objects.create(cluster=cluster, user=user, role=invitation.role)
    except IntegrityError:
        raise ClusterError("You are already a member of this cluster.") from None
    record(user, "membership.joined", membership, f"{user} joined the cluster", cluster)
    return membership


@transaction.atomic
def decline(invitation: Invitation) -> None:
    now = timezone.now()
    if (
        not Invitation.objects.unscoped()
        .filter(pk=invitation.pk, used_at=None, declined_at=None)
        .update(declined_at=now)
    ):
        raise ClusterError("This invitation has already been answered.")
    record(
        None, "invitation.declined", invitation, "An invitation was declined", invitation.cluster
    )


@transaction.atomic
def agree_ground_rules(membership: Membership) -> bool:
    """Agree the ground rules as they stand. A second agreement (a double click, the back
    button) changes nothing and records nothing: False says it was already done."""
    # Locked so two submissions at once agree, and audit, once.
    current = (
        Membership.objects.unscoped()  # the person's own membership, given by the view
        .select_for_update()
        .select_related("cluster")
        .get(pk=membership.pk)
    )
    if current.has_agreed:
        return False
    membership.agree()
    membership.save(update_fields=list(Membership.AGREEMENT_FIELDS))
    record(
        membership.user,
        "ground_rules.agreed",
        membership,
        f"{membership.user} agreed the ground rules",
        membership.cluster,
    )
    return True


@transaction.atomic
def change_ground_rules(cluster: Cluster, by: User, text: str) -> None:
    cluster.ground_rules = text
    cluster.ground_rules_version += 1
    cluster.save(update_fields=["ground_rules", "ground_rules_version"])
    # The one who changed them has agreed to their own words; everyone else is asked again.
    cluster.memberships.current().filter(user=by).agree_to(cluster.ground_rules_version)
    # Everyone else loses access until they agree again: tell them why, and where.
    for member in cluster.memberships.current().exclude(user=by).select_related("user"):
        queue_email(
            member.user.email,
            "emails/ground_rules_changed",
            {"cluster": cluster, "person": member.user, "changed_by": by},
        )
    record(by, "ground_rules.changed", cluster, f"{by} changed the ground rules", cluster)


@transaction.atomic
def leave(membership: Membership) -> None:
    membership.left_at = timezone.now()
    membership.left_reason = "left"
    membership.save(update_fields=["left_at", "left_reason"])
    RemovalProposal.objects.unscoped().filter(
        cluster=membership.cluster, subject=membership.user, state=RemovalProposal.OPEN
    ).update(state=RemovalProposal.WITHDRAWN, decided_at=timezone.now())
    _membership_ended(membership)
    record(
        membership.user,
        "membership.left",
        membership,
        f"{membership.user} left the cluster",
        membership.cluster,
    )


def other_members(proposal: RemovalProposal) -> list[Membership]:
    return list(
        proposal.cluster.memberships.current()
        .exclude(user=proposal.subject_id)
        .select_related("user")
    )


@transaction.atomic
def propose_removal(cluster: Cluster, by: User, subject: User, reason: str) -> RemovalProposal:
    if by.pk == subject.pk:
        raise ClusterError("To leave the cluster, use Leave instead.")
    if not cluster.memberships.current().filter(user=subject).exists():
        raise ClusterError("That person is not a member of this cluster.")
    if not reason.strip():
        raise ClusterError("Say which ground rule was broken and how.")
    try:
        with transaction.atomic():
            proposal = RemovalProposal.objects.create(
                cluster=cluster, subject=subject, proposed_by=by, reason=reason.strip()
            )
    except IntegrityError:
        raise ClusterError("There is already an open proposal to remove this member.") from None
    RemovalVote.objects.create(proposal=proposal, voter=by, agrees=True)
    record(by, "removal.proposed", proposal, f"{by} proposed removing {subject}", cluster)
    _decide(proposal)
    return proposal


@transaction.atomic
def vote(proposal: RemovalProposal, voter: User, agrees: bool) -> None:
    proposal = RemovalProposal.objects.unscoped().select_for_update().get(pk=proposal.pk)
    if proposal.state != RemovalProposal.OPEN:
        raise ClusterError("This proposal has already been decided.")
    if voter.pk == proposal.subject_id:
        raise ClusterError("You cannot vote on your own removal.")
    RemovalVote.objects.unscoped().update_or_create(
        proposal=proposal, voter=voter, defaults={"agrees": agrees, "voted_at": timezone.now()}
    )
    record(
        voter, "removal.voted", proposal, f"{voter} voted on a removal proposal", proposal.cluster
    )
    _decide(proposal)


def _decide(proposal: RemovalProposal) -> None:
    voters = {m.user_id for m in other_members(proposal)}
    agree = proposal.votes.filter(agrees=True, voter__in=voters).count()
    # Carried by more than half of the members other than the one proposed for removal.
    if agree < len(voters) // 2 + 1:
        return
    now = timezone.now()
    proposal.state, proposal.decided_at = RemovalProposal.CARRIED, now
    proposal.save(update_fields=["state", "decided_at"])
    # Access ends at once: every view checks a current membership.
    ended = list(
        Membership.objects.unscoped()
        .current()
        .filter(cluster=proposal.cluster, user=proposal.subject_id)
    )
    Membership.objects.unscoped().filter(pk__in=[m.pk for m in ended]).update(
        left_at=now, left_reason="removed"
    )
    for membership in ended:
        _membership_ended(membership)
    subject: Any = proposal.subject
    queue_email(
        subject.email,
        "emails/removed",
        {"cluster": proposal.cluster, "person": subject, "reason": proposal.reason},
    )
    record(
        None,
        "membership.removed",
        proposal,
        f"{subject} was removed from the cluster by agreement of its members",
        proposal.cluster,
    )


@transaction.atomic
def ask_to_join(cluster: Cluster, user: User, message: str = "") -> JoinRequest:
    if cluster.memberships.current().filter(user=user).exists():
        raise ClusterError("You are already in this cluster.")
    if cluster.status not in {ClusterStatus.FORMING, ClusterStatus.ACTIVE}:
        raise ClusterError("This cluster is not taking new members.")
    _check_membership_cap(user)
    if cluster.member_count() >= cluster.area.max_cluster_size:
        raise ClusterError("This cluster is full.")
    try:
        with transaction.atomic():
            request = JoinRequest.objects.create(cluster=cluster, user=user, message=message)
    except IntegrityError:
        raise ClusterError("You have already asked to join this cluster.") from None
    # Only those who can read the cluster (agreed to its rules) hear about it.
    for member in cluster.memberships.agreed().select_related("user"):
        queue_email(
            member.user.email,
            "emails/join_request",
            {"cluster": cluster, "person": user, "message": message, "reader": member.user},
        )
    record(user, "join.requested", request, f"{user} asked to join the cluster", cluster)
    return request


@transaction.atomic
def decide_join(request: JoinRequest, by: User, accept: bool) -> None:
    request = (
        JoinRequest.objects.unscoped()
        .select_for_update()
        .select_related("cluster__area", "user")
        .get(pk=request.pk)
    )
    if request.state != JoinRequest.PENDING:
        raise ClusterError("Someone has already answered this request.")
    cluster = request.cluster
    if accept and cluster.member_count() >= cluster.area.max_cluster_size:
        raise ClusterError("The cluster is full now.")
    if accept:
        try:
            _check_membership_cap(request.user)
        except ClusterError:
            raise ClusterError(
                f"{request.user} is already in as many clusters as one person can be."
            ) from None
    request.state = JoinRequest.ACCEPTED if accept else JoinRequest.DECLINED
    request.decided_by, request.decided_at = by, timezone.now()
    request.save(update_fields=["state", "decided_by", "decided_at"])
    if accept and not cluster.memberships.current().filter(user=request.user).exists():
        Membership.objects.create(cluster=cluster, user=request.user)
    queue_email(
        request.user.email,
        "emails/join_answer",
        {"cluster": cluster, "accepted": accept, "person": request.user},
    )
    verb = "accepted" if accept else "declined"
    record(
        by,
        f"join.{verb}",
        request,
        f"{by} {verb} {possessive(str(request.user))} request to join",
        cluster,
    )


def link_setting_by_invitation(user: User, invitation: Invitation) -> None:
    """The coordinator invited ``user`` as the leader of a setting: accepting establishes
    the link (part of ``accept``'s transaction)."""
    setting = invitation.setting
    if setting is None or invitation.area_id is None or setting.area_id != invitation.area_id:
        # The setting moved to another area since: the invitation no longer vouches for it.
        raise ClusterError("This invitation is for a setting outside its area.")
    directory_services.link_leader(user, setting, by=invitation.invited_by, how="invitation")


@transaction.atomic
def rename(cluster: Cluster, by: User, name: str) -> None:
    """A member renames their cluster; every member sees who did, on the cluster's page and
    in what has changed."""
    cluster = Cluster.objects.select_for_update().get(pk=cluster.pk)
    old = cluster.name
    if name == old:
        raise ClusterError("That is already the cluster's name.")
    cluster.name = name
    cluster.save(update_fields=["name"])
    record(by, RENAMED, cluster, f"{by} renamed the cluster from {old} to {name}", cluster)


RENAMED = "cluster.renamed"
