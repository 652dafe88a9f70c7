"""Every input of opening up, query strings included, goes through one of these forms.

Bad input is refused with a message, and changes nothing. The messages never quote the value
sent (Django's choice errors do: a megabyte of it would come back in the page).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from nextpractice.core.forms import StyledForm, style
from nextpractice.core.once import OnceKeyMixin
from nextpractice.directory.models import Topic
from nextpractice.meetings import planner

from . import services
from .models import (
    Checklist,
    ChecklistItem,
    DocumentKind,
    DocumentVersion,
    FocusArea,
    Found,
    ReviewKind,
    ReviewRequest,
)

FOCUS_SLOTS = 4
# Far enough ahead for any real plan; a date near year 9999 would overflow once a walk's
# length is added to it.
HORIZON = dt.timedelta(days=2 * 366)
CHOOSE = "Choose one of the options"


def _no_echo(form: forms.BaseForm) -> None:
    """Choice errors that do not repeat the value sent (Django's default does)."""
    for field in form.fields.values():
        for key, message in list(field.error_messages.items()):
            if "%(value)" in str(message) or "%(pk)" in str(message):
                field.error_messages[key] = CHOOSE


def _checked(upload: Any) -> services.CheckedFile:
    try:
        return services.check_upload(upload)
    except services.ReviewError as e:
        raise forms.ValidationError(str(e)) from None


def _within_horizon(day: dt.date, what: str) -> dt.date:
    if day > timezone.localdate() + HORIZON:
        raise forms.ValidationError(f"Choose {what} within the next two years")
    return day


class RequestForm(OnceKeyMixin, StyledForm):
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
        _no_echo(self)

    def clean_feedback_by(self) -> dt.date:
        day: dt.date = self.cleaned_data["feedback_by"]
        if day < timezone.localdate():
            raise forms.ValidationError("Choose today or a later date")
        return _within_horizon(day, "a date")

    def clean_walk_date(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("walk_date")
        return _within_horizon(day, "a date") if day else day

    def clean_file(self) -> services.CheckedFile | None:
        upload = self.cleaned_data.get("file")
        return _checked(upload) if upload else None

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
        data["walk_starts_at"] = (
            planner.local_datetime(walk_date, data["walk_time"])
            if self.kind == ReviewKind.WALK and walk_date and data.get("walk_time")
            else None
        )
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
    file = forms.FileField(
        label="New version",
        help_text="At most 20 MB.",
        error_messages={"required": "Choose the file to upload"},
    )

    def clean_file(self) -> services.CheckedFile:
        return _checked(self.cleaned_data["file"])


class ExemplarForm(StyledForm):
    """Share an example: a new file, or (``version``) one's own document already shared
    for feedback, looked up among one's own versions only."""

    title = forms.CharField(max_length=200, label="Title")
    document_kind = forms.ChoiceField(choices=DocumentKind.choices, label="What it is")
    note = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label="What it shows"
    )
    file = forms.FileField(label="The document", help_text="At most 20 MB.", required=False)
    version: forms.ModelChoiceField[DocumentVersion] = forms.ModelChoiceField(
        queryset=None,  # set per person in __init__
        required=False,
        widget=forms.HiddenInput,
        label="Your document",
    )

    def __init__(self, *args: Any, versions: QuerySet[DocumentVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions  # type: ignore[attr-defined]
        _no_echo(self)
        self.fields["version"].error_messages["invalid_choice"] = (
            "Choose one of your own documents, or upload a file"
        )

    def clean_file(self) -> services.CheckedFile | None:
        upload = self.cleaned_data.get("file")
        return _checked(upload) if upload else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not data.get("version") and not self.errors:
            self.add_error("file", "Choose the document to share")
        return data


class PickVersionForm(forms.Form):
    """``?version=`` on the example library: which of one's documents to share."""

    version: forms.ModelChoiceField[DocumentVersion] = forms.ModelChoiceField(
        queryset=None,  # set per person in __init__
        required=False,
    )

    def __init__(self, *args: Any, versions: QuerySet[DocumentVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions  # type: ignore[attr-defined]

    def picked(self) -> DocumentVersion | None:
        return self.cleaned_data["version"] if self.is_valid() else None


class StepForm(forms.Form):
    """``?step=`` on a learning walk's feedback: one focus area per screen, then the last."""

    step = forms.TypedChoiceField(choices=[], coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, steps: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [(str(n), str(n)) for n in range(1, steps + 2)]  # type: ignore[attr-defined]

    def screen(self) -> int:
        """The screen asked for, or 0 (every area on one page) when none or not a screen."""
        return int(self.cleaned_data["step"] or 0) if self.is_valid() else 0


_STEP = re.compile(r"step-([0-9]{1,3})")


class FeedbackForm(forms.Form):
    """A reviewer's answers. Only the focus areas and checklist items present in the post
    are changed, so a phone sending one screen at a time keeps the others."""

    overall = forms.CharField(required=False, max_length=4000, label="Overall comment")
    do = forms.CharField(required=False, max_length=12, label="Button")

    def __init__(
        self,
        *args: Any,
        focus_areas: list[FocusArea],
        items: list[ChecklistItem],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.focus_areas = focus_areas
        self.items = items
        for focus in focus_areas:
            self.fields[f"strengths-{focus.pk}"] = forms.CharField(
                required=False, max_length=4000, label=f"Strengths on \u201c{focus.question}\u201d"
            )
            self.fields[f"next-{focus.pk}"] = forms.CharField(
                required=False,
                max_length=4000,
                label=f"Next steps on \u201c{focus.question}\u201d",
            )
        for item in items:
            self.fields[f"check-{item.pk}"] = forms.ChoiceField(
                choices=[("", "Not marked"), *Found.choices],
                required=False,
                label=item.text,
                error_messages={"invalid_choice": "Mark each item found, partly or missing"},
            )
            self.fields[f"note-{item.pk}"] = forms.CharField(
                required=False, max_length=500, label=f"Note on {item.text}"
            )

    def clean_do(self) -> str:
        do: str = self.cleaned_data.get("do") or "draft"
        step = _STEP.fullmatch(do)
        if do in {"draft", "send"} or (step and 1 <= int(step[1]) <= len(self.focus_areas) + 1):
            return do
        raise forms.ValidationError("Use one of the form's buttons")

    @property
    def sending(self) -> bool:
        return bool(self.cleaned_data["do"] == "send")

    def next_step(self) -> int | None:
        step = _STEP.fullmatch(self.cleaned_data["do"])
        return int(step[1]) if step else None

    def answers(self) -> dict[int, tuple[str, str]]:
        return {
            f.pk: (self.cleaned_data[f"strengths-{f.pk}"], self.cleaned_data[f"next-{f.pk}"])
            for f in self.focus_areas
            if f"strengths-{f.pk}" in self.data or f"next-{f.pk}" in self.data
        }

    def checklist(self) -> dict[int, tuple[str, str]]:
        return {
            i.pk: (self.cleaned_data[f"check-{i.pk}"], self.cleaned_data[f"note-{i.pk}"])
            for i in self.items
            if f"check-{i.pk}" in self.data
        }

    def problem(self) -> str:
        """What is wrong, in one line for the page's error summary."""
        return "; ".join(
            f"{self.fields[name].label}: {message}" if name in self.fields else str(message)
            for name, messages in self.errors.items()
            for message in messages
        )


class ReplyForm(forms.Form):
    focus: forms.ModelChoiceField[FocusArea] = forms.ModelChoiceField(
        queryset=None,  # set per request in __init__
        required=False,
        error_messages={"invalid_choice": "That question is not part of this request"},
    )
    text = forms.CharField(
        max_length=4000, label="Reply", error_messages={"required": "Write your reply first"}
    )

    def __init__(self, *args: Any, review: ReviewRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The focus areas of the request the person was let into, and no other.
        self.fields["focus"].queryset = review.focus_areas.all()  # type: ignore[attr-defined]

    def problem(self) -> str:
        return "; ".join(str(m) for messages in self.errors.values() for m in messages)


class HelpfulForm(forms.Form):
    helpful = forms.ChoiceField(
        choices=[("yes", "This helped"), ("no", "Unmark")],
        required=False,
        error_messages={"invalid_choice": "Say whether it helped"},
    )

    def value(self) -> bool:
        return bool(self.cleaned_data["helpful"] != "no")


class StepsField(forms.Field):
    """The steps a report's "make this my action" form carries: ``answer_id:key`` tokens."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[tuple[int, str]]:
        from .steps import parse_tokens

        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise forms.ValidationError("Choose a next step from the report")
        try:
            return parse_tokens(value)
        except ValueError:
            raise forms.ValidationError("Choose a next step from the report") from None


class TakeOnForm(OnceKeyMixin, forms.Form):
    """The requester's "what I will change, by when" from a next step on the report."""

    step = StepsField(error_messages={"required": "Choose a next step from the report"})
    title = forms.CharField(
        max_length=300,
        label="What I will change",
        error_messages={
            "required": "Say what you will change",
            "max_length": "Say what you will change in at most 300 characters",
        },
    )
    due = forms.DateField(
        required=False,
        label="By when",
        error_messages={"invalid": "Give the date as day, month and year"},
    )

    def clean_due(self) -> dt.date | None:
        due: dt.date | None = self.cleaned_data.get("due")
        if due is None:
            return None
        if due < timezone.localdate():
            raise forms.ValidationError("Choose a date from today on")
        return _within_horizon(due, "a date")

    def problem(self) -> str:
        return "; ".join(str(m) for messages in self.errors.values() for m in messages)
