"""Between meetings: the safety net (help requests), successes, research and ideas, shared
events and training, and funding opportunities."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

User = settings.AUTH_USER_MODEL


def new_uid() -> str:
    return secrets.token_hex(16)


# --- The safety net ---------------------------------------------------------------------


class Urgency(models.TextChoices):
    URGENT = "urgent", "Urgent: today"
    WEEK = "week", "This week"
    WHENEVER = "whenever", "When you can"


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

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class HelpReply(models.Model):
    REPLY = "reply"
    CALLING = "calling"  # "I'll call you"

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=10, default=REPLY)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

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


# --- Successes --------------------------------------------------------------------------


class Success(models.Model):
    """A success a member records for themselves, or a shout-out for another member."""

    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="successes"
    )
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    about = models.ForeignKey(User, on_delete=models.CASCADE, related_name="successes")
    text = models.TextField()
    action = models.ForeignKey(
        "meetings.Action", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review = models.ForeignKey(
        "reviews.ReviewRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    event = models.ForeignKey(
        "Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Success {self.pk}"

    @property
    def is_shout_out(self) -> bool:
        return self.author_id != self.about_id


class AchievementEmail(models.Model):
    """One termly "What you've achieved" email per person and term (claimed once)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=20)  # e.g. "2026-autumn"
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "term"], name="one_email_a_term")]

    def __str__(self) -> str:
        return self.term


# --- Next practice: research and ideas ----------------------------------------------------


class ResearchPiece(models.Model):
    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="research"
    )
    added_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    title = models.CharField(max_length=200)
    source = models.CharField(max_length=200, blank=True)
    link = models.URLField(blank=True)
    summary = models.TextField("summary in your own words")
    questions = models.TextField("questions for discussion", blank=True)
    topics = models.ManyToManyField("directory.Topic", blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Takeaway(models.Model):
    piece = models.ForeignKey(ResearchPiece, on_delete=models.CASCADE, related_name="takeaways")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField("what I took from it")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Takeaway {self.pk}"


class Idea(models.Model):
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="ideas")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    title = models.CharField(max_length=200)
    what_we_did = models.TextField("what we tried")
    what_happened = models.TextField()
    evidence = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class TrialResult(models.TextChoices):
    TRYING = "trying", "Trying it"
    WORKED = "worked", "It worked"
    PARTLY = "partly", "Partly"
    NOT_FOR_US = "not_for_us", "Not for us"


class IdeaTrial(models.Model):
    """Another setting trying the idea, and later what came of it: where it travelled."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="trials")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    setting = models.ForeignKey(
        "directory.Setting", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result = models.CharField(
        max_length=12, choices=TrialResult.choices, default=TrialResult.TRYING
    )
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "user"], name="one_trial_each")]

    def __str__(self) -> str:
        return f"Trial {self.pk}"


# --- Shared events and training -----------------------------------------------------------


class EventKind(models.TextChoices):
    SPORTS = "sports", "Sports day"
    TRAINING = "training", "Shared training day"
    TRIP = "trip", "Trip"
    CELEBRATION = "celebration", "Celebration"
    OTHER = "other", "Other"


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
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Training: places")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    uid = models.CharField(max_length=40, default=new_uid, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return self.title

    def place_text(self) -> str:
        if self.host_setting is not None:
            return self.host_setting.address_line()
        return self.venue


class EventContact(models.Model):
    """An organising contact: a PE lead or SENCo who need not use the platform."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    role = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.name


class EventTask(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tasks")
    text = models.CharField(max_length=200)
    owner = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


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

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "setting"], name="one_entry_per_setting")
        ]

    def __str__(self) -> str:
        return f"Participation {self.pk}"


# --- Funding -----------------------------------------------------------------------------


class Funding(models.Model):
    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="funding"
    )
    shared_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    funder = models.CharField(max_length=200)
    what = models.TextField("what it funds")
    amount = models.CharField(max_length=100, blank=True)
    deadline = models.DateField()
    eligibility = models.TextField(blank=True)
    link = models.URLField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    reminded_14_at = models.DateTimeField(null=True, blank=True)
    reminded_3_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline"]

    def __str__(self) -> str:
        return self.funder


class Applying(models.Model):
    funding = models.ForeignKey(Funding, on_delete=models.CASCADE, related_name="applicants")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    review = models.ForeignKey(
        "reviews.ReviewRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["funding", "user"], name="applying_once")]

    def __str__(self) -> str:
        return f"Applying {self.pk}"


# --- Notifications -------------------------------------------------------------------------


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
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notification_prefs")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_pref_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.mode}"


class Notification(models.Model):
    """An in-app notice; emailed at once, in a digest, or not at all by preference."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
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

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Notification {self.pk}"


def term_key(day: dt.date) -> str:
    """Autumn (Sept-Dec), spring (Jan-Easter) or summer, of the academic year."""
    year = day.year if day.month >= 8 else day.year - 1
    name = "autumn" if day.month >= 8 else "spring" if day.month <= 3 else "summer"
    return f"{year}-{name}"
