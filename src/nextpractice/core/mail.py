"""Queue emails through the outbox (see core.models.OutboundEmail)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboundEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def queue_email(
    to: str, template: str, context: dict[str, Any], *, forget_body: bool = False
) -> OutboundEmail:
    """Render ``<template>_subject.txt`` and ``<template>_body.txt`` and queue the email,
    with an HTML version of the same words (``emails/base.html``).

    Call inside the transaction that makes the change: the email exists if and only if
    the change does, and delivery is enqueued once the transaction commits.
    """
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}_body.txt", context)
    html = render_to_string("emails/base.html", {**context, "subject": subject, "body": body})
    message = OutboundEmail.objects.create(
        to=to, subject=subject, body=body, html=html, forget_body=forget_body
    )
    from .tasks import deliver_email

    pk = message.pk
    transaction.on_commit(lambda: deliver_email.enqueue(pk))
    return message


def deliver(pk: int) -> bool:
    """Send one queued email exactly once. Returns True when this call sent it."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.EMAIL_CLAIM_TIMEOUT)
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
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            # One Message-ID for every attempt: a receiving server that already took it
            # (the worker died after sending, before recording) can drop the repeat.
            headers={"Message-ID": f"<outbox-{message.pk}-{message.created_at:%s}@nextpractice>"},
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        email.send()
    except Exception as e:  # any transport failure: record it and let a retry try again
        attempts = message.attempts + 1
        OutboundEmail.objects.filter(pk=pk).update(
            claimed_at=None,
            attempts=attempts,
            last_error=type(e).__name__,
            next_attempt_at=timezone.now() + backoff(attempts),
        )
        log.warning("email %s not delivered: %s", pk, type(e).__name__)
        raise
    OutboundEmail.objects.filter(pk=pk).update(
        sent_at=timezone.now(),
        attempts=message.attempts + 1,
        last_error="",
        next_attempt_at=None,
        **({"body": "", "html": ""} if message.forget_body else {}),
    )
    return True


def backoff(attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt: 1, 4, 16, 64 minutes."""
    return timedelta(minutes=4 ** (attempts - 1))


def deliver_pending(now: datetime | None = None) -> int:
    """Deliver every email that is due (the worker's sweep: after a crash, or to retry)."""
    sent = 0
    now = now or timezone.now()
    pending = OutboundEmail.objects.filter(sent_at=None, attempts__lt=MAX_ATTEMPTS).filter(
        Q(next_attempt_at=None) | Q(next_attempt_at__lte=now)
    )
    for pk in pending.values_list("pk", flat=True):
        try:
            sent += deliver(pk)
        except Exception:  # noqa: S112 - logged in deliver(); the next sweep retries
            continue
    return sent
