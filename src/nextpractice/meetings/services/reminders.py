"""Reminders: the call for items a week before, the agenda a few days before, and a
reminder the day before, sent by the periodic job. Work that is nobody's read: it goes
through every cluster's meetings (``unscoped``) and addresses only each cluster's agreed
members and the meeting's deputies (``emails.audience``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import Meeting, MeetingStatus
from .agenda import agenda
from .emails import tell_everyone


def _claim(meeting_id: int, stamp: str, now: dt.datetime) -> bool:
    """Claim one periodic email for a meeting; only one worker ever succeeds."""
    return bool(
        Meeting.objects.unscoped().filter(pk=meeting_id, **{stamp: None}).update(**{stamp: now})
    )


def _jobs(meeting: Meeting) -> list[tuple[str, int, str]]:
    """The emails before a meeting, earliest first: (its stamp, days before, template)."""
    return [
        ("call_sent_at", meeting.plan.call_days_before, "emails/call_for_items"),
        ("agenda_sent_at", meeting.plan.agenda_days_before, "emails/agenda"),
        ("reminder_sent_at", 1, "emails/reminder"),
    ]


def skip_due_emails(meeting: Meeting, now: dt.datetime | None = None) -> None:
    """Stamp as sent the emails whose moment has already come, without sending them: for a
    meeting added (or moved) late, the email that tells of it carries the date, the place
    and the link to the agenda, so a call for items, an agenda and a reminder straight after
    it would be four emails about one thing. A proposed date sends nothing yet: untouched."""
    if meeting.status != MeetingStatus.SCHEDULED:
        return
    now = now or timezone.now()
    days_left = (meeting.starts_at - now).total_seconds() / 86400
    for stamp, days, _ in _jobs(meeting):
        if getattr(meeting, stamp) is None and days_left <= days:
            setattr(meeting, stamp, now)


def send_due_meeting_emails(now: dt.datetime | None = None) -> int:
    """The call for items a week before, the agenda a few days before, and a reminder the
    day before. Idempotent: each is claimed in the transaction that queues its emails.

    When several are due at once (the worker was down, or the meeting was diarised late),
    only the latest goes and the earlier ones are stamped unsent: one email, not three. The
    reminder says "today", never "tomorrow", when the meeting is on the day it is sent."""
    now = now or timezone.now()
    sent = 0
    upcoming = (
        Meeting.objects.unscoped()
        .filter(
            status=MeetingStatus.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + dt.timedelta(days=31),
        )
        .select_related("plan", "cluster", "host_setting", "chair", "note_taker")
    )
    for meeting in upcoming:
        days_left = (meeting.starts_at - now).total_seconds() / 86400
        due = [
            (stamp, template)
            for stamp, days, template in _jobs(meeting)
            if getattr(meeting, stamp) is None and days_left <= days
        ]
        if not due:
            continue
        stamp, template = due[-1]
        with transaction.atomic():
            if not _claim(meeting.pk, stamp, now):
                continue
            for earlier, _ in due[:-1]:
                _claim(meeting.pk, earlier, now)
            context: dict[str, Any] = {}
            if template == "emails/agenda":
                context = agenda(meeting)
            if template == "emails/reminder":
                context["today"] = timezone.localdate(meeting.starts_at) == timezone.localdate(now)
            tell_everyone(meeting, template, context)
            sent += 1
    return sent
