from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from nextpractice.core.forms import StyledForm, style
from nextpractice.directory.models import Topic

from .models import Checklist, DocumentKind, ReviewKind

FOCUS_SLOTS = 4


class RequestForm(StyledForm):
    """A request for feedback; which fields are needed depends on its kind."""

    title = forms.CharField(max_length=200, label="Title")
    document_kind = forms.ChoiceField(
        choices=[("", "Choose"), *DocumentKind.choices], required=False, label="What it is"
    )
    file = forms.FileField(
        required=False,
        label="The document",
        help_text="PDF, Word, OpenDocument, Excel or PowerPoint; at most 20 MB.",
    )
    website_url = forms.URLField(required=False, label="Website address", assume_scheme="https")
    checklist = forms.ModelChoiceField(
        queryset=Checklist.objects.all(), required=False, label="Check it against"
    )
    walk_date = forms.DateField(
        required=False, label="Date of the walk", widget=forms.DateInput(attrs={"type": "date"})
    )
    walk_time = forms.TimeField(
        required=False, label="Start time", widget=forms.TimeInput(attrs={"type": "time"})
    )
    walk_minutes = forms.IntegerField(
        min_value=15, max_value=300, initial=60, required=False, label="Length in minutes"
    )
    arrival = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Arrival instructions",
        help_text="Where to park, which door, who meets you.",
    )
    feedback_by = forms.DateField(
        label="Feedback wanted by", widget=forms.DateInput(attrs={"type": "date"})
    )
    audience_choice = forms.ChoiceField(
        choices=[("all", "The whole cluster"), ("chosen", "Members I choose")],
        initial="all",
        widget=forms.RadioSelect,
        label="Who is asked",
    )
    audience = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Members I choose"
    )
    include_facilitator = forms.BooleanField(required=False, label="Ask our facilitator too")

    def __init__(self, *args: Any, kind: str, people: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.people = {str(p.pk): p for p in people}
        self.fields["audience"].choices = [(k, str(p)) for k, p in self.people.items()]  # type: ignore[attr-defined]
        topics = [("", "No topic")] + [(str(t.pk), t.name) for t in Topic.objects.all()]
        for n in range(1, FOCUS_SLOTS + 1):
            self.fields[f"focus_{n}"] = forms.CharField(
                max_length=300,
                required=n == 1,
                label=f"Focus area {n}" + ("" if n == 1 else " (optional)"),
                help_text="A question you want answered, e.g. \u201cIs my evidence for "
                "leadership convincing?\u201d"
                if n == 1
                else "",
            )
            self.fields[f"topic_{n}"] = forms.ChoiceField(
                choices=topics, required=False, label=f"Topic of focus area {n} (optional)"
            )
        keep = {
            ReviewKind.DOCUMENT: {"document_kind", "file"},
            ReviewKind.WEBSITE: {"website_url", "checklist"},
            ReviewKind.WALK: {"walk_date", "walk_time", "walk_minutes", "arrival"},
        }[ReviewKind(kind)]
        for name in [
            "document_kind",
            "file",
            "website_url",
            "checklist",
            "walk_date",
            "walk_time",
            "walk_minutes",
            "arrival",
        ]:
            if name not in keep:
                del self.fields[name]
        style(self)  # the fields added here get the design system's classes too

    def clean_feedback_by(self) -> dt.date:
        day: dt.date = self.cleaned_data["feedback_by"]
        if day < timezone.localdate():
            raise forms.ValidationError("Choose today or a later date")
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        required = {
            ReviewKind.DOCUMENT: [
                ("document_kind", "Say what the document is"),
                ("file", "Choose the document to share"),
            ],
            ReviewKind.WEBSITE: [
                ("website_url", "Give the website's address"),
                ("checklist", "Choose the checklist to use"),
            ],
            ReviewKind.WALK: [
                ("walk_date", "Give the date of the walk"),
                ("walk_time", "Give the start time"),
            ],
        }[ReviewKind(self.kind)]
        for name, message in required:
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        if data.get("audience_choice") == "chosen" and not data.get("audience"):
            self.add_error("audience", "Choose at least one member, or ask the whole cluster")
        walk_date = data.get("walk_date")
        if self.kind == ReviewKind.WALK and walk_date and walk_date < timezone.localdate():
            self.add_error("walk_date", "Choose a date in the future")
        return data

    def focus(self) -> list[tuple[str, Any]]:
        topics = {str(t.pk): t for t in Topic.objects.all()}
        found = []
        for n in range(1, FOCUS_SLOTS + 1):
            question = (self.cleaned_data.get(f"focus_{n}") or "").strip()
            if question:
                found.append((question, topics.get(self.cleaned_data.get(f"topic_{n}") or "")))
        return found

    def chosen(self) -> list[Any]:
        if self.cleaned_data.get("audience_choice") != "chosen":
            return []
        return [self.people[k] for k in self.cleaned_data.get("audience", [])]


class VersionForm(StyledForm):
    file = forms.FileField(label="New version", help_text="At most 20 MB.")


class ExemplarForm(StyledForm):
    title = forms.CharField(max_length=200, label="Title")
    document_kind = forms.ChoiceField(choices=DocumentKind.choices, label="What it is")
    note = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label="What it shows"
    )
    file = forms.FileField(label="The document", help_text="At most 20 MB.", required=False)
