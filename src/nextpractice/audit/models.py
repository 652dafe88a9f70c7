from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from nextpractice.core.scoping import ClusterScopedQuerySet


class AuditEntryQuerySet(ClusterScopedQuerySet["AuditEntry"]):
    """A cluster's activity is read by its agreed members; entries about no cluster (an
    area's import, a profile) are nobody's page and read ``unscoped()`` (admin, support)."""


class AuditEntry(models.Model):
    """Who did what to which object, when. Written by services, read by members."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verb = models.CharField(max_length=60)
    cluster = models.ForeignKey(
        "clusters.Cluster",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40, blank=True)
    summary = models.CharField(max_length=300)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb}"


def record(
    actor: Any, verb: str, obj: models.Model, summary: str, cluster: Any = None
) -> AuditEntry:
    """Record a state change. ``summary`` is shown to the cluster's members."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        verb=verb,
        cluster=cluster,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:300],
    )
