from __future__ import annotations

from datetime import timedelta

from django.conf import settings as django_settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class RoundStatus(models.TextChoices):
    DRAFT = "draft", "Not run yet"
    RUNNING = "running", "Running"
    PROPOSED = "proposed", "Proposal ready"
    PUBLISHED = "published", "Published"


class FormationRound(models.Model):
    """A coordinator's round of matching the area's leaders into new clusters."""

    area = models.ForeignKey("directory.Area", on_delete=models.CASCADE, related_name="rounds")
    name = models.CharField(max_length=120)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    min_size = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(2), MaxValueValidator(12)]
    )
    max_size = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(2), MaxValueValidator(12)]
    )
    include_members = models.BooleanField("include leaders already in a cluster", default=False)
    w_values = models.FloatField(
        "weight of shared values",
        default=1.0,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    w_context = models.FloatField(
        "weight of similar context",
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    w_complement = models.FloatField(
        "weight of strengths meeting needs",
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    w_travel = models.FloatField(
        "weight of journeys beyond what people will travel",
        default=2.0,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    time_limit = models.PositiveSmallIntegerField(
        "time limit (seconds)",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    seed = models.PositiveIntegerField(default=1)
    opt_in_by = models.DateField(
        "leaders opt in by",
        null=True,
        blank=True,
        help_text="Leave empty to include every leader with a completed profile. With a date, "
        "only leaders who opt in are matched.",
    )
    locked_groups = models.JSONField(default=list, blank=True)
    progress = models.FloatField(default=0.0)
    best_score = models.FloatField(null=True, blank=True)
    random_average = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    # Which run is current: each start counts one up, and a run only writes while it is
    # still the current one, so a run declared stopped cannot overwrite its successor.
    run_number = models.PositiveIntegerField(default=0)
    # Written as the run progresses; a running round whose heartbeat is older than
    # settings.FORMATION_STALE_SECONDS has stopped (its worker died).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    clusters = models.ManyToManyField("clusters.Cluster", blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def run_stopped(self) -> bool:
        """Marked running, but nothing has been heard from the run for too long: the worker
        running it died (or none is running). The coordinator can run it again."""
        if self.status != RoundStatus.RUNNING:
            return False
        cutoff = timezone.now() - timedelta(seconds=django_settings.FORMATION_STALE_SECONDS)
        return self.heartbeat_at is None or self.heartbeat_at < cutoff

    @property
    def is_running(self) -> bool:
        return self.status == RoundStatus.RUNNING and not self.run_stopped

    @property
    def status_label(self) -> str:
        return "Stopped: run it again" if self.run_stopped else self.get_status_display()


class Placement(models.Model):
    """One leader's place in the round's proposal."""

    round = models.ForeignKey(FormationRound, on_delete=models.CASCADE, related_name="placements")
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    group = models.PositiveIntegerField()

    class Meta:
        ordering = ["group", "user__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="placed_once_per_round")
        ]

    def __str__(self) -> str:
        return f"Placement {self.pk}"


class RoundWish(models.Model):
    """A leader's wish, recorded by the coordinator: to work with someone (a bonus in the
    scores) or not to be with someone (a hard constraint)."""

    LIKE = "like"
    AVOID = "avoid"
    KINDS = [(LIKE, "would like to work with"), (AVOID, "prefers not to be with")]

    round = models.ForeignKey(FormationRound, on_delete=models.CASCADE, related_name="wishes")
    leader = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    other = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=5, choices=KINDS)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "leader", "other"], name="one_wish_per_pair")
        ]

    def __str__(self) -> str:
        return f"Wish {self.pk}"


class OptIn(models.Model):
    """A leader's answer to a round's invitation to be matched."""

    round = models.ForeignKey(FormationRound, on_delete=models.CASCADE, related_name="opt_ins")
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    joining = models.BooleanField()
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="one_answer_per_round")
        ]

    def __str__(self) -> str:
        return f"Opt-in {self.pk}"


class Introduction(models.Model):
    """Why a published round invited a leader to their cluster, in the words the invitation
    email gave them, kept for the invitation page."""

    invitation = models.OneToOneField(
        "accounts.Invitation", on_delete=models.CASCADE, related_name="+"
    )
    round = models.ForeignKey(FormationRound, on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"Introduction {self.pk}"
