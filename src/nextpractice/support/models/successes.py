"""Successes and shout-outs, and the termly "What you've achieved" email."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from nextpractice.core.scoping import ClusterScopedQuerySet

User = settings.AUTH_USER_MODEL


class SuccessQuerySet(ClusterScopedQuerySet["Success"]):
    pass


class Success(models.Model):
    """A success a member records for themselves, or a shout-out for another member."""

    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="successes"
    )
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    about = models.ForeignKey(User, on_delete=models.CASCADE, related_name="successes")
    text = models.TextField()
    action = models.ForeignKey(
        "meetings.Action", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review = models.ForeignKey(
        "reviews.ReviewRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    event = models.ForeignKey(
        "Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The shared aim it served, if any (clusters.Aim): the year's story says so.
    aim = models.ForeignKey(
        "clusters.Aim", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = SuccessQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Success {self.pk}"

    @property
    def is_shout_out(self) -> bool:
        return self.author_id != self.about_id


class AchievementEmail(models.Model):
    """One termly "What you've achieved" email per person and term (claimed once)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=20)  # e.g. "2026-autumn"
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "term"], name="one_email_a_term")]

    def __str__(self) -> str:
        return self.term


def term_key(day: dt.date) -> str:
    """Autumn (Sept-Dec), spring (Jan-Easter) or summer, of the academic year."""
    year = day.year if day.month >= 8 else day.year - 1
    name = "autumn" if day.month >= 8 else "spring" if day.month <= 3 else "summer"
    return f"{year}-{name}"
