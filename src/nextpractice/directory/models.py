from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from . import localauthorities
from .localauthorities import LocalAuthority
from .validators import (
    normalise_postcode,
    normalise_urn,
    parse_la_codes,
    validate_la_codes,
    validate_postcode,
    validate_urn,
)


class Area(models.Model):
    """A local authority, with the coordinators who run its pool of settings."""

    name = models.CharField("local authority", max_length=120, unique=True)
    # GIAS "LA (code)" of the local authority (or authorities) the area covers: an import
    # touches only rows with one of these codes. Set by an administrator, never by the
    # area's coordinator, whose upload it bounds.
    la_code = models.CharField(
        "LA code(s)",
        max_length=60,
        blank=True,
        validators=[validate_la_codes],
        help_text="DfE LA code(s) of England's local authorities (GIAS 'LA (code)'), e.g. "
        "380; several separated by commas. Ofsted rows are matched through the same codes.",
    )
    coordinators = models.ManyToManyField(
        django_settings.AUTH_USER_MODEL, blank=True, related_name="coordinated_areas"
    )
    min_cluster_size = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(2)],
        help_text="Clusters with fewer members are shown a warning.",
    )
    max_cluster_size = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(2), MaxValueValidator(12)]
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def la_codes(self) -> set[str]:
        return parse_la_codes(self.la_code)

    def authorities(self) -> list[LocalAuthority]:
        """The local authorities the area covers, from the shipped table."""
        return [la for code in sorted(self.la_codes()) if (la := localauthorities.get(code))]

    def clean(self) -> None:
        unknown = sorted(c for c in self.la_codes() if localauthorities.get(c) is None)
        if unknown:
            raise ValidationError(
                {"la_code": f"Not an English local authority's code: {', '.join(unknown)}"}
            )
        taken = {
            code
            for other in Area.objects.exclude(pk=self.pk).exclude(la_code="")
            for code in other.la_codes()
        }
        shared = sorted(self.la_codes() & taken)
        if shared:
            raise ValidationError({"la_code": f"Another area has LA code {', '.join(shared)}"})


class SettingKind(models.TextChoices):
    DAY_NURSERY = "day_nursery", "Day nursery"
    PRE_SCHOOL = "pre_school", "Pre-school"
    CHILDMINDER = "childminder", "Childminder"
    NURSERY_SCHOOL = "nursery_school", "Maintained nursery school"
    NURSERY_CLASS = "nursery_class", "Nursery class"
    INFANT = "infant", "Infant school"
    PRIMARY = "primary", "Primary school"
    CHILDRENS_CENTRE = "childrens_centre", "Children's centre"
    HOME_CHILDCARER = "home_childcarer", "Home childcarer"
    OUT_OF_SCHOOL = "out_of_school", "Out-of-school or holiday care"
    OTHER = "other", "Other"


class Intake(models.TextChoices):
    NONE = "none", "None"
    SOME = "some", "Some"
    MANY = "many", "Many"


class Setting(models.Model):
    """An early-years provider or school (not to be confused with Django settings)."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=SettingKind.choices)
    urn = models.CharField(
        "URN",
        max_length=8,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_urn],
        help_text="6 or 7 digits, or EY, RP or EH followed by 6 digits.",
    )
    # A setting on both registers (a school with a nursery, a nursery school) is one setting
    # with both numbers: ``urn`` from GIAS (or typed in), ``ofsted_urn`` from Ofsted's
    # childcare register; see directory.ofsted for how the two are matched.
    ofsted_urn = models.CharField(
        "Ofsted URN",
        max_length=8,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_urn],
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="settings", verbose_name="local authority"
    )
    # Ofsted publishes childminders and home childcarers as REDACTED: such a setting holds no
    # name or address of a person; she adds them herself, privately (PrivateSettingDetails).
    redacted = models.BooleanField(default=False, editable=False)
    registers = models.CharField("Ofsted registers", max_length=40, blank=True)
    inspection_outcome = models.CharField("latest full inspection", max_length=40, blank=True)
    inspection_date = models.DateField("latest full inspection date", null=True, blank=True)
    deprivation_band = models.PositiveSmallIntegerField(
        "deprivation band",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Ofsted's band of the area's deprivation: 1 is the most deprived fifth.",
    )
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=8, blank=True, validators=[validate_postcode])
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(49.0), MaxValueValidator(61.0)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-9.0), MaxValueValidator(2.5)]
    )
    # True when latitude/longitude are the centre of the postcode's district (outward code),
    # not of the postcode itself: see directory/locations.py.
    location_approximate = models.BooleanField("approximate location", default=False)
    website = models.URLField(blank=True)
    size = models.PositiveIntegerField("number of places or pupils", null=True, blank=True)
    percent_disadvantaged = models.DecimalField(
        "disadvantaged or eligible for free school meals (%)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    percent_eal = models.DecimalField(
        "English as an additional language (%)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    home_languages = models.CharField("main home languages", max_length=300, blank=True)
    new_arrivals = models.CharField(
        "new arrivals and refugee intake", max_length=4, choices=Intake.choices, blank=True
    )
    idaci_decile = models.PositiveSmallIntegerField(
        "IDACI decile",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="1 is the most deprived tenth of areas, 10 the least.",
    )
    is_open = models.BooleanField(default=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def shown_to_cluster(self) -> str:
        """The name her fellow cluster members see: a redacted childminder's own, once she
        has given it (select_related("private") keeps this query-free)."""
        private = getattr(self, "private", None)
        return private.name if private is not None else self.name

    def address_line(self) -> str:
        """Name, address and postcode on one line (calendar LOCATION, emails, pages)."""
        parts = [self.name, self.address.replace("\n", ", "), self.postcode]
        return ", ".join(p for p in parts if p)

    def clean(self) -> None:
        if self.urn:
            self.urn = normalise_urn(self.urn)
        if self.postcode:
            self.postcode = normalise_postcode(self.postcode)


class PrivateSettingDetailsQuerySet(models.QuerySet["PrivateSettingDetails"]):
    def of_leader(self, user: Any) -> PrivateSettingDetailsQuerySet:
        """The details of the setting ``user`` leads. Her fellow cluster members read them
        through ``clusters.access.private_details_for`` (the directory sits below clusters);
        nobody else, no coordinator and no area directory, reads them at all."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(setting__leaders__user=user)


class PrivateSettingDetails(models.Model):
    """What a childminder (published as REDACTED) tells of her setting once she joins: its
    name and postcode. Her cluster sees them; the area directory and coordinators do not."""

    setting = models.OneToOneField(Setting, on_delete=models.CASCADE, related_name="private")
    name = models.CharField("your setting's name", max_length=200)
    postcode = models.CharField(max_length=8, validators=[validate_postcode])
    updated_at = models.DateTimeField(auto_now=True)

    objects = PrivateSettingDetailsQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Private details of setting {self.setting_id}"


class Postcode(models.Model):
    """A postcode's centre on the British National Grid, from the ONS Postcode Directory or
    OS Code-Point Open (public data; ``nextpractice import_postcodes`` loads it whole, and
    loading it again replaces it). Kept as the files give it, in metres: only the few
    settings that need it are converted to latitude and longitude."""

    postcode = models.CharField(max_length=8, primary_key=True)  # normalised: "LS1 1UR"
    easting = models.PositiveIntegerField()
    northing = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.postcode


class ClosureDay(models.Model):
    """A term-time day the setting is closed to children (INSET, polling day, ...)."""

    setting = models.ForeignKey(Setting, on_delete=models.CASCADE, related_name="closure_days")
    date = models.DateField()
    reason = models.CharField(max_length=100, blank=True, default="INSET day")

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["setting", "date"], name="closure_day_once")]

    def __str__(self) -> str:
        return f"{self.date:%d %b %Y}: {self.reason}"


class Value(models.Model):
    """One of the shared list of values leaders rate (data, editable in admin)."""

    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    """An area of the shared taxonomy of strengths and areas to develop (data, not code)."""

    name = models.CharField(max_length=80, unique=True)
    group = models.CharField(
        max_length=40, blank=True, help_text="Inspection areas or everyday leadership."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class PreferredTime(models.TextChoices):
    MORNING = "morning", "Morning"
    LUNCHTIME = "lunchtime", "Lunchtime"
    AFTERNOON = "afternoon", "Mid-afternoon (around 3pm)"
    AFTER_SCHOOL = "after_school", "After school (4pm or later)"


WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday")]


class LeaderProfile(models.Model):
    user = models.OneToOneField(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    job_title = models.CharField(max_length=100, blank=True)
    setting = models.ForeignKey(
        Setting, on_delete=models.SET_NULL, null=True, blank=True, related_name="leaders"
    )
    years_in_leadership = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(60)]
    )
    phone = models.CharField(
        max_length=30, blank=True, help_text="Shown only to fellow members of your clusters."
    )
    preferred_days = models.JSONField(default=list, blank=True)
    preferred_time = models.CharField(max_length=20, choices=PreferredTime.choices, blank=True)
    max_travel_km = models.PositiveSmallIntegerField(
        "how far you will travel (km)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )
    values = models.ManyToManyField(Value, through="ValueRating", blank=True)  # type: ignore[var-annotated]
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    NEW_LEADER_YEARS = 2

    @property
    def is_new_leader(self) -> bool:
        return self.years_in_leadership is not None and (
            self.years_in_leadership < self.NEW_LEADER_YEARS
        )

    def mark_completed(self) -> None:
        if self.completed_at is None:
            self.completed_at = timezone.now()


class ValueRating(models.Model):
    profile = models.ForeignKey(LeaderProfile, on_delete=models.CASCADE, related_name="ratings")
    value = models.ForeignKey(Value, on_delete=models.CASCADE)
    importance = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "value"], name="value_rated_once")
        ]

    def __str__(self) -> str:
        return f"{self.value_id}: {self.importance}"


class TopicChoice(models.Model):
    """A profile's strength, or area it wants to develop, from the shared taxonomy."""

    STRENGTH = "strength"
    DEVELOP = "develop"
    KINDS = [(STRENGTH, "Strength"), (DEVELOP, "Area to develop")]

    profile = models.ForeignKey(LeaderProfile, on_delete=models.CASCADE, related_name="topics")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE)
    kind = models.CharField(max_length=10, choices=KINDS)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "topic"], name="topic_chosen_once")
        ]

    def __str__(self) -> str:
        return f"{self.topic_id} ({self.kind})"


class SettingClaim(models.Model):
    """A leader's request to be recognised as leading a setting ("I lead this setting").

    Until the area's coordinator approves it, the leader has no link to the setting and no
    right to edit it: the setting's address becomes a meeting venue in other members'
    calendars and its closure days become clashes in plans, so nobody may assert it alone.
    """

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    STATES = [
        (PENDING, "Waiting"),
        (APPROVED, "Approved"),
        (DECLINED, "Declined"),
        (WITHDRAWN, "Withdrawn"),
    ]

    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="setting_claims"
    )
    setting = models.ForeignKey(Setting, on_delete=models.CASCADE, related_name="claims")
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(state="pending"), name="one_pending_claim"
            )
        ]

    def __str__(self) -> str:
        return f"Setting claim {self.pk}"


class SettingsImport(models.Model):
    """A coordinator's GIAS or Ofsted upload, imported by the worker: a 20,000-row update
    takes longer than a web request may, so the page shows its progress and then its report.

    All or nothing: every setting is written, with the report and the state "done", in one
    transaction at the end; a run killed half way wrote nothing and is run again."""

    WAITING, RUNNING, DONE, FAILED = "waiting", "running", "done", "failed"
    STATES = [(WAITING, "Waiting"), (RUNNING, "Importing"), (DONE, "Done"), (FAILED, "Failed")]

    GIAS, OFSTED = "gias", "ofsted"
    REGISTERS = [(GIAS, "GIAS establishments"), (OFSTED, "Ofsted childcare providers")]

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="imports")
    register = models.CharField(max_length=10, choices=REGISTERS, default=GIAS)
    uploaded_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(max_length=200)
    # The upload itself (public register data, at most 10 MB), in the same transaction as
    # the job so a worker always finds it; emptied once the import has finished.
    data = models.BinaryField(editable=False)
    state = models.CharField(max_length=10, choices=STATES, default=WAITING)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # Touched as rows are read: a run whose heartbeat stops is taken over by another worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)  # lines in the file: about the rows
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    outside = models.PositiveIntegerField(default=0)  # rows of other authorities
    # [[row number, URN, reason], ...] as gias.RowProblem, for the result page.
    skipped = models.JSONField(default=list, blank=True)
    rejected = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.pk}"

    @property
    def finished(self) -> bool:
        return self.state in {self.DONE, self.FAILED}

    @property
    def imported(self) -> int:
        return self.created + self.updated

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        return min(99, 100 * self.rows_read // self.rows_total) if self.rows_total else 0
