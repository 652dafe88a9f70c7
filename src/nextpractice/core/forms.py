from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .converters import MAX_ID

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
        bound_numbers(self)  # type: ignore[arg-type]

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


# --- Input that cannot reach the database as something it cannot hold ----------------------
#
# Django's own fields let a few values through to the database, where they fail as a 500
# instead of coming back as a form error: a 20-digit id in a (multiple) model choice (an
# OverflowError on SQLite, a DataError on PostgreSQL), and any size of integer in an
# IntegerField with no bounds. Every StyledForm is bounded by construction (bound_numbers);
# the fields below are for forms that read a number or a year themselves.

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def is_id(value: object) -> bool:
    """Whether ``value`` can be a primary key: 1 to 10 ASCII digits, 1..2**31-1."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 1 <= value <= MAX_ID
    text = str(value).strip()
    # isascii() first: "²".isdigit() and "٣".isdigit() are True.
    return text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) <= MAX_ID


def _integer_keys(field: forms.ModelChoiceField) -> bool:
    queryset = field.queryset
    return (
        field.to_field_name is None
        and queryset is not None
        and isinstance(queryset.model._meta.pk, models.IntegerField)
    )


class IdChoiceField(forms.ModelChoiceField):
    """A model choice whose value must look like an id before it is looked up."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and _integer_keys(self) and not is_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Model choices whose values must each look like an id before they are looked up."""

    def _check_values(self, value: Any) -> Any:
        if _integer_keys(self):
            for pk in value:
                if not is_id(pk):
                    raise ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": str(pk)[:20]},
                    )
        return super()._check_values(value)  # type: ignore[misc]


class StrictDigits(forms.IntegerField):
    """Optional sign and ASCII digits only: int() also takes "٣" (and "²" passes isdigit()
    and fails int()); 11 characters hold any 32-bit integer, so a megabyte of digits is
    refused before it is parsed."""

    def to_python(self, value: Any) -> int | None:
        if value not in self.empty_values and not isinstance(value, int):
            text = str(value).strip()
            digits = text[1:] if text[:1] in {"-", "+"} else text
            if not (digits.isascii() and digits.isdigit() and len(digits) <= 11):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class StrictIntegerField(StrictDigits):
    """An integer of ASCII digits, bounded to a database integer unless narrower bounds are
    given."""

    def __init__(self, *, min_value: int = INT_MIN, max_value: int = INT_MAX, **kwargs: Any):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)


class YearField(StrictIntegerField):
    """A calendar year that date() and the planner can use (1..9999 at most)."""

    def __init__(self, *, min_value: int = 2000, max_value: int = 2100, **kwargs: Any):
        super().__init__(min_value=max(min_value, 1), max_value=min(max_value, 9999), **kwargs)


class IdField(StrictIntegerField):
    """An id read from a query string or a hidden field, when a ModelChoiceField on a scoped
    queryset does not fit."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class SearchField(forms.CharField):
    """Search text: stripped, at most 200 characters (a megabyte of it made SQLite's LIKE
    fail), no NUL (CharField refuses it already)."""

    def __init__(self, *, max_length: int = 200, required: bool = False, **kwargs: Any):
        super().__init__(max_length=max_length, required=required, strip=True, **kwargs)


def bound_numbers(form: forms.BaseForm) -> None:
    """Bound the number and id fields of a form built by hand or from a model, by
    construction: model choices check their values look like ids (IdChoiceField's checks, on
    this form's copy of the field), integers take ASCII digits only and, without bounds of
    their own, a database integer's."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelMultipleChoiceField):
            if not isinstance(field, IdMultipleChoiceField):
                field.__class__ = _bounded(type(field), IdMultipleChoiceField)
        elif isinstance(field, forms.ModelChoiceField):
            if not isinstance(field, IdChoiceField):
                field.__class__ = _bounded(type(field), IdChoiceField)
        elif isinstance(field, forms.IntegerField) and not isinstance(
            # FloatField and DecimalField are IntegerFields to Django; they refuse NaN already.
            field,
            (StrictDigits, forms.FloatField, forms.DecimalField),
        ):
            field.__class__ = _bounded(type(field), StrictDigits)
            if field.max_value is None:
                field.max_value = INT_MAX
                field.validators.append(MaxValueValidator(INT_MAX))
                field.widget.attrs.setdefault("max", str(INT_MAX))
            if field.min_value is None:
                field.min_value = INT_MIN
                field.validators.append(MinValueValidator(INT_MIN))


_BOUNDED: dict[tuple[type, type], type] = {}


def _bounded(cls: type, checks: type) -> type:
    """``cls`` with ``checks``' validation in front (the same class object every time)."""
    if cls in {forms.ModelChoiceField, forms.ModelMultipleChoiceField, forms.IntegerField}:
        return checks
    key = (cls, checks)
    if key not in _BOUNDED:
        _BOUNDED[key] = type(f"Bounded{cls.__name__}", (checks, cls), {})
    return _BOUNDED[key]
