from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.db import models
from django.utils import timezone

from .scoping import ClusterScopedQuerySet


class Priority(models.IntegerChoices):
    # A person is waiting at the sign-in page for these: they go before everything else.
    WAITING = 10, "Someone is waiting for it"
    NORMAL = 0, "Normal"


class OutboundEmail(models.Model):
    """The outbox: every email the product sends is written here first, in the same
    transaction as the change that caused it, then delivered by a background task.

    A dead worker loses nothing: undelivered rows are picked up again by ``worker``.
    Delivery is at least once: each row keeps one Message-ID for every attempt, so a
    repeat after a crash (sent, not yet recorded) is the same message to a receiver.
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
    # Made once when queued and sent on every attempt: receiving systems drop repeats.
    # Empty only on rows queued before it existed (given one when first claimed).
    message_id = models.CharField(max_length=250, blank=True)
    priority = models.SmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    # Not worth sending after this (a sign-in code that has expired): given up instead.
    expires_at = models.DateTimeField(null=True, blank=True)
    # Retried with back-off until then (EMAIL_RETRY_DAYS after it was queued or resent);
    # empty on rows queued before it existed: counted from created_at.
    retry_until = models.DateTimeField(null=True, blank=True)
    # Given up: retried with back-off for EMAIL_RETRY_DAYS, or expired. Listed for
    # administrators ("emails that could not be sent"), who can send it again.
    failed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Told when it cannot be delivered: the person whose action it was (an inviter).
    report_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Email {self.pk}"


class UndeliveredEmail(OutboundEmail):
    """The outbox rows given up on, as their own list in the admin."""

    class Meta:
        proxy = True
        verbose_name = "email that could not be sent"
        verbose_name_plural = "emails that could not be sent"


class DigestSent(models.Model):
    """One row per person, digest and period (the day, or the Monday of the week): the
    unique constraint is the claim, so a digest goes once a period however many workers
    run the job, and however often."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=10)
    period = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "digest", "period"], name="one_digest_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.digest} digest {self.period}"


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
    FEEDBACK_ASKED = "review_ask", "Feedback asked of me"
    FEEDBACK_GIVEN = "review_back", "Feedback given on my requests"
    NOTES = "notes", "Meeting notes published"
    ACTION = "action", "Actions given to me"
    MEETING = "meeting", "Meetings moved or cancelled"
    NEW_HEAD = "new_head", "A colleague new to headship"
    BUDDY = "buddy", "My buddy, or the new head I buddy"


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
    # These were emailed at once before they were notices: the default keeps that.
    Kind.FEEDBACK_ASKED: Mode.IMMEDIATE,
    Kind.FEEDBACK_GIVEN: Mode.IMMEDIATE,
    Kind.NOTES: Mode.IMMEDIATE,
    Kind.MEETING: Mode.IMMEDIATE,
    # The published notes' email already lists each person's own actions.
    Kind.ACTION: Mode.OFF,
    # A colleague new to headship is news for the cluster; a buddy found or ended is news
    # for the two people concerned, and waiting a day would be unkind.
    Kind.NEW_HEAD: Mode.DAILY,
    Kind.BUDDY: Mode.IMMEDIATE,
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


# --- One-time form keys ------------------------------------------------------------------------


class OnceKey(models.Model):
    """A form's one-time key, spent by the first submission that created something (see
    ``core.once``). Unique per person, so a repeat (a double click, a resent POST, a retry
    after a timeout) finds the first result instead of creating and emailing again, and
    nobody can reach another person's result by sending their key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    # What the key created: the model's label and the new row's id.
    purpose = models.CharField(max_length=100)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_use_per_form_key")]

    def __str__(self) -> str:
        return f"Form key {self.pk}"


# --- Leases ------------------------------------------------------------------------------------


class WorkerLease(models.Model):
    """Who runs a piece of work that only one worker should run at a time (the periodic
    jobs), and until when. Taken with a conditional update, so at most one worker holds it;
    a holder that dies stops renewing it, and any worker takes it over once it expires."""

    name = models.CharField(max_length=40, primary_key=True)
    holder = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Lease {self.name}"
