"""The safety net: help requests, the replies to them, and what leaders have been through."""

from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from nextpractice.clusters.models import Role, agreed_clusters
from nextpractice.core.scoping import ClusterScopedQuerySet

User = settings.AUTH_USER_MODEL


class Urgency(models.TextChoices):
    URGENT = "urgent", "Urgent: today"
    WEEK = "week", "This week"
    WHENEVER = "whenever", "When you can"


class HelpRequestQuerySet(ClusterScopedQuerySet["HelpRequest"]):
    def visible_to(self, user: Any) -> Self:
        """The cluster's agreed members see a request; its facilitator only when the member
        asked them too (``to_facilitator``), or when it is their own. This one rule serves
        the pages, the search, the home page's banner and every digest."""
        found = super().visible_to(user)
        if not getattr(user, "is_authenticated", False):
            return found
        return found.filter(
            Q(to_facilitator=True)
            | Q(requester=user)
            | ~Q(cluster__in=agreed_clusters(user, role=Role.FACILITATOR))
        )


class HelpRequest(models.Model):
    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="help_requests"
    )
    requester = models.ForeignKey(User, on_delete=models.CASCADE, related_name="help_requests")
    title = models.CharField("in a line", max_length=200)
    what_happened = models.TextField()
    topics = models.ManyToManyField("directory.Topic", blank=True, related_name="+")
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.WEEK)
    to_facilitator = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    first_answer_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    what_helped = models.TextField(blank=True)

    objects = HelpRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class HelpReplyQuerySet(ClusterScopedQuerySet["HelpReply"]):
    cluster_path = "request__cluster"

    def visible_to(self, user: Any) -> Self:
        """Replies to the requests the person may see (the facilitator's rule included)."""
        return self.filter(request__in=HelpRequest.objects.visible_to(user).values("pk"))


class HelpReply(models.Model):
    REPLY = "reply"
    CALLING = "calling"  # "I'll call you"

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=10, default=REPLY)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = HelpReplyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Reply {self.pk}"


class Experience(models.Model):
    """Something a leader has been through (a recent inspection, a SEND tribunal), recorded
    so that a colleague in the same spot can find them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="experiences")
    topic = models.ForeignKey("directory.Topic", on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    when = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-when", "pk"]

    def __str__(self) -> str:
        return f"Experience {self.pk}"
