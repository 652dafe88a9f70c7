from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.db import models
from django.utils import timezone

from .scoping import ClusterScopedQuerySet


class OutboundEmail(models.Model):
    """The outbox: every email the product sends is written here first, in the same
    transaction as the change that caused it, then delivered by a background task.

    A dead worker loses nothing: undelivered rows are picked up again by ``worker``.
    """

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    # After a failure, not tried again before this (back-off); empty: due now.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A body holding a single-use link is blanked once delivered.
    forget_body = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Email {self.pk}"


# --- Notifications ---------------------------------------------------------------------------
# Every feature app tells people things through ``core.notifications.notify``; the rows and
# each person's choice of how they are emailed live here, under every feature app. The
# tables keep the names they had in ``support``, where they began (no data moved).


class Kind(models.TextChoices):
    HELP = "help", "Help requests"
    HELP_REPLY = "help_reply", "Answers to my help requests"
    SUCCESS = "success", "Successes and shout-outs"
    RESEARCH = "research", "Research and ideas"
    EVENT = "event", "Events and training"
    FUNDING = "funding", "Funding opportunities"


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", "Straight away"
    DAILY = "daily", "In a daily digest"
    WEEKLY = "weekly", "In a weekly digest"
    OFF = "off", "Not by email (still listed here)"


DEFAULT_MODE = {
    Kind.HELP: Mode.DAILY,
    Kind.HELP_REPLY: Mode.IMMEDIATE,
    Kind.SUCCESS: Mode.WEEKLY,
    Kind.RESEARCH: Mode.WEEKLY,
    Kind.EVENT: Mode.DAILY,
    Kind.FUNDING: Mode.DAILY,
}


class Preference(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices)

    class Meta:
        db_table = "support_preference"
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_pref_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.mode}"


class NotificationQuerySet(ClusterScopedQuerySet["Notification"]):
    def visible_to(self, user: Any) -> Self:
        """The person's own notices, from the clusters whose content they may read now: a
        notice (its summary and link) does not outlive the right to see what it is about
        (after leaving, or while changed ground rules wait to be agreed)."""
        return super().visible_to(user).filter(user=user)


class Notification(models.Model):
    """An in-app notice; emailed at once, in a digest, or not at all by preference."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=300)
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # For digests: which digest (daily or weekly) should carry it, and when it went.
    digest = models.CharField(max_length=10, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        db_table = "support_notification"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Notification {self.pk}"


class WorkerLease(models.Model):
    """Who runs a piece of work that only one worker should run at a time (the periodic
    jobs), and until when. Taken with a conditional update, so at most one worker holds it;
    a holder that dies stops renewing it, and any worker takes it over once it expires."""

    name = models.CharField(max_length=40, primary_key=True)
    holder = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Lease {self.name}"
