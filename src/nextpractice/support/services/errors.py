from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models

from nextpractice.core.once import KeySpent, once

M = TypeVar("M", bound=models.Model)


class SupportError(Exception):
    """A step that cannot happen; the message is shown to the person."""


def create_once(by: Any, once_key: str, cluster: Any, model: type[M], create: Callable[[], M]) -> M:
    """``create()`` once per form key (``core.once``): a repeat of the same submission
    returns the first result and records and sends nothing. The first result must be of
    this cluster: a key spent elsewhere is a tampered form, not a repeat."""
    try:
        found = once(by.pk, once_key, model, create)
    except KeySpent as e:
        raise SupportError(str(e)) from e
    if getattr(found, "cluster_id", cluster.pk) != cluster.pk:
        raise SupportError("This form was already sent: reload the page to send another.")
    return found
