"""Next practice: ideas a setting tried, and where they travelled."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from nextpractice.core.scoping import ClusterScopedQuerySet

User = settings.AUTH_USER_MODEL


class IdeaQuerySet(ClusterScopedQuerySet["Idea"]):
    pass


class Idea(models.Model):
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="ideas")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    title = models.CharField(max_length=200)
    what_we_did = models.TextField("what we tried")
    what_happened = models.TextField()
    evidence = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = IdeaQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class TrialResult(models.TextChoices):
    TRYING = "trying", "Trying it"
    WORKED = "worked", "It worked"
    PARTLY = "partly", "Partly"
    NOT_FOR_US = "not_for_us", "Not for us"


class IdeaTrialQuerySet(ClusterScopedQuerySet["IdeaTrial"]):
    cluster_path = "idea__cluster"


class IdeaTrial(models.Model):
    """Another setting trying the idea, and later what came of it: where it travelled."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="trials")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    setting = models.ForeignKey(
        "directory.Setting", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result = models.CharField(
        max_length=12, choices=TrialResult.choices, default=TrialResult.TRYING
    )
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = IdeaTrialQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "user"], name="one_trial_each")]

    def __str__(self) -> str:
        return f"Trial {self.pk}"
