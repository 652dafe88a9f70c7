"""Filters for email templates (``{% load email_text %}``).

Each ``emails/*_body.txt`` template is rendered twice by ``core.mail``: once with
autoescaping off for the plain-text part, once with it on for the HTML part. These filters
give the right thing in each.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from nextpractice.core import markdown

register = template.Library()

# Marks a block of sanitised Markdown inside the HTML rendering of a body, so that
# core.mail.html_paragraphs passes it through instead of wrapping it in <p>. Everything
# else in that rendering is escaped, so member text can never produce this marker.
MARKDOWN_BLOCK = '<div class="np-md">'


@register.filter(needs_autoescape=True)
def markdown_block(text: str, autoescape: bool = True) -> str | SafeString:
    """Members' Markdown: as typed in the plain-text part; in the HTML part, rendered by the
    same sanitiser as pages (core.markdown), on one line so that paragraphing leaves it alone."""
    if not autoescape:
        return text or ""
    # "&#10;" keeps the line breaks of <pre> blocks (and is whitespace elsewhere, inside
    # attribute values included) without looking like a paragraph break.
    html = markdown.render(text).strip().replace("\n", "&#10;")
    return mark_safe(f"{MARKDOWN_BLOCK}{html}</div>")  # noqa: S308 - nh3 has sanitised it
