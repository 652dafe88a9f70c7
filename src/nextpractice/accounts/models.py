from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, Self

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Exists
from django.utils import timezone

from nextpractice.core import memo
from nextpractice.core.scoping import ClusterScopedQuerySet


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


# Titles a full name may begin with: never the name someone is greeted by.
TITLES = frozenset(
    {"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "sir", "dame"}
    | {"rev", "revd", "reverend", "lady", "lord", "fr"}
)


class User(AbstractUser):
    """A person: a leader, facilitator, coordinator, researcher or admin. Email is the login."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField("full name", max_length=150, blank=True)
    is_researcher = models.BooleanField(
        default=False, help_text="Sees anonymised aggregates only, nothing personal."
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    objects = UserManager()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        """The name to greet someone by: the first of the names they gave, past a title
        ("Dr Kerry Lomax" is Kerry, not "Dr"); with no name, the start of their email."""
        words = self.full_name.split()
        while len(words) > 1 and words[0].rstrip(".").lower() in TITLES:
            words = words[1:]
        return words[0] if words else self.email.split("@")[0]

    @property
    def is_coordinator(self) -> bool:
        if not hasattr(self, "_is_coordinator"):
            # Through the reverse relation: accounts sits under the directory.
            self._is_coordinator = self.coordinated_areas.exists()
        return self._is_coordinator

    @classmethod
    def for_request(cls, pk: Any) -> User | None:
        """The signed-in person as every page asks for them (the session's backends read
        them so): with their leader's profile and its setting, or None (the header's "My
        profile", the home page), and whether they coordinate an area (the second-factor
        rule asks on every request). The person's row is read each time (sign-in checks its
        password hash, which is never kept elsewhere); the rest is kept between requests
        (core.memo) until a profile, setting or coordinator is written."""
        try:
            pk = User._meta.pk.to_python(pk)
        except ValidationError:
            return None
        # One plain statement, as Django's own backends read it: built by the ORM it costs
        # more than the read itself, on every request.
        q = connection.ops.quote_name
        table, column = q(User._meta.db_table), q(User._meta.pk.column)
        found = User.objects.raw(f"SELECT * FROM {table} WHERE {column} = %s", [pk])  # noqa: S608
        user = next(iter(found), None)
        if user is not None:
            user.read_what_every_page_asks()
        return user

    def _whoami(self) -> tuple[Any, bool]:
        # The profile is the directory's (above accounts): reached by its reverse accessor,
        # joined from the person's row so that someone with no profile (a coordinator, a
        # researcher) is answered by the same one query.
        accessor = User.profile.related.get_accessor_name() or ""
        coordinates = User.coordinated_areas.through.objects.filter(user_id=self.pk)
        row = (
            User.objects.filter(pk=self.pk)
            .select_related(accessor, f"{accessor}__setting")
            .annotate(coordinates=Exists(coordinates))
            .first()
        )
        if row is None:
            return None, False
        # A missing reverse one-to-one raises an AttributeError subclass: getattr's default.
        profile = getattr(row, accessor, None)
        if profile is not None:
            # Kept without the person's row: the page's own reading of it is the one used.
            User.profile.related.field.delete_cached_value(profile)
        return profile, bool(getattr(row, "coordinates"))  # noqa: B009

    def read_what_every_page_asks(self) -> None:
        """The person's profile and whether they coordinate (``for_request``), kept on this
        object, which lives for one request."""
        if hasattr(self, "_is_coordinator"):
            return
        profile, self._is_coordinator = memo.kept(("whoami", self.pk, memo.minute()), self._whoami)
        related = User.profile.related
        related.set_cached_value(self, profile)
        if profile is not None:
            related.field.set_cached_value(profile, self)

    @property
    def needs_second_factor(self) -> bool:
        """Coordinators and admins see many people's details: TOTP is required of them."""
        return self.is_staff or self.is_superuser or self.is_coordinator


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(ClusterScopedQuerySet["Invitation"]):
    """A cluster's invitations are read by its agreed members (``visible_to``); a person's
    own are ``of(user)`` (by address); sending and claiming by token is ``unscoped()``."""

    def pending(self) -> Self:
        return self.filter(used_at=None, declined_at=None, expires_at__gt=timezone.now())

    def of(self, user: Any) -> Self:
        if not getattr(user, "is_authenticated", False) or not user.email:
            return self.none()
        return self.filter(email__iexact=user.email)


class Invitation(models.Model):
    """A single-use, expiring link bound to one email address.

    It invites someone to join the platform and, when ``cluster`` is set, that cluster.
    Only a hash of the token is stored, so a database leak gives no working links.
    """

    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    cluster = models.ForeignKey(
        "clusters.Cluster",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    area = models.ForeignKey(
        "directory.Area", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=20, default="member")
    # A coordinator's invitation to the leader of one setting of their area: accepting it
    # establishes the leader's link to that setting (the only ways are this and a request
    # the coordinator approves, see directory.services).
    setting = models.ForeignKey(
        "directory.Setting", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The invitee's name as the coordinator's list gives it (a bulk invitation): greets her
    # in the email and starts her account's name.
    name = models.CharField(max_length=150, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    LIFETIME = timedelta(days=14)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation {self.pk}"

    @classmethod
    def issue(cls, email: str, **fields: Any) -> tuple[Invitation, str]:
        """Create an invitation; returns it with the raw token (shown once, in the email)."""
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        invitation = cls.objects.create(
            email=email.strip().lower(),
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + cls.LIFETIME,
            **fields,
        )
        return invitation, token

    @classmethod
    def find(cls, token: str) -> Invitation | None:
        return (
            cls.objects.unscoped()
            .select_related("cluster", "invited_by", "setting")
            .filter(token_hash=_hash(token))
            .first()
        )

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        return self.used_at is None and self.declined_at is None and not self.is_expired

    def claim(self) -> bool:
        """Mark used, atomically: of two simultaneous clicks only one succeeds."""
        now = timezone.now()
        claimed = (
            Invitation.objects.unscoped()
            .filter(pk=self.pk, used_at=None, declined_at=None, expires_at__gt=now)
            .update(used_at=now)
        )
        self.used_at = now if claimed else self.used_at
        return claimed == 1
