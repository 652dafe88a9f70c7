from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from nextpractice.core.forms import StrictIntegerField, StyledForm
from nextpractice.support.models import Success, term_key

from .models import CheckIn, Item, ItemKind, OutcomeKind, term_bounds, term_label


class CheckInForm(StyledForm):
    """The check-in: one radio group per question (a fieldset with the question as its
    legend), the free text last and optional."""

    template_name = "impact/_check_in_fields.html"

    def __init__(self, *args: Any, check_in: CheckIn, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = list(Item.objects.filter(questionnaire_id=check_in.questionnaire_id))
        for item in self.items:
            if item.kind == ItemKind.TEXT:
                self.fields[item.key] = forms.CharField(
                    label=item.wording,
                    required=False,
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 3}),
                    help_text="Optional. Private to you unless you share it below.",
                )
                continue
            if item.kind == ItemKind.SCALE:
                choices = [(str(v), str(v)) for v in range(11)]
            else:
                choices = [(str(v), label) for v, label in item.options]
            field = forms.TypedChoiceField(
                label=item.wording,
                choices=choices,
                coerce=int,
                required=item.required,
                widget=forms.RadioSelect,
                error_messages={
                    "required": "Choose an answer",
                    "invalid_choice": "Choose one of the answers",
                },
            )
            field.item = item  # type: ignore[attr-defined]
            self.fields[item.key] = field
        if any(i.kind == ItemKind.TEXT for i in self.items):
            self.fields["share_helped"] = forms.BooleanField(
                label="Share what the cluster helped with, with my cluster", required=False
            )

    def scores(self) -> dict[str, int]:
        return {
            i.key: self.cleaned_data[i.key]
            for i in self.items
            if i.kind != ItemKind.TEXT and self.cleaned_data.get(i.key) is not None
        }

    def helped(self) -> str:
        texts = [self.cleaned_data.get(i.key) or "" for i in self.items if i.kind == ItemKind.TEXT]
        return "\n\n".join(t for t in texts if t.strip())

    def question_fields(self) -> list[Any]:
        return [self[i.key] for i in self.items if i.kind != ItemKind.TEXT]

    def text_fields(self) -> list[Any]:
        found = [self[i.key] for i in self.items if i.kind == ItemKind.TEXT]
        if "share_helped" in self.fields:
            found.append(self["share_helped"])
        return found


class ScheduleForm(StyledForm):
    weeks_into_term = StrictIntegerField(
        label="Weeks into each term",
        min_value=1,
        max_value=12,
        help_text="The check-in is emailed this many weeks after the term starts.",
    )


def term_choices(today: dt.date) -> list[tuple[str, str]]:
    """This term and the next two."""
    terms: list[str] = []
    day = today
    while len(terms) < 3:
        term = term_key(day)
        if term not in terms:
            terms.append(term)
        day = term_bounds(term)[1] + dt.timedelta(days=1)
    return [(t, term_label(t)) for t in terms]


class TermDateForm(StyledForm):
    term = forms.ChoiceField(label="Term")
    date = forms.DateField(
        label="Date of this term's check-in",
        required=False,
        help_text="For example 2027-02-10. Leave empty to go back to weeks into term.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["term"].choices = term_choices(today)  # type: ignore[attr-defined]


class OutcomeForm(StyledForm):
    success = forms.TypedChoiceField(label="Success", coerce=int)
    kind = forms.ChoiceField(
        label="It came from", choices=OutcomeKind.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, successes: list[Success], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.successes = {s.pk: s for s in successes}
        self.fields["success"].choices = [  # type: ignore[attr-defined]
            (str(s.pk), f"{s.created_at:%-d %b}: {s.text[:80]}") for s in successes
        ]

    def chosen(self) -> Success:
        return self.successes[self.cleaned_data["success"]]
