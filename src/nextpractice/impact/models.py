"""Termly check-ins, the area's choice of when they go, and successes marked as outcomes.

A check-in is a person's own: nobody else reads their answers. What leaves the person is
either a figure about at least five people (the cluster's combined check-in, the area's
figures through ``disclosure``) or the free text they chose to share with their cluster.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from nextpractice.core.scoping import ClusterScopedQuerySet

User = settings.AUTH_USER_MODEL


class ItemKind(models.TextChoices):
    SCALE = "scale", "0 to 10"
    CHOICE = "choice", "One of a few answers"
    TEXT = "text", "Words"


class Measure(models.TextChoices):
    ONS4 = "ons4", "ONS personal well-being"
    UCLA3 = "ucla3", "Loneliness (three-item UCLA scale)"
    DIRECT = "direct", "Loneliness (direct question)"
    OWN = "own", "Leading a setting"


class Questionnaire(models.Model):
    """A version of the check-in. Items are data: an area adds one by making a new version
    (in the admin) rather than changing code; answers keep the version they were given to."""

    version = models.PositiveIntegerField(unique=True)
    # An area's own version (the national items plus its own, made in the admin) is what its
    # leaders are asked; every other area keeps the latest version for everyone. The area's
    # figures compare the national items, which every version carries.
    area = models.ForeignKey(
        "directory.Area",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Leave empty for everyone; set it for one area's own version.",
    )
    introduction = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"Check-in, version {self.version}"

    @classmethod
    def by_preference(cls, area_id: int | None = None) -> list[models.QuerySet[Questionnaire]]:
        """The one rule for which version an area's leaders are asked: its own versions
        first, then everyone's, each newest first. Callers take the first that has what
        they need (a version, or its items)."""
        everyone = cls.objects.filter(area=None).order_by("-version")
        if area_id is None:
            return [everyone]
        return [cls.objects.filter(area_id=area_id).order_by("-version"), everyone]

    @classmethod
    def current(cls, area_id: int | None = None) -> Questionnaire | None:
        """The version an area's leaders are asked: its own latest, else everyone's."""
        for versions in cls.by_preference(area_id):
            found = versions.first()
            if found is not None:
                return found
        return None


class Item(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="items")
    # Stable across versions, so a person's trend joins answers to the same question.
    key = models.SlugField(max_length=40)
    measure = models.CharField(max_length=10, choices=Measure.choices)
    position = models.PositiveSmallIntegerField(default=0)
    wording = models.TextField()
    short_label = models.CharField(max_length=60)
    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    # [[value, label], ...] in the order shown, for CHOICE items.
    options = models.JSONField(default=list, blank=True)
    low_label = models.CharField(max_length=60, blank=True)
    high_label = models.CharField(max_length=60, blank=True)
    higher_is_better = models.BooleanField(default=True)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="one_item_per_key")
        ]

    def __str__(self) -> str:
        return self.short_label

    @property
    def value_range(self) -> tuple[int, int]:
        if self.kind == ItemKind.SCALE:
            return 0, 10
        values = [int(v) for v, _ in self.options] or [0]
        return min(values), max(values)


class CheckInSchedule(models.Model):
    """When the area's termly check-in goes: a number of weeks into each term, unless a
    date is set for that term (CheckInDate)."""

    area = models.OneToOneField(
        "directory.Area", on_delete=models.CASCADE, related_name="check_in_schedule"
    )
    weeks_into_term = models.PositiveSmallIntegerField(
        default=6, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.weeks_into_term} weeks into term"


class CheckInDate(models.Model):
    area = models.ForeignKey("directory.Area", on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=20)  # "2026-autumn", as support.models.term_key
    date = models.DateField()

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["area", "term"], name="one_check_in_date_a_term")
        ]

    def __str__(self) -> str:
        return f"{self.term}: {self.date}"


class CheckInRound(models.Model):
    """An area's check-in for one term: made once, when its date comes."""

    area = models.ForeignKey("directory.Area", on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=20)
    opens_on = models.DateField()
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opens_on"]
        constraints = [models.UniqueConstraint(fields=["area", "term"], name="one_round_a_term")]

    def __str__(self) -> str:
        return f"{self.area_id} {self.term}"


class CheckInQuerySet(models.QuerySet["CheckIn"]):
    def of(self, user: Any) -> CheckInQuerySet:
        """A person's own check-ins: nobody reads another's."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)

    def answered(self) -> CheckInQuerySet:
        return self.exclude(answered_at=None)

    def open(self) -> CheckInQuerySet:
        return self.filter(answered_at=None)


class CheckIn(models.Model):
    """One person's check-in: the baseline at joining, or a term's."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="check_ins")
    area = models.ForeignKey("directory.Area", on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey(
        CheckInRound, on_delete=models.CASCADE, null=True, blank=True, related_name="check_ins"
    )
    is_baseline = models.BooleanField(default=False)
    term = models.CharField(max_length=20)
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    # item key -> the value chosen (numbers only; the free text is kept apart below).
    scores = models.JSONField(default=dict, blank=True)
    helped = models.TextField(blank=True)
    share_helped = models.BooleanField(default=False)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["invited_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "round"], name="one_check_in_a_round"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_baseline=True), name="one_baseline"
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.pk}"


class OutcomeKind(models.TextChoices):
    ACTION = "action", "An action done"
    NEXT_STEP = "next_step", "A review's next step taken"
    IDEA = "idea", "An idea tried"


class OutcomeQuerySet(ClusterScopedQuerySet["Outcome"]):
    pass


class Outcome(models.Model):
    """A success marked as an outcome of the cluster's work, so stories stand beside the
    figures (inside the cluster; outside, only counts through disclosure)."""

    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="+")
    success = models.OneToOneField(
        "support.Success", on_delete=models.CASCADE, related_name="outcome"
    )
    kind = models.CharField(max_length=10, choices=OutcomeKind.choices)
    marked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = OutcomeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.get_kind_display()


class AreaSummaryEmail(models.Model):
    """One termly summary per coordinator, area and term (claimed once)."""

    area = models.ForeignKey("directory.Area", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=20)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "user", "term"], name="one_summary_a_term")
        ]

    def __str__(self) -> str:
        return self.term


TERM_NAMES = {"autumn": "Autumn", "spring": "Spring", "summer": "Summer"}


def term_label(term: str) -> str:
    """ "2026-spring" -> "Spring 2027" (the academic year 2026/27's spring)."""
    year_text, _, name = term.partition("-")
    year = int(year_text) if year_text.isdigit() else 0
    calendar_year = year if name == "autumn" else year + 1
    return f"{TERM_NAMES.get(name, name.title())} {calendar_year}"


def term_order(term: str) -> tuple[int, int]:
    year_text, _, name = term.partition("-")
    position = list(TERM_NAMES).index(name) if name in TERM_NAMES else 9
    return (int(year_text) if year_text.isdigit() else 0, position)


def term_bounds(term: str) -> tuple[dt.date, dt.date]:
    """The term's first and last day, as support's term_key and term_start draw them
    (autumn from 1 September, spring from 1 January, summer from 1 April)."""
    year = int(term.partition("-")[0])
    name = term.partition("-")[2]
    if name == "autumn":
        return dt.date(year, 9, 1), dt.date(year, 12, 31)
    if name == "spring":
        return dt.date(year + 1, 1, 1), dt.date(year + 1, 3, 31)
    return dt.date(year + 1, 4, 1), dt.date(year + 1, 7, 31)
