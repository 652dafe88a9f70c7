from __future__ import annotations

from django import forms

from nextpractice.core.forms import StyledForm

CONFIRM_WORD = "delete"


class ExportForm(StyledForm):
    """Nothing to choose: the form is the POST (and its CSRF token) that starts a download."""


class EraseForm(StyledForm):
    remove_contributions = forms.BooleanField(
        required=False,
        label="Also remove what I contributed inside my clusters (notes, agenda items, "
        "requests for help and answers, feedback, successes, ideas, research, events)",
    )
    confirm = forms.CharField(
        max_length=20,
        label=f"To confirm, type the word {CONFIRM_WORD}",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_confirm(self) -> str:
        value: str = self.cleaned_data["confirm"]
        if value.strip().lower() != CONFIRM_WORD:
            raise forms.ValidationError(
                f"Type the word {CONFIRM_WORD} to confirm; nothing has been deleted."
            )
        return value
