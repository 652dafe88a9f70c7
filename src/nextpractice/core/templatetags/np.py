from __future__ import annotations

from django import forms, template

from nextpractice.core.forms import mark_errors, style

register = template.Library()


@register.simple_tag
def stylise(form: forms.BaseForm) -> str:
    """Give a third-party form (allauth's) the design system's classes before rendering."""
    style(form)
    if form.is_bound:
        mark_errors(form)
    return ""
