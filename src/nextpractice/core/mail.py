"""Queue emails through the outbox (see core.models.OutboundEmail)."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

from .models import OutboundEmail
from .templatetags.email_text import MARKDOWN_BLOCK

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
    subject = " ".join(render_text(f"{template}_subject.txt", context).split())
    body = render_text(f"{template}_body.txt", context)
    html_body = html_paragraphs(render_html(f"{template}_body.txt", context))
    html = render_to_string("emails/base.html", {**context, "subject": subject, "body": html_body})
    message = OutboundEmail.objects.create(
        to=to, subject=subject, body=body, html=html, forget_body=forget_body
    )
    from .tasks import deliver_email

    pk = message.pk
    transaction.on_commit(lambda: deliver_email.enqueue(pk))
    return message


def render_text(name: str, context: dict[str, Any]) -> str:
    """The plain-text part: nothing escaped, since nothing in it is HTML (a member's
    "Fish & chips" stays "Fish & chips")."""
    return get_template(name).template.render(Context(context, autoescape=False))  # type: ignore[attr-defined]


def render_html(name: str, context: dict[str, Any]) -> SafeString:
    """The same template for the HTML part, with Django's autoescaping: every name, title and
    message members typed is escaped, and Markdown (the ``markdown_block`` filter) goes
    through the pages' sanitiser."""
    return mark_safe(get_template(name).template.render(Context(context, autoescape=True)))  # type: ignore[attr-defined]  # noqa: S308 - autoescaped above


def html_paragraphs(body: SafeString) -> SafeString:
    """An escaped body as HTML: blank lines make paragraphs, line ends make <br>, addresses
    become links. Paragraphs holding sanitised Markdown are kept as they are (a <div>, since
    Markdown's own blocks cannot sit inside a <p>)."""
    out = []
    for paragraph in re.split(r"\n\s*\n", body.strip()):
        paragraph = paragraph.strip("\n")
        if not paragraph.strip():
            continue
        if MARKDOWN_BLOCK in paragraph:
            out.append(f"<div>{paragraph.replace(chr(10), '<br>')}</div>")
        else:
            # The input is marked safe (already escaped), so urlize escapes nothing twice.
            linked = urlize(mark_safe(paragraph), nofollow=True, autoescape=True)  # noqa: S308
            out.append(f"<p>{linked.replace(chr(10), '<br>')}</p>")
    return mark_safe("\n".join(out))  # noqa: S308 - built from escaped parts only


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
