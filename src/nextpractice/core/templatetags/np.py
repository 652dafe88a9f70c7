from __future__ import annotations

from django import forms, template
from django.template.defaultfilters import stringfilter
from django.utils.safestring import SafeString, mark_safe

from nextpractice.core import markdown, words
from nextpractice.core.forms import mark_errors, style

register = template.Library()


@register.filter
def md(text: str) -> SafeString:
    """Members' Markdown as sanitised HTML (links made safe; no raw HTML)."""
    return mark_safe(markdown.render(text))  # noqa: S308 - nh3 has sanitised it


@register.filter
@stringfilter
def possessive(name: str) -> str:
    """The name's possessive, as ``core.words.possessive`` writes it."""
    return words.possessive(name)


@register.simple_tag
def stylise(form: forms.BaseForm) -> str:
    """Give a third-party form (allauth's) the design system's classes before rendering."""
    style(form)
    if form.is_bound:
        mark_errors(form)
    return ""
