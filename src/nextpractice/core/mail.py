"""Queue emails through the outbox (see core.models.OutboundEmail)."""

from __future__ import annotations

import logging
import re
import smtplib
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

from .models import OutboundEmail, Priority
from .templatetags.email_text import MARKDOWN_BLOCK

log = logging.getLogger(__name__)


def queue_email(
    to: str,
    template: str,
    context: dict[str, Any],
    *,
    forget_body: bool = False,
    report_to: Any = None,
) -> OutboundEmail:
    """Render ``<template>_subject.txt`` and ``<template>_body.txt`` and queue the email,
    with an HTML version of the same words (``emails/base.html``).

    Call inside the transaction that makes the change: the email exists if and only if
    the change does, and delivery is enqueued once the transaction commits. ``report_to``
    (the person whose action it was, e.g. an inviter) is told if it cannot be delivered.
    """
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_text(f"{template}_subject.txt", context).split())
    body = render_text(f"{template}_body.txt", context)
    html_body = html_paragraphs(render_html(f"{template}_body.txt", context))
    html = render_to_string("emails/base.html", {**context, "subject": subject, "body": html_body})
    return queue_message(to, subject, body, html, forget_body=forget_body, report_to=report_to)


def queue_message(
    to: str,
    subject: str,
    body: str,
    html: str = "",
    *,
    forget_body: bool = False,
    priority: int = Priority.NORMAL,
    expires_at: datetime | None = None,
    report_to: Any = None,
) -> OutboundEmail:
    """Queue an email already written (allauth's sign-in codes and password resets come
    here rendered). Its Message-ID is made now, once, and used on every attempt."""
    now = timezone.now()
    message = OutboundEmail.objects.create(
        to=to,
        created_at=now,
        subject=subject[:200],
        body=body,
        html=html,
        forget_body=forget_body,
        message_id=new_message_id(),
        priority=priority,
        expires_at=expires_at,
        retry_until=now + timedelta(days=settings.EMAIL_RETRY_DAYS),
        report_to=report_to,
    )
    _deliver_on_commit(message.pk, priority)
    return message


def _deliver_on_commit(pk: int, priority: int) -> None:
    from .tasks import deliver_email

    # The task's priority puts an email someone is waiting for (a sign-in code) ahead of
    # a queue of 200 meeting emails: the worker takes the highest priority first.
    transaction.on_commit(lambda: deliver_email.using(priority=priority).enqueue(pk))


def new_message_id() -> str:
    """A Message-ID under the site's own host name (not the machine's, which may be
    private and is slow to look up)."""
    return make_msgid("outbox", domain=urlsplit(settings.SITE_URL).hostname or "localhost")


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
    """Send one queued email. Returns True when this call sent it.

    At least once, never lost: the row is claimed before sending and recorded after; a
    worker that dies between the two leaves a claim that goes stale, and the email is sent
    again with the same Message-ID, which receiving systems use to drop the repeat.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.EMAIL_CLAIM_TIMEOUT)
    # Claim atomically: only one worker can move claimed_at from empty (or stale) to now.
    claimed = (
        OutboundEmail.objects.filter(pk=pk, sent_at=None, failed_at=None)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=stale))
        .update(claimed_at=now)
    )
    if not claimed:
        return False
    message = OutboundEmail.objects.get(pk=pk)
    if message.expires_at is not None and message.expires_at <= now:
        give_up(message, "Expired before it could be sent")
        return False
    if not message.message_id:  # queued before rows had one: made once, then kept
        message.message_id = new_message_id()
        record_delivery(pk, message_id=message.message_id)
    try:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": message.message_id},
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        email.send()
    except Exception as e:  # any transport failure: record it and let a retry try again
        attempts = message.attempts + 1
        log.warning("email %s not delivered: %s", pk, type(e).__name__)
        if timezone.now() >= retry_deadline(message):
            give_up(message, type(e).__name__, attempts=attempts)
        else:
            record_delivery(
                pk,
                claimed_at=None,
                attempts=attempts,
                last_error=type(e).__name__,
                next_attempt_at=timezone.now() + backoff(attempts),
            )
        raise
    record_delivery(
        pk,
        sent_at=timezone.now(),
        claimed_at=None,
        attempts=message.attempts + 1,
        last_error="",
        next_attempt_at=None,
        **({"body": "", "html": ""} if message.forget_body else {}),
    )
    pull_forward()
    return True


# Recording a send that happened must outlast a busy SQLite (another writer holds the
# lock past its timeout) or a dropped PostgreSQL connection: about a minute of tries.
RECORD_TRIES = 10


def record_delivery(pk: int, **fields: Any) -> None:
    """Write what happened to an outbox row, retrying through "database is locked" and
    a lost connection. Raises only when the database stays out of reach: the row then
    keeps its claim, and is sent again (same Message-ID) once the claim goes stale."""
    delay = 0.1
    for attempt in range(RECORD_TRIES):
        try:
            OutboundEmail.objects.filter(pk=pk).update(**fields)
            return
        except (OperationalError, InterfaceError) as e:
            if attempt == RECORD_TRIES - 1:
                raise
            log.warning("email %s: recording failed (%s), trying again", pk, type(e).__name__)
            if not connection.in_atomic_block:
                # A dropped connection is replaced on the next query.
                connection.close_if_unusable_or_obsolete()
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def retry_deadline(message: OutboundEmail) -> datetime:
    if message.retry_until is not None:
        return message.retry_until
    return message.created_at + timedelta(days=settings.EMAIL_RETRY_DAYS)


def give_up(message: OutboundEmail, reason: str, *, attempts: int | None = None) -> bool:
    """Stop trying: the row is listed as an email that could not be sent, and the person
    whose action it was (``report_to``) is told. An expired one (a sign-in code) has its
    body blanked: it can never be sent, and its secret is kept no longer."""
    now = timezone.now()
    expired = message.expires_at is not None and message.expires_at <= now
    with transaction.atomic():
        done = OutboundEmail.objects.filter(pk=message.pk, sent_at=None, failed_at=None).update(
            failed_at=now,
            claimed_at=None,
            next_attempt_at=None,
            last_error=reason[:200],
            attempts=message.attempts if attempts is None else attempts,
            **({"body": "", "html": ""} if expired else {}),
        )
        if done and message.report_to_id is not None:
            person = message.report_to
            if person is not None and person.is_active:
                queue_email(
                    person.email,
                    "emails/undelivered",
                    {
                        "person": person,
                        "failed": message,
                        "retry_days": settings.EMAIL_RETRY_DAYS,
                    },
                )
    log.warning("email %s given up: %s", message.pk, reason)
    return bool(done)


def pull_forward() -> int:
    """The mail server answers again: bring every email waiting out a back-off forward,
    so they go within seconds instead of each at the end of its own wait."""
    now = timezone.now()
    try:
        waiting = OutboundEmail.objects.filter(
            sent_at=None, failed_at=None, next_attempt_at__gt=now
        ).update(next_attempt_at=now)
        if waiting:
            from .tasks import deliver_due

            deliver_due.enqueue()
    except (OperationalError, InterfaceError):  # only a speed-up: the next tick does it too
        log.warning("could not bring waiting emails forward")
        return 0
    return waiting


def resend(pks: Iterable[int]) -> list[int]:
    """An administrator sends emails that could not be sent again, with a fresh retry
    window. An expired one (a sign-in code) cannot be: its body is gone."""
    now = timezone.now()
    resent = []
    with transaction.atomic():
        rows = OutboundEmail.objects.filter(pk__in=list(pks), sent_at=None).exclude(failed_at=None)
        rows = rows.filter(Q(expires_at=None) | Q(expires_at__gt=now))
        for message in rows.only("pk", "priority"):
            OutboundEmail.objects.filter(pk=message.pk).update(
                failed_at=None,
                claimed_at=None,
                attempts=0,
                last_error="",
                next_attempt_at=None,
                retry_until=now + timedelta(days=settings.EMAIL_RETRY_DAYS),
            )
            _deliver_on_commit(message.pk, message.priority)
            resent.append(message.pk)
    return resent


# Back-off after the n-th failure: 1, 4, 16, then at most this many minutes between tries.
MAX_BACKOFF_MINUTES = 60


def backoff(attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt: 1, 4, 16, 60, 60... minutes."""
    return timedelta(minutes=min(4 ** (attempts - 1), MAX_BACKOFF_MINUTES))


# The server answered but refused this one message: the next may still go.
REFUSED = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)


def deliver_pending(now: datetime | None = None) -> int:
    """Deliver every email that is due (the worker's sweep: after a crash, or to retry),
    those someone is waiting for first. A mail server that cannot be reached ends the
    sweep: the rest would wait out the same timeout one by one, holding the worker."""
    sent = 0
    now = now or timezone.now()
    pending = (
        OutboundEmail.objects.filter(sent_at=None, failed_at=None)
        .filter(Q(next_attempt_at=None) | Q(next_attempt_at__lte=now) | Q(expires_at__lte=now))
        .order_by("-priority", "created_at", "pk")
    )
    for pk in list(pending.values_list("pk", flat=True)):
        try:
            sent += deliver(pk)
        except REFUSED:
            continue  # logged in deliver(); backed off; others may still go
        except Exception:  # logged in deliver(); the next sweep retries
            break
    return sent
