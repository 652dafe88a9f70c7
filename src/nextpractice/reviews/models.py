"""Opening up: review requests (documents, websites, learning walks), structured feedback,
the exemplar library, and who opened what."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


def stored_name(instance: Any, filename: str) -> str:
    """A random name, with nothing of the original: the original is kept in the row and
    given back only as the download's filename."""
    folder = "exemplars" if isinstance(instance, Exemplar) else "reviews"
    return f"{folder}/{timezone.now():%Y/%m}/{secrets.token_hex(20)}"


def new_uid() -> str:
    return secrets.token_hex(16)


class Checklist(models.Model):
    """What a kind of setting must and should publish on its website (data, editable by
    admins): the statutory list for maintained schools, another for early years."""

    SCHOOL = "school"
    EARLY_YEARS = "early_years"
    FOR = [(SCHOOL, "Schools"), (EARLY_YEARS, "Nurseries, pre-schools and childminders")]

    name = models.CharField(max_length=120)
    applies_to = models.CharField(max_length=20, choices=FOR, unique=True)

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    text = models.CharField(max_length=200)
    required = models.BooleanField(default=True, help_text="Must publish (else: should)")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class ReviewKind(models.TextChoices):
    DOCUMENT = "document", "A document"
    WEBSITE = "website", "Our website"
    WALK = "walk", "A learning walk"


class DocumentKind(models.TextChoices):
    SEF = "sef", "Self-evaluation (SEF)"
    PLAN = "plan", "Action or improvement plan"
    POLICY = "policy", "Policy"
    BID = "bid", "Funding bid"
    OTHER = "other", "Other"


class ReviewQuerySet(models.QuerySet["ReviewRequest"]):
    def visible_to(self, user: Any, cluster_id: int) -> ReviewQuerySet:
        """Requests of the cluster this person is in the audience of (or made)."""
        from django.db.models import Q

        from nextpractice.clusters.models import Role

        membership = user.memberships.filter(cluster_id=cluster_id, left_at=None).first()
        if membership is None:
            return self.none()
        mine = Q(requester=user) | Q(audience=user)
        if membership.role == Role.FACILITATOR:
            mine |= Q(include_facilitator=True)
        else:
            mine |= Q(whole_cluster=True)
        return self.filter(cluster_id=cluster_id).filter(mine).distinct()


class ReviewRequest(models.Model):
    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="review_requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_requests"
    )
    kind = models.CharField(max_length=10, choices=ReviewKind.choices)
    title = models.CharField(max_length=200)
    document_kind = models.CharField(max_length=10, choices=DocumentKind.choices, blank=True)
    website_url = models.URLField(blank=True)
    checklist = models.ForeignKey(
        Checklist, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    walk_starts_at = models.DateTimeField(null=True, blank=True)
    walk_minutes = models.PositiveSmallIntegerField(default=60)
    arrival = models.TextField("arrival instructions", blank=True)
    feedback_by = models.DateField()
    whole_cluster = models.BooleanField(default=True)
    audience = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    include_facilitator = models.BooleanField(default=False)
    # The calendar identity of a learning walk.
    uid = models.CharField(max_length=40, default=new_uid, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def walk_ends_at(self) -> dt.datetime | None:
        if self.walk_starts_at is None:
            return None
        return self.walk_starts_at.astimezone(dt.UTC) + dt.timedelta(minutes=self.walk_minutes)


class FocusArea(models.Model):
    """A question the requester wants answered, optionally tagged from the taxonomy."""

    request = models.ForeignKey(ReviewRequest, on_delete=models.CASCADE, related_name="focus_areas")
    question = models.CharField(max_length=300)
    topic = models.ForeignKey(
        "directory.Topic", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.question


class DocumentVersion(models.Model):
    """One upload of the document. Stored under a random name outside the static root;
    served only through the access-checked download view."""

    request = models.ForeignKey(ReviewRequest, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to=stored_name, max_length=200)
    original_name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["request", "number"], name="version_number_once")
        ]

    def __str__(self) -> str:
        return f"Version {self.number}"


class Feedback(models.Model):
    """One reviewer's feedback on a request: a draft until sent, editable until closed."""

    request = models.ForeignKey(ReviewRequest, on_delete=models.CASCADE, related_name="feedback")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    version = models.ForeignKey(
        DocumentVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    overall = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "reviewer"], name="feedback_once_each")
        ]

    def __str__(self) -> str:
        return f"Feedback {self.pk}"


class FocusAnswer(models.Model):
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="answers")
    focus = models.ForeignKey(FocusArea, on_delete=models.CASCADE, related_name="answers")
    strengths = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    helpful = models.BooleanField(default=False)  # marked by the requester
    action = models.ForeignKey(
        "meetings.Action", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feedback", "focus"], name="one_answer_per_focus")
        ]

    def __str__(self) -> str:
        return f"Answer {self.pk}"


class Found(models.TextChoices):
    FOUND = "found", "Found"
    PARTLY = "partly", "Partly"
    MISSING = "missing", "Missing"


class ChecklistAnswer(models.Model):
    feedback = models.ForeignKey(
        Feedback, on_delete=models.CASCADE, related_name="checklist_answers"
    )
    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Found.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feedback", "item"], name="one_mark_per_item")
        ]

    def __str__(self) -> str:
        return f"Checklist answer {self.pk}"


class Reply(models.Model):
    """The requester's reply (or a reviewer's) under a focus area, or on the whole."""

    request = models.ForeignKey(ReviewRequest, on_delete=models.CASCADE, related_name="replies")
    focus = models.ForeignKey(
        FocusArea, on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Reply {self.pk}"


class Exemplar(models.Model):
    """A document a member shares with the cluster as an example."""

    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="exemplars"
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    document_kind = models.CharField(max_length=10, choices=DocumentKind.choices)
    note = models.TextField("what it shows")
    file = models.FileField(upload_to=stored_name, max_length=200)
    original_name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class AccessEntry(models.Model):
    """Who opened a request or downloaded its document, shown to the requester."""

    OPENED = "opened"
    DOWNLOADED = "downloaded"

    request = models.ForeignKey(ReviewRequest, on_delete=models.CASCADE, related_name="access")
    version = models.ForeignKey(
        DocumentVersion, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    what = models.CharField(max_length=12)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.what} {self.at:%Y-%m-%d}"
