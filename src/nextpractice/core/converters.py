"""Path converters for the ids and tokens in our addresses.

Django's ``<int:...>`` accepts any run of digits, so ``/clusters/99999999999999999999/``
reached the database as an integer too big for its column (an OverflowError on SQLite, a
DataError on PostgreSQL: a 500 instead of a 404). Every id in an address goes through
``<id:...>`` instead: one to ten ASCII digits, 1..2**31-1 (the range of the integer primary
keys), anything else does not match the pattern and is answered 404 like any unknown id.
"""

from __future__ import annotations

from django.urls import register_converter

# The largest value of a (signed, 32-bit) integer column on every database we run on.
MAX_ID = 2**31 - 1


class IdConverter:
    # [0-9], not \d: \d also matches non-ASCII digits such as "٣".
    regex = "[0-9]{1,10}"
    minimum = 1

    def to_python(self, value: str) -> int:
        number = int(value)
        if not self.minimum <= number <= MAX_ID:
            # A ValueError here means "this pattern does not match": the resolver moves on
            # and the address ends as a 404.
            raise ValueError(f"out of range: {value}")
        return number

    def to_url(self, value: int | str) -> str:
        return str(int(value))


class IndexConverter(IdConverter):
    """A position counted from 0 (e.g. a proposed group of a formation round)."""

    minimum = 0


class TokenConverter:
    """A secret token in an address (secrets.token_urlsafe: letters, digits, - and _). With
    ``<str:...>`` a NUL in the address reached PostgreSQL, which refuses it in text (a 500)."""

    regex = "[A-Za-z0-9_-]{1,128}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def register() -> None:
    register_converter(IdConverter, "id")
    register_converter(IndexConverter, "index")
    register_converter(TokenConverter, "token")


# Registered on import as well as from CoreConfig.ready(), so a URL conf imported on its own
# (a script, a test importing urls.py first) still knows the names.
register()
