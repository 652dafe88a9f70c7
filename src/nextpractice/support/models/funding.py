"""Funding opportunities members share, and who is applying."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from nextpractice.core.scoping import ClusterScopedQuerySet

User = settings.AUTH_USER_MODEL


class FundingQuerySet(ClusterScopedQuerySet["Funding"]):
    pass


class Funding(models.Model):
    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="funding"
    )
    shared_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    funder = models.CharField(max_length=200)
    what = models.TextField("what it funds")
    amount = models.CharField(max_length=100, blank=True)
    deadline = models.DateField()
    eligibility = models.TextField(blank=True)
    link = models.URLField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    reminded_14_at = models.DateTimeField(null=True, blank=True)
    reminded_3_at = models.DateTimeField(null=True, blank=True)

    objects = FundingQuerySet.as_manager()

    class Meta:
        ordering = ["deadline"]

    def __str__(self) -> str:
        return self.funder


class ApplyingQuerySet(ClusterScopedQuerySet["Applying"]):
    cluster_path = "funding__cluster"


class Applying(models.Model):
    funding = models.ForeignKey(Funding, on_delete=models.CASCADE, related_name="applicants")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    review = models.ForeignKey(
        "reviews.ReviewRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ApplyingQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["funding", "user"], name="applying_once")]

    def __str__(self) -> str:
        return f"Applying {self.pk}"
