"""Support for a new head: she tells her cluster she is new to headship, a fellow member
volunteers to be her buddy, and an induction checklist walks her through the cluster's
first steps.

Here in ``support`` (above meetings and reviews) so that the checklist can tick itself from
what she has really done there. Everything belongs to one cluster and is read through the
cluster rule: nobody outside the cluster learns that she is new."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from nextpractice.core.scoping import ClusterScopedQuerySet

User = settings.AUTH_USER_MODEL


class NewHeadQuerySet(ClusterScopedQuerySet["NewHead"]):
    def current(self) -> NewHeadQuerySet:
        """Still new: she has not said she no longer is, nor left the cluster (leaving ends
        it: ``services.newheads.membership_ended``)."""
        return self.filter(ended_at=None)


class NewHead(models.Model):
    """A member who told her cluster she is new to headship. One row per person and
    cluster; saying "no longer new" ends it, and saying it again opens it again."""

    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="new_heads"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = NewHeadQuerySet.as_manager()

    class Meta:
        ordering = ["since", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "user"], name="new_head_once_per_cluster")
        ]

    def __str__(self) -> str:
        return f"New head {self.pk}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class BuddyQuerySet(ClusterScopedQuerySet["Buddy"]):
    cluster_path = "new_head__cluster"

    def current(self) -> BuddyQuerySet:
        return self.filter(ended_at=None)


class Buddy(models.Model):
    """A fellow member who volunteered to be a new head's buddy. At most one at a time:
    the constraint, not a check in Python, is what makes a double click (or two members
    volunteering at once) give her one buddy."""

    new_head = models.ForeignKey(NewHead, on_delete=models.CASCADE, related_name="buddies")
    buddy = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = BuddyQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["new_head"], condition=Q(ended_at=None), name="one_buddy_at_a_time"
            )
        ]

    def __str__(self) -> str:
        return f"Buddy {self.pk}"


class InductionStepQuerySet(ClusterScopedQuerySet["InductionStep"]):
    pass


class InductionStep(models.Model):
    """A first step the cluster adds to every new head's checklist, beyond the standard
    ones (``support.induction.STANDARD``)."""

    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="induction_steps"
    )
    text = models.CharField(max_length=200)
    added_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = InductionStepQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Induction step {self.pk}"


class TickQuerySet(ClusterScopedQuerySet["Tick"]):
    cluster_path = "new_head__cluster"


class Tick(models.Model):
    """A step of one new head's checklist ticked by hand: a standard step (by its key) or
    one of the cluster's own. Steps that tick themselves from real data have no row."""

    new_head = models.ForeignKey(NewHead, on_delete=models.CASCADE, related_name="ticks")
    standard = models.CharField(max_length=30, blank=True)
    step = models.ForeignKey(
        InductionStep, on_delete=models.CASCADE, null=True, blank=True, related_name="ticks"
    )
    ticked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    ticked_at = models.DateTimeField(default=timezone.now)

    objects = TickQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["new_head", "standard"],
                condition=~Q(standard=""),
                name="standard_step_ticked_once",
            ),
            models.UniqueConstraint(
                fields=["new_head", "step"],
                condition=Q(step__isnull=False),
                name="own_step_ticked_once",
            ),
            models.CheckConstraint(
                condition=(Q(standard="") & Q(step__isnull=False))
                | (~Q(standard="") & Q(step__isnull=True)),
                name="tick_is_of_one_step",
            ),
        ]

    def __str__(self) -> str:
        return f"Tick {self.pk}"
