"""Small pieces of English that templates and services share (no Django: plain text)."""

from __future__ import annotations


def possessive(name: str) -> str:
    """The possessive: "Riverside leaders'" and "Alice's". A name ending in s takes the
    apostrophe alone, as a colleague would write it (never "leaders's")."""
    name = str(name).rstrip()
    if not name:
        return name
    return f"{name}'" if name[-1] in "sS" else f"{name}'s"
