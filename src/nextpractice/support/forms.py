from __future__ import annotations

from typing import Any

from django import forms

from nextpractice.core.converters import MAX_ID
from nextpractice.core.forms import StyledForm
from nextpractice.core.once import OnceKeyMixin
from nextpractice.directory.models import Topic

from .models import EventKind, Experience, Kind, Mode, TrialResult, Urgency

MD_HINT = "You can use Markdown: *italic*, **bold**, lists and links."


def _topics() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=Topic.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Topics (from the shared list)",
    )


class HelpForm(OnceKeyMixin, StyledForm):
    title = forms.CharField(max_length=200, label="What has happened, in a line")
    what_happened = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="More detail",
        help_text="Say what you need. Never name a child. " + MD_HINT,
    )
    urgency = forms.ChoiceField(
        choices=Urgency.choices, widget=forms.RadioSelect, initial=Urgency.WEEK, label="How urgent"
    )
    topics = _topics()
    to_facilitator = forms.BooleanField(required=False, label="Ask our facilitator too")


class ResolveForm(StyledForm):
    what_helped = forms.CharField(
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What helped",
        help_text="It goes in the cluster's \u201cwe've been here before\u201d library.",
    )


class ExperienceForm(StyledForm):
    topic = forms.ModelChoiceField(queryset=Topic.objects.all(), label="What you have been through")
    note = forms.CharField(max_length=300, required=False, label="A word about it (optional)")
    when = forms.DateField(
        required=False, label="When (optional)", widget=forms.DateInput(attrs={"type": "date"})
    )


class SuccessForm(OnceKeyMixin, StyledForm):
    about = forms.TypedChoiceField(coerce=int, label="Whose success")
    text = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What happened",
        help_text=MD_HINT,
    )

    related = forms.ChoiceField(required=False, label="What it relates to (optional)")

    def __init__(
        self, *args: Any, people: list[Any], me: Any, related: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["about"].choices = [(me.pk, "Mine")] + [  # type: ignore[attr-defined]
            (p.pk, f"A shout-out for {p}") for p in people if p.pk != me.pk
        ]
        self.fields["related"].choices = [("", "Nothing in particular"), *related]  # type: ignore[attr-defined]


class ResearchForm(OnceKeyMixin, StyledForm):
    title = forms.CharField(max_length=200)
    source = forms.CharField(max_length=200, required=False, label="Source (author, journal)")
    link = forms.URLField(required=False, assume_scheme="https")
    summary = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="A summary in your own words",
        help_text=MD_HINT,
    )
    questions = forms.CharField(
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Questions for discussion",
    )
    topics = _topics()


class TakeawayForm(StyledForm):
    text = forms.CharField(
        max_length=3000, widget=forms.Textarea(attrs={"rows": 2}), label="What I took from it"
    )


class IdeaForm(OnceKeyMixin, StyledForm):
    title = forms.CharField(max_length=200, label="The idea")
    what_we_did = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), label="What we tried"
    )
    what_happened = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), label="What happened"
    )
    evidence = forms.CharField(
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Evidence (optional; no information about individual children)",
    )


class TrialForm(StyledForm):
    result = forms.ChoiceField(
        choices=TrialResult.choices, widget=forms.RadioSelect, label="How it went"
    )
    note = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}), label="A note"
    )


class EventForm(OnceKeyMixin, StyledForm):
    kind = forms.ChoiceField(choices=EventKind.choices, label="What kind of event")
    title = forms.CharField(max_length=200)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Date")
    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), label="Starts")
    end = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), label="Ends")
    host_setting = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Hosted by"
    )
    venue = forms.CharField(max_length=300, required=False, label="Or a venue")
    for_children = forms.BooleanField(required=False, label="For children")
    for_staff = forms.BooleanField(required=False, label="For staff")
    for_families = forms.BooleanField(required=False, label="For families")
    aim = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="The aim",
        help_text="e.g. children who do not usually get to represent their setting",
    )
    served_aim = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label="Which of our aims it serves (optional)",
    )
    capacity = forms.IntegerField(
        min_value=1, max_value=1000, required=False, label="Places (training days)"
    )
    contacts = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Organising contacts",
        help_text="One a line: name, email (e.g. PE leads).",
    )

    def __init__(
        self, *args: Any, settings_: list[Any], aims_: list[Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["host_setting"].choices = [("", "A venue (below)")] + [  # type: ignore[attr-defined]
            (s.pk, s.name) for s in settings_
        ]
        self.fields["served_aim"].choices = [("", "None in particular")] + [  # type: ignore[attr-defined]
            (a.pk, a.title) for a in aims_ or []
        ]

    def clean_contacts(self) -> list[tuple[str, str]]:
        from django.core.validators import validate_email

        found = []
        for n, line in enumerate((self.cleaned_data.get("contacts") or "").splitlines(), 1):
            if not line.strip():
                continue
            name, _, email = line.rpartition(",")
            try:
                validate_email(email.strip())
            except forms.ValidationError:
                raise forms.ValidationError(
                    f"Line {n}: write the name, a comma, then a valid email address"
                ) from None
            if not name.strip():
                raise forms.ValidationError(f"Line {n}: the name is missing")
            found.append((name.strip(), email.strip().lower()))
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", "The event must end after it starts")
        if not data.get("host_setting") and not data.get("venue"):
            self.add_error("venue", "Choose the host setting or give a venue")
        if data.get("kind") == EventKind.TRAINING and not data.get("capacity"):
            self.add_error("capacity", "Give the number of places for a training day")
        return data


class EventEditForm(StyledForm):
    """Change what an event is, when and where; a change of time or place tells everyone."""

    title = forms.CharField(max_length=200)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Date")
    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), label="Starts")
    end = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), label="Ends")
    host_setting = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Hosted by"
    )
    venue = forms.CharField(max_length=300, required=False, label="Or a venue")
    aim = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="The aim and details",
    )
    served_aim = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label="Which of our aims it serves (optional)",
    )
    # The version the form was drawn from: a save from an older one is refused.
    sequence = forms.IntegerField(min_value=0, max_value=MAX_ID, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, settings_: list[Any], aims_: list[Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["host_setting"].choices = [("", "A venue (below)")] + [  # type: ignore[attr-defined]
            (s.pk, s.name) for s in settings_
        ]
        self.fields["served_aim"].choices = [("", "None in particular")] + [  # type: ignore[attr-defined]
            (a.pk, a.title) for a in aims_ or []
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", "The event must end after it starts")
        if not data.get("host_setting") and not (data.get("venue") or "").strip():
            self.add_error("venue", "Choose the host setting or give a venue")
        if "sequence" in self.errors:
            # Hidden: say it where it is seen.
            self.add_error(None, "This form could not be read: reload the page and try again.")
        return data


class EventCancelForm(StyledForm):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why it is cancelled",
        help_text="Everyone in the cluster and the organising contacts are told.",
    )


class NumbersForm(StyledForm):
    children = forms.IntegerField(min_value=0, max_value=500, label="Children (numbers only)")
    adults = forms.IntegerField(min_value=0, max_value=200, label="Adults")


class BookingForm(StyledForm):
    places = forms.IntegerField(min_value=0, max_value=100, label="Places for our staff")


class FundingForm(StyledForm):
    funder = forms.CharField(max_length=200)
    what = forms.CharField(
        max_length=3000, widget=forms.Textarea(attrs={"rows": 2}), label="What it funds"
    )
    amount = forms.CharField(max_length=100, required=False)
    deadline = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    eligibility = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    link = forms.URLField(required=False, assume_scheme="https")


class PreferencesForm(StyledForm):
    def __init__(self, *args: Any, current: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in Kind.choices:
            self.fields[kind] = forms.ChoiceField(
                choices=Mode.choices, initial=current[kind], label=label
            )


# --- Inputs that are not a record: which page, what to search, which item ----------------


class PageForm(forms.Form):
    """``?page=``: anything but a page number shows the first page (never an error)."""

    page = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    def number(self) -> int:
        return (self.cleaned_data.get("page") or 1) if self.is_valid() else 1


class SearchForm(StyledForm):
    q = forms.CharField(max_length=200, required=False, label="Search")

    def query(self) -> str:
        return self.cleaned_data["q"].strip() if self.is_valid() else ""


class ReplyForm(OnceKeyMixin, StyledForm):
    REPLY, CALL = "reply", "call"

    text = forms.CharField(max_length=5000, required=False, widget=forms.Textarea)
    do = forms.ChoiceField(
        choices=[("", "Answer"), (REPLY, "Answer"), (CALL, "I'll call you")], required=False
    )

    @property
    def calling(self) -> bool:
        return self.cleaned_data.get("do") == self.CALL


class RemoveExperienceForm(forms.Form):
    delete = forms.ModelChoiceField(queryset=Experience.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delete"].queryset = Experience.objects.filter(user=user)  # type: ignore[attr-defined]


class SpanForm(forms.Form):
    TERM, YEAR = "term", "year"

    over = forms.ChoiceField(choices=[(TERM, "This term"), (YEAR, "This year")], required=False)

    def span(self) -> str:
        return (self.cleaned_data.get("over") or self.TERM) if self.is_valid() else self.TERM


class TaskForm(StyledForm):
    text = forms.CharField(max_length=200, label="Task")
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Who")

    def __init__(self, *args: Any, people: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {p.pk: p for p in people}
        self.fields["owner"].choices = [("", "Nobody yet")] + [  # type: ignore[attr-defined]
            (p.pk, str(p)) for p in people
        ]

    def chosen_owner(self) -> Any:
        return self.people.get(self.cleaned_data.get("owner") or 0)


class TaskToggleForm(forms.Form):
    toggle: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args: Any, tasks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["toggle"].queryset = tasks  # type: ignore[attr-defined]


class ApplyingForm(forms.Form):
    on = forms.ChoiceField(choices=[("", "Yes"), ("yes", "Yes"), ("no", "No")], required=False)
    review: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args: Any, reviews: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["review"].queryset = reviews  # type: ignore[attr-defined]

    @property
    def applying(self) -> bool:
        return self.cleaned_data.get("on") != "no"


YES_NO = [("yes", "Yes"), ("no", "No")]


class NewHeadForm(StyledForm):
    new = forms.ChoiceField(
        choices=[("yes", "I am new to headship"), ("no", "I am no longer new to headship")],
        widget=forms.RadioSelect,
        label="New to headship",
    )

    def is_new(self) -> bool:
        return bool(self.cleaned_data["new"] == "yes")


class TickForm(StyledForm):
    step = forms.CharField(max_length=40)
    done = forms.ChoiceField(choices=YES_NO)


class InductionStepForm(StyledForm):
    text = forms.CharField(
        max_length=200,
        label="A first step of this cluster's own",
        help_text="For example: \u201cVisit the forest school at Brook Lane\u201d. Every new "
        "head in the cluster sees it on their checklist.",
    )
