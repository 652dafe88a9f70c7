from __future__ import annotations

from typing import Any

from django import forms

from nextpractice.core.forms import StyledModelForm

from .models import FormationRound


class RoundForm(StyledModelForm):
    class Meta:
        model = FormationRound
        fields = [
            "name",
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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("min_size") and data.get("max_size") and data["min_size"] > data["max_size"]:
            self.add_error("max_size", "The largest cluster must be at least the smallest")
        return data


class MoveForm(forms.Form):
    user = forms.IntegerField()
    group = forms.IntegerField(min_value=0)
