from __future__ import annotations

from typing import Any

from django import forms

from nextpractice.core.forms import StyledForm

from .models import Role


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
