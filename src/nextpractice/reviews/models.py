"""Opening up: review requests (documents, websites, learning walks), structured feedback,
the exemplar library, and who opened what."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Generic, Self, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from nextpractice.clusters.models import Membership, Role, agreed_clusters
from nextpractice.core.scoping import ClusterScopedQuerySet

M = TypeVar("M", bound=models.Model)


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


class ReviewQuerySet(ClusterScopedQuerySet["ReviewRequest"]):
    def visible_to(self, user: Any) -> Self:
        """Requests whose audience ``user`` is in, across all their clusters.

        The audience is the person who asked; the members of the cluster when the whole
        cluster is asked; the people chosen; and the facilitator only when invited. All
        of them only while a current member (or facilitator) who has agreed the ground
        rules as they stand. One query, no ``distinct()``: the chosen people are matched
        through a subquery, so callers can still annotate and slice.
        """
        if not getattr(user, "is_authenticated", False):
            return self.none()
        chosen = ReviewRequest.audience.through.objects.filter(user=user).values("reviewrequest_id")
        in_audience = (
            Q(requester=user)
            | Q(pk__in=chosen)
            | Q(whole_cluster=True, cluster__in=agreed_clusters(user, role=Role.MEMBER))
            | Q(include_facilitator=True, cluster__in=agreed_clusters(user, role=Role.FACILITATOR))
        )
        return self.filter(Q(cluster__in=agreed_clusters(user)) & in_audience)


class ReviewPartQuerySet(ClusterScopedQuerySet[M], Generic[M]):
    """Something that belongs to one review request (a focus area, a version, a reply...):
    seen by exactly the request's audience."""

    #: The lookup from this model to its review request.
    review_path = "request"
    cluster_path = "request__cluster"

    def visible_to(self, user: Any) -> Self:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            **{f"{self.review_path}__in": ReviewRequest.objects.visible_to(user).values("pk")}
        )


class FocusAreaQuerySet(ReviewPartQuerySet["FocusArea"]):
    pass


class DocumentVersionQuerySet(ReviewPartQuerySet["DocumentVersion"]):
    pass


class ReplyQuerySet(ReviewPartQuerySet["Reply"]):
    pass


class FeedbackQuerySet(ReviewPartQuerySet["Feedback"]):
    def visible_to(self, user: Any) -> Self:
        """Sent feedback, to the request's audience; a draft, to its reviewer only."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return super().visible_to(user).filter(Q(submitted_at__isnull=False) | Q(reviewer=user))


class AnswerQuerySet(ReviewPartQuerySet[M], Generic[M]):
    """A focus area's answer or a checklist mark: seen with the feedback it is part of."""

    cluster_path = "feedback__request__cluster"

    def visible_to(self, user: Any) -> Self:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(feedback__in=Feedback.objects.visible_to(user).values("pk"))


class FocusAnswerQuerySet(AnswerQuerySet["FocusAnswer"]):
    pass


class ChecklistAnswerQuerySet(AnswerQuerySet["ChecklistAnswer"]):
    pass


class StepActionQuerySet(ReviewPartQuerySet["StepAction"]):
    cluster_path = "answer__feedback__request__cluster"

    def visible_to(self, user: Any) -> Self:
        """Seen with the answer it took a step from."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(answer__in=FocusAnswer.objects.visible_to(user).values("pk"))


class AccessEntryQuerySet(ReviewPartQuerySet["AccessEntry"]):
    def visible_to(self, user: Any) -> Self:
        """Who opened a request is shown to the person who asked, and to nobody else."""
        return super().visible_to(user).filter(request__requester=user)


class ExemplarQuerySet(ClusterScopedQuerySet["Exemplar"]):
    def visible_to(self, user: Any) -> Self:
        """The example library is the members': shared "with the cluster" means its members,
        as a review asked of the whole cluster does. An external facilitator sees members'
        documents only where a member invites them to a review."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(cluster__in=agreed_clusters(user, role=Role.MEMBER))


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

    def audience_memberships(self) -> models.QuerySet[Membership]:
        """The memberships of everyone ``ReviewRequest.objects.visible_to`` lets see this
        request (the requester included): the same rule asked from the request's side, to
        address the people to tell. ``tests/test_reviews.py`` holds the two together."""
        rule = Q(user_id=self.requester_id) | Q(user__in=self.audience.values("pk"))
        if self.whole_cluster:
            rule |= Q(role=Role.MEMBER)
        if self.include_facilitator:
            rule |= Q(role=Role.FACILITATOR)
        return Membership.objects.agreed().filter(cluster_id=self.cluster_id).filter(rule)

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

    objects = FocusAreaQuerySet.as_manager()

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

    objects = DocumentVersionQuerySet.as_manager()

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

    objects = FeedbackQuerySet.as_manager()

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

    objects = FocusAnswerQuerySet.as_manager()

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

    objects = ChecklistAnswerQuerySet.as_manager()

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

    objects = ReplyQuerySet.as_manager()

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

    objects = ExemplarQuerySet.as_manager()

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

    objects = AccessEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.what} {self.at:%Y-%m-%d}"


class StepAction(models.Model):
    """One step of one answer's next steps that the requester took on as an action.

    An answer can hold several steps ("Declutter the entrance; label the trays") and the
    report groups the same step from several visitors, so the link is per step, named by
    its stems (``nextsteps.key_of``): the report can then say which steps are already
    someone's action, whatever group they fall in as more feedback arrives."""

    answer = models.ForeignKey(FocusAnswer, on_delete=models.CASCADE, related_name="step_actions")
    step = models.CharField(max_length=300)
    action = models.ForeignKey("meetings.Action", on_delete=models.CASCADE, related_name="+")

    objects = StepActionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "step"], name="one_action_per_step")
        ]

    def __str__(self) -> str:
        return f"Step action {self.pk}"
