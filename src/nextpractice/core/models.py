from __future__ import annotations

from django.db import models
from django.utils import timezone


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
