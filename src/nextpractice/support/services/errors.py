from __future__ import annotations


class SupportError(Exception):
    """A step that cannot happen; the message is shown to the person."""
