from __future__ import annotations

from typing import Any

from django import forms

from nextpractice.clusters.models import Cluster
from nextpractice.core.converters import MAX_ID
from nextpractice.core.forms import StyledModelForm
from nextpractice.directory.models import LeaderProfile

from .models import FormationRound, RoundWish


class RoundForm(StyledModelForm):
    class Meta:
        model = FormationRound
        fields = [
            "name",
            "opt_in_by",
            "min_size",
            "max_size",
            "include_members",
            "w_values",
            "w_context",
            "w_complement",
            "w_travel",
            "time_limit",
        ]
        labels = {"min_size": "Smallest cluster", "max_size": "Largest cluster"}
        widgets = {"opt_in_by": forms.DateInput(attrs={"type": "date"})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("min_size") and data.get("max_size") and data["min_size"] > data["max_size"]:
            self.add_error("max_size", "The largest cluster must be at least the smallest")
        return data


class MoveForm(forms.Form):
    """A leader and where to: a cluster by its index (the menus of a small proposal), or by
    the number the page shows it under (the one form per cluster of a large one)."""

    user = forms.IntegerField(min_value=1, max_value=MAX_ID)
    group = forms.IntegerField(min_value=0, max_value=10_000, required=False)
    number = forms.IntegerField(min_value=1, max_value=10_000, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("group") is None and data.get("number") is None:
            raise forms.ValidationError("Choose a cluster to move them to")
        return data


class PublishForm(forms.Form):
    """The coordinator's confirmation, carrying the proposal they confirmed (its
    fingerprint): a proposal changed since publishes nothing."""

    proposal = forms.RegexField(regex=r"\A[0-9a-f]{32}\Z", max_length=32)


class JoinClusterForm(forms.Form):
    """ "Ask to join": one of the clusters the page offered (any other is no choice)."""

    cluster = forms.ModelChoiceField(queryset=Cluster.objects.none())
    message = forms.CharField(required=False, max_length=1000)

    def __init__(self, *args: Any, offered: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cluster"].queryset = offered  # type: ignore[attr-defined]


class OptInForm(forms.Form):
    joining = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")], coerce=lambda v: v == "yes"
    )


class WishForm(forms.Form):
    leader: forms.ModelChoiceField[LeaderProfile] = forms.ModelChoiceField(
        queryset=LeaderProfile.objects.none(), label="Leader"
    )
    kind = forms.ChoiceField(choices=RoundWish.KINDS, label="Wish")
    other: forms.ModelChoiceField[LeaderProfile] = forms.ModelChoiceField(
        queryset=LeaderProfile.objects.none(), label="Other leader"
    )

    def __init__(self, *args: Any, pool: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("leader", "other"):
            field = self.fields[name]
            field.queryset = pool  # type: ignore[attr-defined]
            field.label_from_instance = lambda p: str(p.user)  # type: ignore[attr-defined]
            field.widget.attrs["class"] = "govuk-select"
        self.fields["kind"].widget.attrs["class"] = "govuk-select"
