"""A copy of everything held about one person (UK GDPR, the right of access).

One zip: ``summary.html`` to read, ``data.json`` for a machine. The rows come from a walk of
every foreign key and many-to-many field to the user model (so a model added later is in
the copy without anyone remembering it), plus a few sections that need shaping: the
clusters by name, the setting they lead, the feedback others gave them, the emails sent to
their address and the audit entries about their account. One query per field and section:
the count does not grow with the person's data.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone

from nextpractice.accounts.models import Invitation, User
from nextpractice.audit.models import AuditEntry
from nextpractice.clusters.models import Membership
from nextpractice.core.models import OutboundEmail
from nextpractice.directory.models import Setting, TopicChoice, ValueRating
from nextpractice.reviews.models import FocusAnswer
from nextpractice.support.models import HelpReply

from .registry import NOT_EXPORTED, SECRET_COLUMNS

PERSON_FIELDS = [
    "id",
    "email",
    "full_name",
    "first_name",
    "last_name",
    "date_joined",
    "last_login",
    "is_active",
    "is_researcher",
]


@dataclass
class Section:
    key: str
    title: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return list(self.rows[0]) if self.rows else []

    @property
    def table(self) -> list[list[Any]]:
        return [list(row.values()) for row in self.rows]


def user_fields() -> list[models.Field[Any, Any]]:
    """Every foreign key, one-to-one and many-to-many field to the user model, in every
    installed app (proxies left out: their fields are their concrete model's)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for f in model._meta.get_fields():
            if (
                f.is_relation
                and f.concrete
                and (f.many_to_one or f.one_to_one or f.many_to_many)
                and f.related_model is User
            ):
                found.append(f)
    return found  # type: ignore[return-value]


def field_label(f: models.Field[Any, Any]) -> str:
    return f"{f.model._meta.label}.{f.name}"


def _columns(model: type[models.Model]) -> list[str]:
    # Uploaded files by name (the file itself is the person's own upload); raw binary
    # (an import's original file) is left out: it is a list of settings, not about them.
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f"{model._meta.label}.{f.name}" not in SECRET_COLUMNS
        and not isinstance(f, models.BinaryField)
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return value


def _rows(queryset: models.QuerySet[Any], columns: list[str]) -> list[dict[str, Any]]:
    return [
        {column: _plain(value) for column, value in row.items()}
        for row in queryset.values(*columns)
    ]


def _generic_sections(user: User) -> list[Section]:
    sections = []
    for f in user_fields():
        label = field_label(f)
        if label in NOT_EXPORTED:
            continue
        model = f.model
        # The person's own rows, across every cluster they were in: filtered by the person
        # themselves, which is the point of the copy (the base manager, as cluster scoping
        # answers "who may read this cluster", not "what is about this person").
        queryset = model._base_manager.filter(**{f.name: user}).order_by("pk")
        title = f"{str(model._meta.verbose_name_plural).capitalize()} ({f.verbose_name})"
        sections.append(Section(label, title, _rows(queryset, _columns(model))))
    return sections


def _shaped_sections(user: User) -> list[Section]:
    emails = [user.email.lower()]
    return [
        Section(
            "clusters",
            "Your clusters",
            _rows(
                Membership.objects.of(user).select_related("cluster").order_by("pk"),
                ["cluster__name", "role", "joined_at", "left_at", "left_reason"],
            ),
        ),
        Section(
            "settings_led",
            "The setting you lead",
            _rows(
                Setting.objects.filter(leaders__user=user).order_by("pk"),
                ["name", "kind", "urn", "address", "postcode", "website"],
            ),
        ),
        Section(
            "values",
            "Your values",
            _rows(
                ValueRating.objects.filter(profile__user=user).order_by("pk"),
                ["value__name", "importance"],
            ),
        ),
        Section(
            "topics",
            "Your strengths and needs",
            _rows(
                TopicChoice.objects.filter(profile__user=user).order_by("pk"),
                ["topic__name", "kind"],
            ),
        ),
        Section(
            "feedback_given",
            "Feedback you gave, question by question",
            _rows(
                # Their own answers, filtered by the reviewer (the person themselves).
                FocusAnswer.objects.unscoped().filter(feedback__reviewer=user).order_by("pk"),
                ["feedback__request__title", "focus__question", "strengths", "next_steps"],
            ),
        ),
        Section(
            "feedback_received",
            "Feedback you received",
            _rows(
                # Feedback sent on their own requests, as the request's page shows it them.
                FocusAnswer.objects.unscoped()
                .filter(feedback__request__requester=user, feedback__submitted_at__isnull=False)
                .order_by("pk"),
                [
                    "feedback__request__title",
                    "focus__question",
                    "feedback__reviewer__full_name",
                    "strengths",
                    "next_steps",
                    "helpful",
                ],
            ),
        ),
        Section(
            "help_received",
            "Answers to your requests for help",
            _rows(
                # Answers on their own requests, as the request's page shows them.
                HelpReply.objects.unscoped().filter(request__requester=user).order_by("pk"),
                ["request__title", "author__full_name", "kind", "text", "created_at"],
            ),
        ),
        Section(
            "emails",
            "Emails sent to you",
            _rows(
                OutboundEmail.objects.filter(to__in=emails).order_by("pk"),
                ["to", "subject", "body", "created_at", "sent_at"],
            ),
        ),
        Section(
            "invitations",
            "Invitations to your address",
            _rows(
                Invitation.objects.of(user).order_by("pk"),
                ["email", "cluster__name", "role", "message", "created_at", "used_at"],
            ),
        ),
        Section(
            "audit_about_you",
            "Audit entries about your account",
            _rows(
                # Entries about the account itself belong to no cluster.
                AuditEntry.objects.unscoped()
                .filter(object_type=User._meta.label_lower, object_id=str(user.pk))
                .order_by("pk"),
                ["created_at", "verb", "summary"],
            ),
        ),
    ]


def collect(user: User) -> dict[str, Any]:
    """Everything held about ``user``, as plain data."""
    person = {name: _plain(getattr(user, name)) for name in PERSON_FIELDS}
    sections = _shaped_sections(user) + _generic_sections(user)
    return {
        "generated_at": timezone.localtime().isoformat(),
        "site": settings.SITE_URL,
        "person": person,
        "sections": [{"key": s.key, "title": s.title, "rows": s.rows} for s in sections],
    }


def build_zip(user: User) -> bytes:
    data = collect(user)
    sections = [Section(s["key"], s["title"], s["rows"]) for s in data["sections"]]
    summary = render_to_string(
        "privacy/export_summary.html",
        {"data": data, "person": data["person"], "sections": sections},
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("summary.html", summary)
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2))
    return buffer.getvalue()
