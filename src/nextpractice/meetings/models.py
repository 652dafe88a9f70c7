"""The cluster's year: plans, meetings, who is coming, agendas, notes and actions."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Sequence
from typing import Any, Generic, Self, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from nextpractice.clusters.models import Membership, agreed_clusters
from nextpractice.core.scoping import ClusterScopedQuerySet

from . import planner

M = TypeVar("M", bound=models.Model)


class SchoolHoliday(models.Model):
    """A period when the area's schools are closed, entered or imported by a coordinator."""

    area = models.ForeignKey(
        "directory.Area", on_delete=models.CASCADE, related_name="school_holidays"
    )
    name = models.CharField(max_length=120)
    start = models.DateField()
    end = models.DateField()
    source = models.CharField(max_length=20, default="entered")  # entered, ics, csv
    # The calendar an imported holiday came from (its own name, or the file's): importing
    # that calendar again replaces these instead of adding them a second time.
    calendar = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["start"]

    def __str__(self) -> str:
        return self.name

    def as_period(self) -> planner.Period:
        return planner.Period(self.start, self.end, self.name)


class PlaceKind(models.TextChoices):
    ROTATING = "rotating", "Each member's setting in turn"
    VENUE = "venue", "A fixed venue"
    ONLINE = "online", "Online"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"


# What a member chooses when planning the year (the form, its initial values, the draft).
PLAN_CHOICES = (
    "cadence",
    "every_weeks",
    "weekday",
    "start_time",
    "duration_minutes",
    "place_kind",
    "venue",
    "online_url",
    "call_days_before",
    "agenda_days_before",
)


class YearPlanQuerySet(ClusterScopedQuerySet["YearPlan"]):
    pass


class YearPlan(models.Model):
    """How a cluster meets in one academic year; its meetings hang from it."""

    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="year_plans"
    )
    start_year = models.PositiveSmallIntegerField(help_text="2026 for the year 2026/27")
    cadence = models.CharField(
        max_length=20,
        choices=[
            (planner.Cadence.HALF_TERMLY.value, "Every half-term (six meetings)"),
            (planner.Cadence.MONTHLY.value, "Monthly"),
            (planner.Cadence.EVERY_N_WEEKS.value, "Every few weeks"),
        ],
        default=planner.Cadence.HALF_TERMLY.value,
    )
    every_weeks = models.PositiveSmallIntegerField(default=6)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.WEDNESDAY)
    start_time = models.TimeField(default=dt.time(15, 0))
    duration_minutes = models.PositiveSmallIntegerField(default=90)
    place_kind = models.CharField(
        max_length=10, choices=PlaceKind.choices, default=PlaceKind.ROTATING
    )
    venue = models.CharField(max_length=300, blank=True)
    online_url = models.URLField(blank=True)
    agenda_days_before = models.PositiveSmallIntegerField(default=3)
    call_days_before = models.PositiveSmallIntegerField(default=7)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = YearPlanQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "start_year"], name="one_plan_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.cluster} {self.year_label}"

    @property
    def year(self) -> planner.Period:
        return planner.academic_year(self.start_year)

    @property
    def year_label(self) -> str:
        return self.year.name

    def register_marks(self) -> list[tuple[int, str]]:
        """(member id, mark) for every register taken at this year's meetings."""
        return list(
            Attendance.objects.filter(meeting__plan=self, meeting__register_taken_at__isnull=False)
            .exclude(mark="")
            .values_list("member_id", "mark")
        )


class Phase(models.TextChoices):
    """Before, during and after a meeting (``Meeting.phase``)."""

    BEFORE = "before", "Before the meeting"
    DURING = "during", "At the meeting"
    AFTER = "after", "After the meeting"


class MeetingStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"  # in a plan not yet confirmed: not in anyone's diary
    SCHEDULED = "scheduled", "Diarised"
    CANCELLED = "cancelled", "Cancelled"


# Cancelled meetings stay in calendar feeds this long after their date, so that every
# calendar sees the cancellation instead of the event silently vanishing.
CANCELLED_KEPT = dt.timedelta(days=60)


class MeetingQuerySet(ClusterScopedQuerySet["Meeting"]):
    def visible_to(self, user: Any) -> Self:
        """The meetings of the clusters ``user`` has agreed in, and the one meeting a
        deputy stands in for once it is diarised (a proposed date is the members' draft).
        A deputy's access lasts only while the member who sent them is still an agreed
        member of the cluster: leaving ends it for both."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        sender_agreed = Membership.objects.agreed().filter(
            user=OuterRef("member"), cluster=OuterRef("meeting__cluster")
        )
        deputising = Attendance.objects.filter(
            Exists(sender_agreed), deputy=user, response=Response.DEPUTY
        ).values("meeting")
        return self.filter(
            Q(cluster__in=agreed_clusters(user))
            | (Q(pk__in=deputising) & ~Q(status=MeetingStatus.PROPOSED))
        )

    def in_clusters(self, user: Any, cluster_ids: Sequence[int]) -> Self:
        """Where this request knows the person has agreed in every one of the clusters, they
        see all of those clusters' meetings: the deputy subquery is then not asked (its
        meetings would be in those clusters anyway)."""
        agreed = agreed_clusters(user)
        if isinstance(agreed, list) and set(cluster_ids) <= set(agreed):
            return self.filter(cluster_id__in=cluster_ids)
        return super().in_clusters(user, cluster_ids)

    def diarised(self) -> Self:
        return self.exclude(status=MeetingStatus.PROPOSED)


class MeetingPartQuerySet(ClusterScopedQuerySet[M], Generic[M]):
    """Parts of one meeting (its agenda items, notes): whoever sees the meeting sees them,
    so a deputy reads the agenda and notes of their one meeting and nothing else."""

    cluster_path = "meeting__cluster"

    def visible_to(self, user: Any) -> Self:
        return self.filter(meeting__in=Meeting.objects.visible_to(user).values("pk"))

    def in_clusters(self, user: Any, cluster_ids: Sequence[int]) -> Self:
        """As ``MeetingQuerySet.in_clusters``: no deputy subquery for the person's own."""
        return self.filter(meeting__in=Meeting.objects.in_clusters(user, cluster_ids).values("pk"))


class Meeting(models.Model):
    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="meetings"
    )
    plan = models.ForeignKey(YearPlan, on_delete=models.CASCADE, related_name="meetings")
    # A calendar's identity for this meeting: never changes, whatever is edited.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    starts_at = models.DateTimeField(db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(default=90)
    status = models.CharField(
        max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    place_kind = models.CharField(
        max_length=10, choices=PlaceKind.choices, default=PlaceKind.ROTATING
    )
    host_setting = models.ForeignKey(
        "directory.Setting", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    venue = models.CharField(max_length=300, blank=True)
    online_url = models.URLField(blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note_taker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Raised on every change a calendar must notice (RFC 5545 SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)
    # Raised on every saved edit of when and where: the edit form carries the version it was
    # drawn from, and a save from an older one is refused instead of reverting a colleague's
    # change (optimistic concurrency).
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    notes_published_at = models.DateTimeField(null=True, blank=True)
    register_taken_at = models.DateTimeField(null=True, blank=True)
    # Claimed atomically by the periodic job, so each email goes once.
    call_sent_at = models.DateTimeField(null=True, blank=True)
    agenda_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"Meeting {self.pk}"

    @property
    def ends_at(self) -> dt.datetime:
        # In UTC: adding minutes to a London time would add wall-clock time.
        return self.starts_at.astimezone(dt.UTC) + dt.timedelta(minutes=self.duration_minutes)

    @property
    def local_start(self) -> dt.datetime:
        return timezone.localtime(self.starts_at, planner.LONDON)

    @property
    def local_end(self) -> dt.datetime:
        # From the instant, not the wall clock: 90 minutes are 90 real minutes even on the
        # night the clocks change (Python's aware arithmetic would add wall-clock time).
        return timezone.localtime(self.ends_at, planner.LONDON)

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED

    @property
    def has_started(self) -> bool:
        return timezone.now() >= self.starts_at

    @property
    def answers_open(self) -> bool:
        """Members answer (coming, deputy, apologies) from diarising until the start."""
        return self.status == MeetingStatus.SCHEDULED and not self.has_started

    @property
    def register_open(self) -> bool:
        """The register is taken at a diarised meeting once it has started."""
        return self.status == MeetingStatus.SCHEDULED and self.has_started

    @property
    def notes_open(self) -> bool:
        return self.notes_published_at is None and not self.is_cancelled

    def phase(self, now: dt.datetime | None = None) -> Phase:
        """Where the meeting stands for the people at it, which decides what its page puts
        first. Before the start: answers and the agenda. From the start until the notes are
        published (however long after the end that is): the register and the notes. Once
        the notes are published: the notes and actions. A proposed or cancelled meeting
        never happens, so its page stays an agenda (its notes, if any were published before
        a cancellation, still come first)."""
        if self.notes_published_at is not None:
            return Phase.AFTER
        if self.status != MeetingStatus.SCHEDULED:
            return Phase.BEFORE
        return Phase.BEFORE if (now or timezone.now()) < self.starts_at else Phase.DURING

    def place_text(self) -> str:
        """Where, in words: the host setting's name and address, the venue or the link."""
        if self.place_kind == PlaceKind.ONLINE:
            return f"Online: {self.online_url}" if self.online_url else "Online"
        if self.place_kind == PlaceKind.VENUE:
            return self.venue
        if self.host_setting is None:
            return "Host to be agreed"
        return self.host_setting.address_line()

    def touch(self) -> None:
        """Record a change that calendars must pick up."""
        self.sequence += 1
        self.updated_at = timezone.now()


class Response(models.TextChoices):
    ATTENDING = "attending", "Attending"
    DEPUTY = "deputy", "Sending a deputy"
    APOLOGIES = "apologies", "Apologies"


class Mark(models.TextChoices):
    ATTENDED = "attended", "Attended"
    DEPUTISED = "deputised", "Deputised"
    APOLOGIES = "apologies", "Apologies"
    ABSENT = "absent", "Absent"


class AttendanceQuerySet(ClusterScopedQuerySet["Attendance"]):
    """Answers and register marks: the cluster's agreed members read them (a deputy reads
    none: the meeting page shows who is coming to members only)."""

    cluster_path = "meeting__cluster"


class Attendance(models.Model):
    """A member's answer for one meeting, and the register mark taken at it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendances"
    )
    response = models.CharField(max_length=10, choices=Response.choices, blank=True)
    deputy_name = models.CharField(max_length=150, blank=True)
    deputy_email = models.EmailField(blank=True)
    # The deputy's account: it opens this meeting's agenda and notes, and nothing else.
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deputising",
    )
    deputy_last_seen_at = models.DateTimeField(null=True, blank=True)
    mark = models.CharField(max_length=10, choices=Mark.choices, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="one_answer_each")
        ]

    def __str__(self) -> str:
        return f"Attendance {self.pk}"


class ItemKind(models.TextChoices):
    CONCERN = "concern", "A concern"
    QUESTION = "question", "A question"
    RESEARCH = "research", "A research prompt"
    SHARE = "share", "Something to share"
    AOB = "aob", "Any other business"


class AgendaItemQuerySet(MeetingPartQuerySet["AgendaItem"]):
    def minuted(self) -> Self:
        """Items that go into the record: every item but those discussed off the record.
        Whatever leaves the meeting page (published notes, emails, search, summaries and
        figures) reads items through this."""
        return self.filter(off_record=False)


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=ItemKind.choices, default=ItemKind.CONCERN)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    # Computed under the meeting's row lock (services.agenda), so two items added at the
    # same moment take turns and get different places.
    position = models.PositiveIntegerField(default=0)
    # Raised whenever the item's text or time changes (a merge, the chair's timing): a
    # timing form drawn from an older version is refused rather than overwriting.
    version = models.PositiveIntegerField(default=1)
    # Discussed, not minuted: no notes or actions against it, left out of the published
    # notes, emails, search and figures; only the meeting page shows its title.
    off_record = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AgendaItemQuerySet.as_manager()

    class Meta:
        ordering = ["position", "created_at", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def label(self) -> str:
        """The item as the cluster's record names it (the activity log, messages that
        outlive the meeting page): an off-the-record item's title is never written there."""
        return "an item off the record" if self.off_record else f"\u201c{self.title}\u201d"


class NoteQuerySet(MeetingPartQuerySet["Note"]):
    pass


class Note(models.Model):
    """One contribution to a meeting's notes, against an item or the meeting as a whole.

    Contributions are separate rows so that several people can add at once without
    overwriting each other; each author can edit their own until the notes are published.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="notes")
    item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="notes"
    )
    # An open-actions review note refers to its action instead of an item.
    action = models.ForeignKey(
        "Action", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField()
    is_decision = models.BooleanField(default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Note {self.pk}"


class NoteDraftQuerySet(MeetingPartQuerySet["NoteDraft"]):
    """Drafts are read only by their author (``services.note_drafts``), at a meeting the
    author can see."""


#: A draft is as long as a note may be.
NOTE_MAX_CHARS = 10_000


class NoteDraft(models.Model):
    """A note being typed, kept on the server as the note-taker types (as feedback drafts
    are), so that leaving the page loses nothing. One per person per item (or per meeting,
    for a general note); deleted when the note is saved or the notes are published."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="note_drafts")
    item = models.ForeignKey(
        AgendaItem, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=NOTE_MAX_CHARS)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = NoteDraftQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "author"],
                condition=Q(item__isnull=False),
                name="one_note_draft_per_item",
            ),
            models.UniqueConstraint(
                fields=["meeting", "author"],
                condition=Q(item__isnull=True),
                name="one_general_note_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"Note draft {self.pk}"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class ActionQuerySet(ClusterScopedQuerySet["Action"]):
    """A cluster's actions: its agreed members read and update them (not a deputy, not a
    member who has not agreed, not a former member)."""

    def open(self) -> Self:
        return self.filter(status=ActionStatus.OPEN)

    def to_review_at(self, meeting: Meeting) -> Self:
        """Open actions set before ``meeting``: they come back until they are closed."""
        return self.open().filter(cluster_id=meeting.cluster_id, created_at__lt=meeting.starts_at)


class Action(models.Model):
    """A target: what, whose (a member, or the whole cluster when empty), by when."""

    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="actions"
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
    )
    due = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["due", "created_at", "pk"]

    def __str__(self) -> str:
        return self.title

    status_choices = ActionStatus.choices

    @property
    def latest_update(self) -> ActionUpdate | None:
        """The newest progress note (from the prefetched updates when there are some)."""
        updates = list(self.updates.all())
        return updates[-1] if updates else None

    @property
    def owner_label(self) -> str:
        return str(self.owner) if self.owner_id else "The whole cluster"


class ActionUpdateQuerySet(ClusterScopedQuerySet["ActionUpdate"]):
    cluster_path = "action__cluster"


class ActionUpdate(models.Model):
    """Progress on an action over time, and changes of its status."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=ActionStatus.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ActionUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Update {self.pk}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A person's private calendar address. The token is the only key; replacing it
    revokes the old address at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Calendar feed {self.pk}"
