"""Queue emails through the outbox (see core.models.OutboundEmail)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboundEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
CLAIM_TIMEOUT = timedelta(minutes=10)


def queue_email(
    to: str, template: str, context: dict[str, Any], *, forget_body: bool = False
) -> OutboundEmail:
    """Render ``<template>_subject.txt`` and ``<template>_body.txt`` and queue the email.

    Call inside the transaction that makes the change: the email exists if and only if
    the change does, and delivery is enqueued once the transaction commits.
    """
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}_body.txt", context)
    message = OutboundEmail.objects.create(
        to=to, subject=subject, body=body, forget_body=forget_body
    )
    from .tasks import deliver_email

    pk = message.pk
    transaction.on_commit(lambda: deliver_email.enqueue(pk))
    return message


def deliver(pk: int) -> bool:
    """Send one queued email exactly once. Returns True when this call sent it."""
    now = timezone.now()
    stale = now - CLAIM_TIMEOUT
    # Claim atomically: only one worker can move claimed_at from empty (or stale) to now.
    claimed = (
        OutboundEmail.objects.filter(pk=pk, sent_at=None, attempts__lt=MAX_ATTEMPTS)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=stale))
        .update(claimed_at=now)
    )
    if not claimed:
        return False
    message = OutboundEmail.objects.get(pk=pk)
    try:
        EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
        ).send()
    except Exception as e:  # any transport failure: record it and let a retry try again
        OutboundEmail.objects.filter(pk=pk).update(
            claimed_at=None, attempts=message.attempts + 1, last_error=type(e).__name__
        )
        log.warning("email %s not delivered: %s", pk, type(e).__name__)
        raise
    OutboundEmail.objects.filter(pk=pk).update(
        sent_at=timezone.now(),
        attempts=message.attempts + 1,
        last_error="",
        **({"body": ""} if message.forget_body else {}),
    )
    return True


def deliver_pending() -> int:
    """Deliver every email still waiting (the worker's sweep after a crash)."""
    sent = 0
    pending = OutboundEmail.objects.filter(sent_at=None, attempts__lt=MAX_ATTEMPTS)
    for pk in pending.values_list("pk", flat=True):
        try:
            sent += deliver(pk)
        except Exception:  # noqa: S112 - logged in deliver(); the next sweep retries
            continue
    return sent
