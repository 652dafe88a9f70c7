from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils import timezone

from nextpractice.core.converters import MAX_ID
from nextpractice.core.forms import StyledForm, is_id
from nextpractice.core.once import OnceKeyMixin

from . import planner, termdates
from .models import (
    NOTE_MAX_CHARS,
    ActionStatus,
    ItemKind,
    Mark,
    PlaceKind,
    Response,
    Weekday,
    YearPlan,
)

# The years the practice plans in: a date outside them is a typing slip (or a probe), and
# years 1 or 9999 have no academic year around them to check against.
FIRST_DAY, LAST_DAY = termdates.FIRST_DAY, termdates.LAST_DAY


def _within_the_years(value: dt.date) -> None:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(
            f"Give a date between {FIRST_DAY:%Y} and {LAST_DAY:%Y}", code="out_of_range"
        )


def _date_field(label: str, **kw: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[_within_the_years],
        **kw,
    )


class IdChoiceField(forms.ModelChoiceField):
    """A choice of one row of a (scoped) queryset by its id. The id is checked to be a
    plain number a database can hold before the database is asked: ``"²"`` or a 20-digit
    id is an invalid choice, not a server error."""

    def to_python(self, value: Any) -> Model | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not (text.isascii() and text.isdigit() and is_id(int(text))):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(text)


class YearForm(forms.Form):
    """``?year=2026`` on the year and plan pages: an academic year by its first year."""

    year = forms.IntegerField(required=False, min_value=FIRST_DAY.year, max_value=LAST_DAY.year - 1)


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


def out_of_hours(day: dt.date | None, start: dt.time | None) -> str:
    """Why a meeting time needs confirming ("" when it does not): a Saturday or Sunday, or a
    start after 18:00 or before 07:00."""
    if day is not None and day.weekday() >= 5:
        return f"{day:%A %-d %B} is a weekend day"
    if start is not None and (start >= dt.time(18) or start < dt.time(7)):
        return f"{start:%H:%M} is outside the working day (07:00 to 18:00)"
    return ""


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

    # Hidden until the time asks for it: leaders meet in the school day, so a weekend or an
    # evening is more often a slip (a PM for an AM, a wrong week) than a plan.
    confirm_time = forms.BooleanField(
        required=False, label="Yes, the cluster meets at this time", widget=forms.HiddenInput
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_place()
        why = out_of_hours(data.get("day"), data.get("start_time"))
        if why and not data.get("confirm_time"):
            self.fields["confirm_time"].widget = forms.CheckboxInput()
            self.add_error(
                "confirm_time",
                f"{why}: tick the box to confirm the cluster meets then, or change the time",
            )
        return data

    def place(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("place_kind", "venue", "online_url")}


def _version_field(required: bool = True) -> forms.IntegerField:
    """The version of the thing a form was drawn from (optimistic concurrency)."""
    return forms.IntegerField(
        required=required, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )


class MeetingEditForm(MeetingTimeForm):
    """Moving a meeting: the form carries the meeting's version it was drawn from, so a
    save over a colleague's newer change is refused instead of reverting it."""

    version = _version_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "version" in self.errors:
            # Hidden: say it where it is seen.
            self.add_error(None, "This form could not be read: reload the page and try again.")
        return data


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


class ItemForm(OnceKeyMixin, StyledForm):
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
    off_record = forms.BooleanField(
        required=False,
        label="Off the record: discussed, not minuted",
        help_text="No notes or actions are recorded against it, and it is left out of the "
        "published notes and emails. Members see its title on this page only.",
    )


class ItemRecordForm(forms.Form):
    """Mark an item off the record (``off_record`` ticked), or back on it."""

    off_record = forms.BooleanField(required=False)


class NoteDraftForm(forms.Form):
    """A note being typed, kept as a draft (empty text: forget the draft)."""

    text = forms.CharField(required=False, max_length=NOTE_MAX_CHARS, strip=False)
    # Sent by the page's script (as the note-taker types, or on leaving the page): it wants
    # 204, not the page again with a message.
    autosave = forms.BooleanField(required=False)

    def __init__(self, *args: Any, items: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"] = _hidden_choice(items)


def _hidden_choice(queryset: QuerySet[Any] | None) -> IdChoiceField:
    # Unbound (the page's empty form) it needs no queryset; a bound one is always given it.
    return IdChoiceField(queryset=queryset, required=False, widget=forms.HiddenInput)


class NoteForm(StyledForm):
    """A note on the meeting, on one of its items, or on an action under review. The item
    and action are chosen from this meeting's own (``items``, ``actions``)."""

    text = forms.CharField(
        max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3}), label="Note"
    )
    is_decision = forms.BooleanField(required=False, label="This is a decision")

    def __init__(
        self,
        *args: Any,
        items: QuerySet[Any] | None = None,
        actions: QuerySet[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"] = _hidden_choice(items)
        self.fields["action"] = _hidden_choice(actions)


class ActionForm(StyledForm):
    title = forms.CharField(max_length=300, label="Action")
    owner = forms.TypedChoiceField(coerce=int, label="Whose action")
    due = _date_field("Due (the next meeting if left empty)", required=False)

    def __init__(
        self, *args: Any, people: list[Any], items: QuerySet[Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [(0, "The whole cluster")] + [(p.pk, str(p)) for p in people]  # type: ignore[attr-defined]
        self.fields["item"] = _hidden_choice(items)


# Where "Save progress" returns to: the page it was pressed on, when that is one of ours.
_NEXT_PAGES = ("/meetings/", "/actions/")


class ActionUpdateForm(StyledForm):
    text = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}), label="Progress"
    )
    status = forms.ChoiceField(choices=ActionStatus.choices, label="Status")
    next = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def clean_next(self) -> str:
        target: str = self.cleaned_data.get("next", "")
        # A path on this site only (never //elsewhere or a scheme): an open redirect otherwise.
        if target == "/actions/" or (
            target.startswith("/meetings/")
            and target.isascii()
            and all(c.isalnum() or c in "/-_#" for c in target)
        ):
            return target
        return ""


class AgendaPageForm(forms.Form):
    """``?items=``: which page of a long agenda; anything else shows the first."""

    items = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    def number(self) -> int:
        return (self.cleaned_data.get("items") or 1) if self.is_valid() else 1


class ItemMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class ItemMergeForm(forms.Form):
    into = IdChoiceField(queryset=None)

    def __init__(self, *args: Any, items: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = items  # type: ignore[attr-defined]


class ItemTimeForm(forms.Form):
    minutes = forms.IntegerField(required=False, min_value=1, max_value=240)
    # The item's version the page showed (empty from an older page: not checked).
    version = _version_field(required=False)


class RegisterForm(forms.Form):
    """A mark (or none yet) for each of the cluster's members: ``mark-<member id>``."""

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for user in members:
            self.fields[f"mark-{user.pk}"] = forms.ChoiceField(
                choices=[("", "Not marked"), *Mark.choices], required=False
            )

    def marks(self) -> dict[int, str]:
        return {
            int(name.removeprefix("mark-")): value
            for name, value in self.cleaned_data.items()
            if value
        }


class RolesForm(forms.Form):
    chair = IdChoiceField(queryset=None, required=False)
    note_taker = IdChoiceField(queryset=None, required=False)

    def __init__(self, *args: Any, people: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = people  # type: ignore[attr-defined]
        self.fields["note_taker"].queryset = people  # type: ignore[attr-defined]


class CalendarAddressForm(forms.Form):
    do = forms.ChoiceField(choices=[("replace", "Replace"), ("revoke", "Turn off")], required=False)


class TermDatesChoiceForm(forms.Form):
    """Which of the term-dates page's two forms was sent."""

    form = forms.ChoiceField(choices=[("add", "Add"), ("import", "Import")])


class HolidayForm(StyledForm):
    name = forms.CharField(max_length=120, label="Name", help_text="For example: October half-term")
    start = _date_field("First day")
    end = _date_field("Last day")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The last day must be on or after the first day")
        return data


class TermDatesConfirmForm(forms.Form):
    """The confirm button under a preview: the signed reading it showed."""

    # A calendar of 2,000 events reads as at most a few hundred holidays; compressed and
    # signed that is tens of KiB.
    token = forms.CharField(max_length=400_000, widget=forms.HiddenInput)


class TermDatesImportForm(StyledForm):
    file = forms.FileField(
        label="Term dates file (.ics calendar or .csv)",
        help_text=(
            "A council calendar of term dates or holidays, or a CSV with columns name, start, "
            f"end: at most 2 MB and {termdates.MAX_EVENTS} events or rows."
        ),
        max_length=200,
    )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        # Refused whole before reading: a file cut at the limit would import half of itself.
        if file.size is not None and file.size > termdates.MAX_BYTES:
            raise ValidationError(
                "The file is larger than 2 MB: that is not a term-dates file. Nothing was imported."
            )
        return file
