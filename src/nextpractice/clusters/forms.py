from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from nextpractice.core.forms import StyledForm, YearField, style

from .models import AimStatus, Role


class StartClusterForm(StyledForm):
    # No choice of area: a cluster starts in the area of its founder's confirmed setting.
    name = forms.CharField(
        max_length=120,
        label="Name of the cluster",
        help_text="For example: Riverside early years leaders",
    )


class InviteForm(StyledForm):
    email = forms.EmailField(label="Their email address")
    role = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.MEMBER,
        widget=forms.RadioSelect,
        label="They will join as",
    )
    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="A note to go with the invitation (optional)",
        max_length=1000,
    )


class RenameForm(StyledForm):
    name = forms.CharField(
        max_length=120,
        label="The cluster's name",
        help_text="Most clusters are named after where their members are, for example "
        "Riverside North.",
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if len(name) < 2:
            raise forms.ValidationError("Enter a name of at least two letters")
        return name


class GroundRulesForm(StyledForm):
    ground_rules = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14}), label="Ground rules", max_length=10000
    )

    def clean_ground_rules(self) -> str:
        text: str = self.cleaned_data["ground_rules"].strip()
        if len(text) < 20:
            raise forms.ValidationError("Write the ground rules out in full")
        return text


class RemovalForm(StyledForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        label="Which ground rule was broken, and how?",
        help_text="The person and every member will see this.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes(value: str) -> bool:
    return value == "yes"


class AgreeForm(forms.Form):
    agree = forms.ChoiceField(choices=[("yes", "I agree")])


class VoteForm(forms.Form):
    agrees = forms.TypedChoiceField(choices=YES_NO, coerce=_yes)


class JoinDecisionForm(forms.Form):
    accept = forms.TypedChoiceField(choices=YES_NO, coerce=_yes)


CHILDREN_FIRST = (
    "Describe groups of children (for example, children who rarely get picked for a team), "
    "never one child: no names, initials or details that would identify a child."
)


class AimForm(StyledForm):
    """A shared aim: what, why and for whom, how we'll know, when to look at it again.
    With ``closing`` it also takes where the aim stands and, once closed, a reflection."""

    title = forms.CharField(
        max_length=200,
        label="The aim",
        help_text="In a line, for example: Every child has a turn to compete",
    )
    why = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        label="Why, and for which children",
        help_text=CHILDREN_FIRST,
    )
    how_we_know = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        label="How we\u2019ll know",
        help_text="What we will see when it is working. Counts and stories, never a child\u2019s "
        "details.",
    )
    review_on = forms.DateField(
        required=False,
        label="Look at it again on (optional)",
        help_text="On that day the aim joins the next meeting\u2019s agenda.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    #: A review date further ahead is a date nobody will remember.
    MAX_YEARS_AHEAD = 3

    def __init__(self, *args: Any, closing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if closing:
            self.fields["status"] = forms.ChoiceField(
                choices=AimStatus.choices,
                widget=forms.RadioSelect,
                label="Where it stands",
            )
            self.fields["reflection"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                max_length=2000,
                label="How it went (needed to close the aim)",
                help_text="What changed for the children, what we learned. " + CHILDREN_FIRST,
            )
            style(self)

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if len(title) < 3:
            raise forms.ValidationError("Write the aim in a few words")
        return title

    def clean_review_on(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data["review_on"]
        if day is None or "review_on" not in self.changed_data:
            return day
        today = timezone.localdate()
        if day < today:
            raise forms.ValidationError("Choose today or a day ahead")
        if day > today + dt.timedelta(days=365 * self.MAX_YEARS_AHEAD):
            raise forms.ValidationError(
                f"Choose a day within the next {self.MAX_YEARS_AHEAD} years"
            )
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = data.get("status")
        if status and status != AimStatus.WORKING and not str(data.get("reflection", "")).strip():
            self.add_error("reflection", "Say in a line or two how it went, to close the aim")
        return data


class YearChoiceForm(forms.Form):
    """``?year=2025`` on "Our year": an academic year by its first calendar year."""

    year = YearField(required=False)
