from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

# The queryset every cluster-owned model reads through lives in core (core's own
# notifications use it too); the rule it applies is given to it below.
from nextpractice.core import memo
from nextpractice.core.scoping import (
    ClusterScopedQuerySet,
    recall,
    remembered,
    set_audience,
)

DEFAULT_GROUND_RULES = """\
Confidentiality: what is shared in this cluster stays in this cluster. We do not name \
another member's setting, staff or families outside it without their agreement.

Equality: we meet as equals. Every member has the same voice, whatever the size or type \
of their setting, and whatever their experience.

Honesty: we say what we really see and think, and we bring our real problems, not our \
best face.

Supportive challenge: feedback names strengths and next steps. We challenge ideas, never \
people, and we assume good intent.

Commitment: we keep the dates we agree, and we send someone in our place or give our \
apologies in good time when we cannot come.

Children first: we never record information about individual children here."""


class ClusterStatus(models.TextChoices):
    FORMING = "forming", "Forming"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    CLOSED = "closed", "Closed"


class ClusterQuerySet(models.QuerySet["Cluster"]):
    def for_member(self, user: Any) -> ClusterQuerySet:
        """Clusters in which ``user`` is a current member or facilitator (agreed or not:
        the list of one's own clusters, never their content)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(pk__in=Membership.objects.current().filter(user=user).values("cluster"))

    def with_sizes(self) -> ClusterQuerySet:
        """Each cluster with ``size``: its current members proper (not the facilitator). A
        count only: what the area's coordinator may see of a cluster."""
        return self.annotate(
            size=models.Count(
                "memberships",
                filter=Q(memberships__in=Membership.objects.unscoped().current().members()),
            )
        )

    def agreed_by(self, user: Any) -> ClusterQuerySet:
        """Clusters whose content ``user`` may read: a current member or facilitator who has
        agreed to the ground rules as they stand now."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(pk__in=Membership.objects.agreed().filter(user=user).values("cluster"))


class MembershipQuerySet(ClusterScopedQuerySet["Membership"]):
    def current(self) -> Self:
        """Memberships not ended (the person has not left nor been removed)."""
        return self.filter(left_at=None)

    def agreed(self) -> Self:
        """Current memberships whose holder agreed to the ground rules as they stand now
        (a change to the rules asks everyone again)."""
        return self.current().filter(ground_rules_agreed_version=F("cluster__ground_rules_version"))

    def of(self, user: Any) -> Self:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)

    def fellows_of(self, user: Any) -> Self:
        """Who is in the clusters ``user`` belongs to, agreed or not: names and settings only,
        as an invitation names them (the home page's cluster cards)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.current().filter(
            cluster__in=Membership.objects.current().filter(user=user).values("cluster")
        )

    def members(self) -> Self:
        """Members proper (not the facilitator)."""
        return self.filter(role=Role.MEMBER)

    def agree_to(self, version: int) -> int:
        """Mark these memberships as agreeing to the ground rules of ``version``."""
        return self.update(
            ground_rules_agreed_at=timezone.now(), ground_rules_agreed_version=version
        )

    def visible_to(self, user: Any) -> Self:
        """Fellow members of the clusters ``user`` has agreed in (current ones only)."""
        return super().visible_to(user).current()


class Cluster(models.Model):
    name = models.CharField(max_length=120)
    area = models.ForeignKey("directory.Area", on_delete=models.PROTECT, related_name="clusters")
    status = models.CharField(
        max_length=10, choices=ClusterStatus.choices, default=ClusterStatus.FORMING
    )
    ground_rules = models.TextField(default=DEFAULT_GROUND_RULES)
    # Raised on every change to the ground rules; members agree to a version.
    ground_rules_version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ClusterQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def member_count(self) -> int:
        """Members proper; an external facilitator does not count towards the size."""
        return self.memberships.current().members().count()


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    FACILITATOR = "facilitator", "Facilitator"


class Membership(models.Model):
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)
    ground_rules_agreed_at = models.DateTimeField(null=True, blank=True)
    ground_rules_agreed_version = models.PositiveIntegerField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    left_reason = models.CharField(max_length=20, blank=True)  # "left" or "removed"

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["joined_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "user"],
                condition=Q(left_at=None),
                name="one_current_membership",
            )
        ]

    def __str__(self) -> str:
        return f"Membership {self.pk}"

    @property
    def has_agreed(self) -> bool:
        """Agreed to the ground rules as they stand now (a change asks everyone again)."""
        return self.ground_rules_agreed_version == self.cluster.ground_rules_version

    AGREEMENT_FIELDS = ("ground_rules_agreed_at", "ground_rules_agreed_version")

    @classmethod
    def agreed_in(cls, cluster: Cluster, user: Any, role: str = "member") -> Membership:
        """An unsaved membership that has agreed the cluster's ground rules as they stand
        (the demo loader builds its clusters with these)."""
        membership = cls(cluster=cluster, user=user, role=role)
        membership.agree()
        return membership

    def agree(self) -> None:
        self.ground_rules_agreed_at = timezone.now()
        self.ground_rules_agreed_version = self.cluster.ground_rules_version

    @property
    def is_facilitator(self) -> bool:
        return self.role == Role.FACILITATOR


class RemovalProposalQuerySet(ClusterScopedQuerySet["RemovalProposal"]):
    pass


class RemovalVoteQuerySet(ClusterScopedQuerySet["RemovalVote"]):
    cluster_path = "proposal__cluster"


class JoinRequestQuerySet(ClusterScopedQuerySet["JoinRequest"]):
    def of(self, user: Any) -> Self:
        """The requests ``user`` made (their own, whatever the cluster)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)


class RemovalProposal(models.Model):
    """A proposal to remove a member; carried by more than half of the other members."""

    OPEN = "open"
    CARRIED = "carried"
    WITHDRAWN = "withdrawn"
    STATES = [(OPEN, "Open"), (CARRIED, "Carried"), (WITHDRAWN, "Withdrawn")]

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="removals")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField()
    state = models.CharField(max_length=10, choices=STATES, default=OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = RemovalProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "subject"],
                condition=Q(state="open"),
                name="one_open_removal_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"Removal proposal {self.pk}"


class RemovalVote(models.Model):
    proposal = models.ForeignKey(RemovalProposal, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    agrees = models.BooleanField()
    voted_at = models.DateTimeField(default=timezone.now)

    objects = RemovalVoteQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "voter"], name="one_vote_each")]

    def __str__(self) -> str:
        return f"Vote {self.pk}"


class JoinRequest(models.Model):
    """A leader asks to join a cluster with room ("find me a cluster"); a member decides."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    STATES = [(PENDING, "Waiting"), (ACCEPTED, "Accepted"), (DECLINED, "Declined")]

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = JoinRequestQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "user"],
                condition=Q(state="pending"),
                name="one_pending_request_per_cluster",
            )
        ]

    def __str__(self) -> str:
        return f"Join request {self.pk}"


class AimStatus(models.TextChoices):
    WORKING = "working", "Working on it"
    ACHIEVED = "achieved", "Achieved"
    SET_ASIDE = "set_aside", "Set aside"


class AimQuerySet(ClusterScopedQuerySet["Aim"]):
    def open(self) -> Self:
        return self.filter(status=AimStatus.WORKING)

    def closed(self) -> Self:
        return self.exclude(status=AimStatus.WORKING)

    def due_for_review(self, day: Any) -> Self:
        """Open aims whose review date has come by ``day`` (until someone reviews them:
        moves the date, or closes the aim)."""
        return self.open().filter(review_on__lte=day)


class Aim(models.Model):
    """An aim the cluster sets itself for its children ("Every child has a turn to
    compete"). About groups of children and the cluster's work, never one child."""

    #: A cluster works on a few aims at once; more and none gets the attention it needs.
    MAX_OPEN = 6

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="aims")
    title = models.CharField(max_length=200)
    why = models.TextField()
    how_we_know = models.TextField()
    review_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=AimStatus.choices, default=AimStatus.WORKING)
    reflection = models.TextField(blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = AimQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == AimStatus.WORKING


def _agreed_clusters(user: Any) -> models.QuerySet[Any]:
    """Whose content a person may read: the clusters they are a current member or
    facilitator of, having agreed to the ground rules as they stand now."""
    return Membership.objects.agreed().filter(user=user).values("cluster")


def current_memberships(user: Any) -> list[Membership]:
    """The person's current memberships (agreed or not) with their clusters and areas: one
    query, read once per request (``core.scoping.remembered``): a cluster's pages ask it
    first (``clusters.access``), and every later read of cluster content in the request
    then filters on the clusters' ids (``agreed_clusters``) instead of a subquery. A
    handful of rows: the person's own clusters, whatever the size of the network."""
    if not getattr(user, "is_authenticated", False):
        return []

    def own() -> list[Membership]:
        # Built only when read: served kept, a request builds no query for it.
        mine = Membership.objects.of(user).current()
        return list(mine.select_related("cluster", "cluster__area"))

    # Kept between requests too (core.memo), until a membership or cluster is written, and
    # a minute at most: access never rests on a token whose retirement was lost.
    return remembered(
        _memberships_key(user),
        lambda: memo.kept(("memberships", user.pk, memo.minute()), own),
    )


def _memberships_key(user: Any) -> tuple[str, int]:
    return ("current_memberships", user.pk)


def _agreed(memberships: list[Membership], role: str | None) -> list[Membership]:
    # ``has_agreed`` on current memberships is ``Membership.objects.agreed()`` in Python.
    return [m for m in memberships if m.has_agreed and (role is None or m.role == role)]


def agreed_membership(user: Any, cluster_id: int) -> Membership | None:
    """The person's agreed membership of one cluster, or None."""
    return next(
        (m for m in _agreed(current_memberships(user), None) if m.cluster_id == cluster_id), None
    )


def agreed_clusters(user: Any, role: str | None = None) -> models.QuerySet[Any] | list[int]:
    """The clusters the person has agreed in (optionally as a facilitator or a member), for
    a ``cluster__in=`` filter: their ids when this request has already read the person's
    memberships (never read just for this: that would add a query to pages that read
    cluster content once), else a subquery."""
    known = recall(_memberships_key(user)) if getattr(user, "pk", None) else None
    if known is not None:
        return [m.cluster_id for m in _agreed(known, role)]
    agreed = Membership.objects.agreed().of(user)
    return (agreed if role is None else agreed.filter(role=role)).values("cluster")


set_audience(_agreed_clusters, agreed_clusters)
