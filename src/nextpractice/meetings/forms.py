from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from nextpractice.core.forms import StyledForm

from . import planner
from .models import ActionStatus, ItemKind, PlaceKind, Response, Weekday, YearPlan


def _date_field(label: str, **kw: Any) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kw
    )


def _time_field(label: str, **kw: Any) -> forms.TimeField:
    return forms.TimeField(
        label=label, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), **kw
    )


class PlaceMixin:
    """Where a meeting is: each setting in turn, a fixed venue, or online."""

    cleaned_data: dict[str, Any]

    def clean_place(self) -> None:
        kind = self.cleaned_data.get("place_kind")
        if kind == PlaceKind.VENUE and not self.cleaned_data.get("venue"):
            self.add_error("venue", "Give the venue's name and address")  # type: ignore[attr-defined]
        if kind == PlaceKind.ONLINE and not self.cleaned_data.get("online_url"):
            self.add_error("online_url", "Give the link to join online")  # type: ignore[attr-defined]


def _year_choices() -> list[tuple[int, str]]:
    this = planner.academic_year_of(timezone.localdate())
    return [(y, planner.academic_year(y).name) for y in (this, this + 1)]


class PlanForm(PlaceMixin, StyledForm):
    start_year = forms.TypedChoiceField(coerce=int, label="Academic year", choices=_year_choices)
    cadence = forms.ChoiceField(
        choices=YearPlan._meta.get_field("cadence").choices,  # type: ignore[arg-type]
        initial=planner.Cadence.HALF_TERMLY.value,
        label="How often",
        widget=forms.RadioSelect,
    )
    every_weeks = forms.IntegerField(
        min_value=1, max_value=26, initial=6, label="If every few weeks: how many weeks apart"
    )
    weekday = forms.TypedChoiceField(
        coerce=int, choices=Weekday.choices, initial=Weekday.WEDNESDAY, label="Day of the week"
    )
    start_time = _time_field("Start time", initial=dt.time(15, 0))
    duration_minutes = forms.IntegerField(
        min_value=15, max_value=480, initial=90, label="Length in minutes"
    )
    place_kind = forms.ChoiceField(
        choices=PlaceKind.choices,
        initial=PlaceKind.ROTATING,
        widget=forms.RadioSelect,
        label="Where",
    )
    venue = forms.CharField(max_length=300, required=False, label="Venue (for a fixed venue)")
    online_url = forms.URLField(
        required=False, label="Link to join (for online meetings)", assume_scheme="https"
    )
    call_days_before = forms.IntegerField(
        min_value=1, max_value=28, initial=7, label="Ask for agenda items this many days before"
    )
    agenda_days_before = forms.IntegerField(
        min_value=1, max_value=14, initial=3, label="Send the agenda this many days before"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_place()
        call, agenda = data.get("call_days_before"), data.get("agenda_days_before")
        if call and agenda and agenda > call:
            self.add_error(
                "agenda_days_before", "Send the agenda after the call for items, not before it"
            )
        return data


class MeetingTimeForm(PlaceMixin, StyledForm):
    day = _date_field("Date")
    start_time = _time_field("Start time")
    duration_minutes = forms.IntegerField(label="Length in minutes")
    place_kind = forms.ChoiceField(
        choices=PlaceKind.choices, widget=forms.RadioSelect, label="Where"
    )
    venue = forms.CharField(max_length=300, required=False, label="Venue (for a fixed venue)")
    online_url = forms.URLField(
        required=False, label="Link to join (for online meetings)", assume_scheme="https"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_place()
        return data

    def place(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("place_kind", "venue", "online_url")}


class CancelForm(StyledForm):
    reason = forms.CharField(
        max_length=500,
        required=False,
        label="Why (optional; it goes in the email to everyone)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RespondForm(StyledForm):
    response = forms.ChoiceField(
        choices=Response.choices, widget=forms.RadioSelect, label="Will you come?"
    )
    deputy_name = forms.CharField(max_length=150, required=False, label="Your deputy's name")
    deputy_email = forms.EmailField(required=False, label="Your deputy's email address")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("response") == Response.DEPUTY:
            if not data.get("deputy_name"):
                self.add_error("deputy_name", "Give your deputy's name")
            if not data.get("deputy_email") and "deputy_email" not in self.errors:
                self.add_error(
                    "deputy_email", "Give your deputy's email address, for their invitation"
                )
        return data


class ItemForm(StyledForm):
    kind = forms.ChoiceField(choices=ItemKind.choices, label="What kind of item")
    title = forms.CharField(max_length=200, label="Item")
    detail = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="More detail (optional)",
    )
    minutes = forms.IntegerField(
        required=False, min_value=1, max_value=240, label="Time it needs, in minutes (optional)"
    )


class NoteForm(StyledForm):
    text = forms.CharField(max_length=10000, widget=forms.Textarea(attrs={"rows": 3}), label="Note")
    is_decision = forms.BooleanField(required=False, label="This is a decision")


class ActionForm(StyledForm):
    title = forms.CharField(max_length=300, label="Action")
    owner = forms.TypedChoiceField(coerce=int, label="Whose action")
    due = _date_field("Due (the next meeting if left empty)", required=False)

    def __init__(self, *args: Any, people: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [(0, "The whole cluster")] + [(p.pk, str(p)) for p in people]  # type: ignore[attr-defined]


class ActionUpdateForm(StyledForm):
    text = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}), label="Progress"
    )
    status = forms.ChoiceField(choices=ActionStatus.choices, label="Status")


class HolidayForm(StyledForm):
    name = forms.CharField(max_length=120, label="Name", help_text="For example: October half-term")
    start = _date_field("First day")
    end = _date_field("Last day")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The last day must be on or after the first day")
        return data


class TermDatesImportForm(StyledForm):
    file = forms.FileField(
        label="Term dates file (.ics calendar or .csv)",
        help_text=(
            "A council calendar of term dates or holidays, or a CSV with columns name, start, end."
        ),
    )
