"""Erasure of an account (UK GDPR, the right to erasure), and the record of a download.

``erase`` runs in one transaction: the person's own data goes (profile, preferences,
sign-in methods, sessions, invitations and emails to their address); what they contributed
inside a cluster stays for the cluster's record as a former member's, unless they asked for
it to go too; their name, email address and phone number are replaced wherever the product
wrote them into text (audit summaries, notifications, emails to others); the account is
kept as an anonymous, disabled row so that what stays has someone to point at ("A former
member"). The audit log records that an account was erased, without saying whose.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Left, Replace
from django.utils import timezone

from nextpractice.accounts.models import Invitation, User
from nextpractice.audit.models import record
from nextpractice.clusters import services as cluster_services
from nextpractice.clusters.models import Membership
from nextpractice.core.models import OutboundEmail
from nextpractice.directory.models import LeaderProfile, PrivateSettingDetails
from nextpractice.reviews.models import DocumentVersion, Exemplar

from .export import field_label, user_fields
from .registry import ERASURE, Treatment

log = logging.getLogger(__name__)

FORMER_MEMBER = "A former member"
REMOVED = "[removed]"
# Shorter names and numbers are not replaced inside others' text: "Jo" would turn every
# "Jolly" into nonsense. The export and the erasure page say so.
SHORTEST_REPLACED = 6
# Text of removed contributions shorter than this is not searched for elsewhere.
SHORTEST_QUOTE = 10
# Values replaced per UPDATE: a bounded expression, whatever a person wrote.
CHUNK = 20
TEXT_FIELDS = (models.CharField, models.TextField)  # EmailField is a CharField


class ErasureError(Exception):
    """The account cannot be erased as asked."""


@dataclass(frozen=True)
class Erased:
    user_id: int
    contributions_removed: bool
    rows_deleted: int


def record_export(user: User) -> None:
    record(user, "privacy.exported", user, "Downloaded a copy of their data")


def erased_email(user_id: int) -> str:
    return f"former-member-{user_id}@erased.invalid"


def is_erased(user: User) -> bool:
    return user.email == erased_email(user.pk)


@transaction.atomic
def erase(
    user: User,
    *,
    remove_contributions: bool,
    now: datetime | None = None,
    by: Any = None,
) -> Erased:
    """Erase ``user``'s account; see the module's docstring for what that means. ``by`` is
    the administrator who did it for them (recorded), or None (or themselves: not named)."""
    now = now or timezone.now()
    user = User.objects.select_for_update().get(pk=user.pk)
    if is_erased(user):
        raise ErasureError("This account has already been deleted.")
    if (
        user.is_superuser
        and not User.objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).exists()
    ):
        raise ErasureError(
            "You are the only administrator: make someone else an administrator first, "
            "or nobody could run the site. Nothing has been deleted."
        )
    emails = sorted({user.email.lower(), *_addresses(user)})
    profile = LeaderProfile.objects.filter(user=user).first()
    identifiers = [*emails]
    for value in [user.full_name, user.get_full_name(), f"{user.first_name} {user.last_name}"]:
        if len(value.strip()) >= SHORTEST_REPLACED and "@" not in value:
            identifiers.append(value.strip())
    phones = [profile.phone] if profile and len(profile.phone.strip()) >= SHORTEST_REPLACED else []

    deleted = 0
    # A childminder's setting is her home: the name and postcode she gave it privately go
    # with her, unless someone else still leads it.
    if (
        profile
        and profile.setting_id
        and not LeaderProfile.objects.filter(setting_id=profile.setting_id)
        .exclude(user=user)
        .exists()
    ):
        deleted += PrivateSettingDetails.objects.filter(setting_id=profile.setting_id).delete()[0]
    quotes: list[str] = []
    files: list[str] = []
    if remove_contributions:
        files = _files_of(user)
        for f in _fields(Treatment.CONTRIBUTION):
            rows = f.model._base_manager.filter(**{f.name: user})
            quotes += _texts(rows)
            deleted += rows.delete()[0]

    # Leaving every cluster as anyone leaves (open proposals to remove them are withdrawn,
    # the cluster's activity says someone left): the membership stays, as a former member's.
    for membership in Membership.objects.of(user).current().select_related("cluster", "user"):
        cluster_services.leave(membership)
    for f in _fields(Treatment.PERSONAL):
        if f.many_to_many:
            m2m: Any = f  # a ManyToManyField: its rows live in the through model
            through = m2m.remote_field.through
            deleted += through._base_manager.filter(
                **{m2m.m2m_reverse_field_name(): user}
            ).delete()[0]
        else:
            deleted += f.model._base_manager.filter(**{f.name: user}).delete()[0]
    # Invitations to their address (any cluster's: the address is theirs) and every email
    # to them, sent or waiting.
    deleted += Invitation.objects.unscoped().filter(email__in=emails).delete()[0]
    deleted += OutboundEmail.objects.filter(to__in=emails).delete()[0]
    deleted += _end_sessions(user)

    user.email = erased_email(user.pk)
    user.full_name = FORMER_MEMBER
    user.first_name = user.last_name = ""
    user.is_active = user.is_staff = user.is_superuser = user.is_researcher = False
    user.last_login = None
    user.set_unusable_password()
    user.save()

    _blank_address_columns(emails)
    _replace_everywhere(identifiers, FORMER_MEMBER.lower())
    _replace_everywhere(phones, REMOVED)
    _replace_everywhere(sorted(set(quotes), key=len, reverse=True), REMOVED)
    record(
        by if by is not None and by.pk != user.pk else None,
        "account.erased",
        user,
        "An account was deleted at its holder's request; "
        + ("what they contributed was removed" if remove_contributions else "contributions kept"),
    )
    if files:
        transaction.on_commit(lambda: _delete_files(files))
    log.info("account %s erased (%s rows deleted)", user.pk, deleted)
    return Erased(user.pk, remove_contributions, deleted)


def _addresses(user: User) -> list[str]:
    addresses = EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    return [address.lower() for address in addresses]


def _fields(treatment: Treatment) -> list[models.Field[Any, Any]]:
    found = []
    for f in user_fields():
        classified = ERASURE.get(field_label(f))
        if classified is None:
            raise ErasureError(f"{field_label(f)} is not classified in privacy.registry")
        if classified[0] is treatment:
            found.append(f)
    return found


def _texts(rows: models.QuerySet[models.Model]) -> list[str]:
    names = [f.attname for f in rows.model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
    if not names:
        return []
    return [
        value.strip()
        for row in rows.values_list(*names)
        for value in row
        if isinstance(value, str) and len(value.strip()) >= SHORTEST_QUOTE
    ]


def _files_of(user: User) -> list[str]:
    names = set(
        DocumentVersion.objects.unscoped()  # their own requests' files, found by them
        .filter(request__requester=user)
        .values_list("file", flat=True)
    ) | set(Exemplar.objects.unscoped().filter(shared_by=user).values_list("file", flat=True))
    return sorted(name for name in names if name)


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        still_used = (
            DocumentVersion.objects.unscoped().filter(file=name).exists()
            or Exemplar.objects.unscoped().filter(file=name).exists()
        )
        if not still_used:
            try:
                default_storage.delete(name)
            except OSError:
                log.warning("could not delete an erased account's file %s", name)


def _end_sessions(user: User) -> int:
    keys = set(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    # Sessions not tracked by allauth (signed in before it was, or by a test client) are
    # found by decoding: erasure is rare, and a session left would keep them signed in.
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            keys.add(session.session_key)
    return Session.objects.filter(session_key__in=keys).delete()[0]


def _stored_fields() -> list[tuple[type[models.Model], models.Field[Any, Any]]]:
    return [
        (model, f)
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
        for f in model._meta.concrete_fields
    ]


def text_columns() -> list[tuple[type[models.Model], str, int | None]]:
    """Every stored free-text column of every installed model (proxies and unmanaged left
    out; choices and email addresses too, see ``_blank_address_columns``), with its length.
    Accounts are left out: another person may have the same name, and keeps it."""
    return [
        (model, f.attname, f.max_length)
        for model, f in _stored_fields()
        if model is not User
        and isinstance(f, TEXT_FIELDS)
        and not isinstance(f, models.EmailField)
        and not f.choices
    ]


def _blank_address_columns(emails: list[str]) -> None:
    """An email column holding exactly their address (an event's organising contact, a
    deputy's address) is emptied. Addresses are matched whole: "al@x.test" is inside
    "val@x.test", and other people's logins must not change."""
    for model, f in _stored_fields():
        if isinstance(f, models.EmailField) and model is not User:
            same = Q()
            for email in emails:
                same |= Q(**{f"{f.attname}__iexact": email})
            # Every row holding their address, whoever's it is: this is the erasure itself.
            model._base_manager.filter(same).update(**{f.attname: ""})


def _replace_everywhere(values: list[str], replacement: str) -> None:
    """Replace each value inside every text column of the database with ``replacement``."""
    values = [v for v in values if v]
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        for model, column, max_length in text_columns():
            found = Q()
            expression: models.Expression | models.F = models.F(column)
            for value in chunk:
                found |= Q(**{f"{column}__contains": value})
                expression = Replace(expression, Value(value), Value(replacement))
            if max_length:
                # A replacement longer than the value must not overflow the column.
                expression = Left(expression, max_length)
            # Rows of every model, whoever they belong to: this is the erasure itself.
            model._base_manager.filter(found).update(**{column: expression})
