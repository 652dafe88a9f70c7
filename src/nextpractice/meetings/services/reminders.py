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


def send_due_meeting_emails(now: dt.datetime | None = None) -> int:
    """The call for items a week before, the agenda a few days before, and a reminder the
    day before. Idempotent: each is claimed in the transaction that queues its emails."""
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
        jobs = [
            ("call_sent_at", meeting.plan.call_days_before, "emails/call_for_items"),
            ("agenda_sent_at", meeting.plan.agenda_days_before, "emails/agenda"),
            ("reminder_sent_at", 1, "emails/reminder"),
        ]
        for stamp, days, template in jobs:
            if getattr(meeting, stamp) is not None or days_left > days:
                continue
            with transaction.atomic():
                if not _claim(meeting.pk, stamp, now):
                    continue
                context: dict[str, Any] = {}
                if template == "emails/agenda":
                    context = agenda(meeting)
                tell_everyone(meeting, template, context)
                sent += 1
    return sent
