"""The research shelf: pieces members share, and what each took from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from nextpractice.core.scoping import ClusterScopedQuerySet

User = settings.AUTH_USER_MODEL


class ResearchQuerySet(ClusterScopedQuerySet["ResearchPiece"]):
    pass


class ResearchPiece(models.Model):
    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="research"
    )
    added_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    title = models.CharField(max_length=200)
    source = models.CharField(max_length=200, blank=True)
    link = models.URLField(blank=True)
    summary = models.TextField("summary in your own words")
    questions = models.TextField("questions for discussion", blank=True)
    topics = models.ManyToManyField("directory.Topic", blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ResearchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class TakeawayQuerySet(ClusterScopedQuerySet["Takeaway"]):
    cluster_path = "piece__cluster"


class Takeaway(models.Model):
    piece = models.ForeignKey(ResearchPiece, on_delete=models.CASCADE, related_name="takeaways")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField("what I took from it")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TakeawayQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Takeaway {self.pk}"
