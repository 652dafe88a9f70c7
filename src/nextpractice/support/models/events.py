"""Shared events and training days: who organises, who does what, and each setting's
numbers (never children's names) or places booked."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from nextpractice.core.scoping import ClusterScopedQuerySet

User = settings.AUTH_USER_MODEL


def new_uid() -> str:
    return secrets.token_hex(16)


class EventKind(models.TextChoices):
    SPORTS = "sports", "Sports day"
    TRAINING = "training", "Shared training day"
    TRIP = "trip", "Trip"
    CELEBRATION = "celebration", "Celebration"
    OTHER = "other", "Other"


class EventQuerySet(ClusterScopedQuerySet["Event"]):
    pass


class Event(models.Model):
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    host_setting = models.ForeignKey(
        "directory.Setting", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    venue = models.CharField(max_length=300, blank=True)
    for_children = models.BooleanField(default=False)
    for_staff = models.BooleanField(default=False)
    for_families = models.BooleanField(default=False)
    aim = models.TextField(blank=True)
    # One of the cluster's shared aims (clusters.Aim) the event serves, if any.
    served_aim = models.ForeignKey(
        "clusters.Aim", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Training: places")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    uid = models.CharField(max_length=40, default=new_uid, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Calendars replace their copy only when SEQUENCE rises (RFC 5545); the edit form also
    # carries it, so a save drawn from an older copy is refused instead of undoing a change.
    sequence = models.PositiveIntegerField(default=0)
    # A cancelled event stays (marked CANCELLED in feeds) so calendars remove it visibly.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_training(self) -> bool:
        return self.kind == EventKind.TRAINING

    def place_text(self) -> str:
        if self.host_setting is not None:
            return self.host_setting.address_line()
        return self.venue


class EventContactQuerySet(ClusterScopedQuerySet["EventContact"]):
    cluster_path = "event__cluster"


class EventContact(models.Model):
    """An organising contact: a PE lead or SENCo who need not use the platform."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    role = models.CharField(max_length=100, blank=True)

    objects = EventContactQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name


class EventTaskQuerySet(ClusterScopedQuerySet["EventTask"]):
    cluster_path = "event__cluster"


class EventTask(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tasks")
    text = models.CharField(max_length=200)
    owner = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    objects = EventTaskQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class ParticipationQuerySet(ClusterScopedQuerySet["Participation"]):
    cluster_path = "event__cluster"


class Participation(models.Model):
    """A setting taking part: numbers only, never children's names. For a training day,
    ``places`` booked (counted as the setting's CPD) or waiting for a place."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participations")
    setting = models.ForeignKey("directory.Setting", on_delete=models.CASCADE, related_name="+")
    children = models.PositiveSmallIntegerField(default=0)
    adults = models.PositiveSmallIntegerField(default=0)
    places = models.PositiveSmallIntegerField(default=0)
    waiting = models.PositiveSmallIntegerField(default=0)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "setting"], name="one_entry_per_setting")
        ]

    def __str__(self) -> str:
        return f"Participation {self.pk}"
