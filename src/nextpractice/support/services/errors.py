from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models

from nextpractice.core.once import KeySpent, once

M = TypeVar("M", bound=models.Model)


class SupportError(Exception):
    """A step that cannot happen; the message is shown to the person."""


def create_once(
    by: Any, once_key: str, model: type[M], create: Callable[[], M], **within: Any
) -> M:
    """``create()`` once per form key (``core.once``): a repeat of the same submission
    returns the first result and records and sends nothing. ``within`` says where the first
    result must be (its cluster, its request): a key spent elsewhere is a tampered form."""
    try:
        return once(by.pk, once_key, model, create, within=within)
    except KeySpent as e:
        raise SupportError(str(e)) from e
