"""One-time form keys: a form that creates something carries a random key issued with it,
and the service that creates spends the key in the same transaction. A repeat of the same
submission (a double click, the browser resending, a retry after a slow answer) returns the
first result and creates, records and sends nothing again.

The key is unique per person in a small table (``OnceKey``) rather than on each model, so
any create form can take part through ``OnceKeyMixin`` and ``once``. A form sent without a
key (a script, a page rendered before keys existed) is not deduplicated: there is nothing to
recognise a repeat by.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from .models import OnceKey

M = TypeVar("M", bound=models.Model)

FIELD = "once_key"
# What ``new_key`` issues (32 URL-safe characters); anything else is not one of ours.
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


class KeySpent(Exception):
    """The key was spent on something that no longer exists, or on another form: the
    person is told to reload the form; nothing is created."""


# While a page is drawn to be kept (core.memo), keys are placeholders (tagged with the
# drawing's random tag, so nobody can write one into what they post), each replaced by a
# fresh key every time the kept page is served: a key is never handed out twice.
_drawing: ContextVar[tuple[str, list[str]] | None] = ContextVar(
    "nextpractice_once_drawing", default=None
)


def new_key() -> str:
    drawing = _drawing.get()
    if drawing is not None:
        tag, drawn = drawing
        drawn.append(f"np-once-{tag}-{len(drawn)}-end")
        return drawn[-1]
    return secrets.token_urlsafe(24)


@contextmanager
def placeholders(tag: str) -> Iterator[None]:
    """Within: ``new_key`` gives placeholders tagged ``tag``, for ``with_fresh_keys``."""
    token = _drawing.set((tag, []))
    try:
        yield
    finally:
        _drawing.reset(token)


def with_fresh_keys(html: str, tag: str) -> str:
    """A kept page with a fresh key for each placeholder ``new_key`` gave while drawing it."""
    fresh: dict[str, str] = {}
    pattern = re.compile(rf"np-once-{re.escape(tag)}-\d+-end")
    return pattern.sub(lambda m: fresh.setdefault(m[0], secrets.token_urlsafe(24)), html)


def _valid_key(value: str) -> None:
    if value and not _KEY.fullmatch(value):
        raise ValidationError("Not a form key", code="invalid")


class OnceKeyMixin:
    """Adds the hidden one-time key to a create form (put it before the form class in the
    bases). ``form.once_key()`` is the key the submission carried, or ""."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A fresh key each time the form is drawn: each drawing is one intended creation.
        self.fields[FIELD] = forms.CharField(
            required=False,
            max_length=64,
            initial=new_key,
            widget=forms.HiddenInput,
            validators=[_valid_key],
        )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}  # type: ignore[misc]
        if FIELD in self.errors:  # type: ignore[attr-defined]
            # A hidden field's error is shown nowhere: say it where it is seen.
            self.add_error(  # type: ignore[attr-defined]
                None, "This form could not be read: reload the page and send it again."
            )
        return data

    def once_key(self) -> str:
        return str(self.cleaned_data.get(FIELD) or "")


def once(
    user_id: int,
    key: str,
    model: type[M],
    create: Callable[[], M],
    *,
    within: dict[str, Any] | None = None,
) -> M:
    """``create()`` the first time ``key`` is used by this person; the same object every
    time after, without calling ``create`` (so nothing is recorded or sent twice).
    ``within`` (e.g. ``{"cluster_id": 3}``): where the first result must be for this to be
    a repeat; a key spent elsewhere is a tampered form, and raises ``KeySpent``.

    Call it inside the service's ``transaction.atomic()``: the key and the object are
    written together, so a failed creation leaves the key unspent. Two submissions at the
    same moment meet at the key's unique index: the second waits for the first to commit,
    then finds its result. Raises ``KeySpent`` when the first result is gone (deleted) or
    was of another kind."""
    if not key:
        return create()
    purpose = model._meta.label_lower
    try:
        # A savepoint: the clash must leave the caller's transaction usable.
        with transaction.atomic():
            spent = OnceKey.objects.create(user_id=user_id, key=key, purpose=purpose)
    except IntegrityError:
        first = OnceKey.objects.filter(user_id=user_id, key=key).first()
        if first is None or first.purpose != purpose or first.object_id is None:
            raise KeySpent("This form was already sent: reload the page to send another.") from None
        # The base manager: the caller created this row for this same person, in a
        # service that had already checked their right to.
        found = model._base_manager.filter(pk=first.object_id).first()
        if found is None or any(getattr(found, k) != v for k, v in (within or {}).items()):
            raise KeySpent("This form was already sent: reload the page to send another.") from None
        return found
    obj = create()
    spent.object_id = obj.pk
    spent.save(update_fields=["object_id"])
    return obj


def purge(older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Forget keys older than ``older_than``: a repeat that late is not a double submission.
    (For a periodic job; nothing depends on old keys.)"""
    deleted, _ = OnceKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
