from __future__ import annotations

from django import forms


class AnswerForm(forms.Form):
    """The answer to an invitation (the button pressed)."""

    answer = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
