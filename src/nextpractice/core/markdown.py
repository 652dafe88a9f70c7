"""Markdown in members' text, rendered to HTML and sanitised (nh3) on the way out."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# CommonMark with raw HTML turned off: what members type is text and Markdown only.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
}


def render(text: str) -> str:
    """Safe HTML: only simple formatting and links (rel="noopener noreferrer nofollow",
    http, https and mailto only). Headings are demoted to fit inside a page."""
    html = _md.render(text or "")
    html = (
        html.replace("<h1>", "<h3>")
        .replace("</h1>", "</h3>")
        .replace("<h2>", "<h3>")
        .replace("</h2>", "</h3>")
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
