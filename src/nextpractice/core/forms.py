from __future__ import annotations

from typing import Any

from django import forms

_CLASSES = {
    forms.Textarea: "govuk-textarea",
    forms.Select: "govuk-select",
    forms.TextInput: "govuk-input",
    forms.EmailInput: "govuk-input",
    forms.NumberInput: "govuk-input govuk-input--width-5",
    forms.URLInput: "govuk-input",
    forms.DateInput: "govuk-input govuk-input--width-10",
    forms.TimeInput: "govuk-input govuk-input--width-5",
    forms.PasswordInput: "govuk-input",
    forms.ClearableFileInput: "govuk-file-upload",
    forms.FileInput: "govuk-file-upload",
}


class StyledMixin:
    """Adds the design system's classes to widgets, and its error class to bad fields."""

    template_name = "includes/form_fields.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)  # type: ignore[arg-type]

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        mark_errors(self)  # type: ignore[arg-type]


class StyledForm(StyledMixin, forms.Form):
    pass


class StyledModelForm(StyledMixin, forms.ModelForm):
    pass


def style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        for widget_class, css in _CLASSES.items():
            if type(widget) is widget_class and css not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()


def mark_errors(form: forms.BaseForm) -> None:
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            base = widget.attrs.get("class", "")
            suffix = {
                "govuk-input": "govuk-input--error",
                "govuk-select": "govuk-select--error",
                "govuk-textarea": "govuk-textarea--error",
            }
            for key, err in suffix.items():
                if key in base and err not in base:
                    widget.attrs["class"] = f"{base} {err}"
