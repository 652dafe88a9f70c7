"""Planning the year: the area's calendar, proposing dates in fair rotation, diarising
them, and moving, adding or cancelling a meeting. Everyone is told of each change."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Cluster, Membership, Role
from nextpractice.core.mail import queue_email
from nextpractice.core.models import Kind
from nextpractice.directory.models import ClosureDay, Setting

from .. import planner
from ..models import (
    PLAN_CHOICES,
    Meeting,
    MeetingStatus,
    PlaceKind,
    SchoolHoliday,
    YearPlan,
)
from .common import (
    MeetingError,
    check_version,
    cluster_meetings,
    current_members,
    lock,
    setting_of,
)
from .emails import audience, tell_everyone
from .reminders import skip_due_emails

# --- Calendars of the year ---------------------------------------------------------------


def holidays_for(area_id: int, start_year: int) -> tuple[list[planner.Period], bool]:
    """The area's school holidays in the academic year, and whether they are the default
    English pattern (no term dates entered or imported for that year)."""
    year = planner.academic_year(start_year)
    entered = [
        h.as_period()
        for h in SchoolHoliday.objects.filter(
            area_id=area_id, start__lte=year.end, end__gte=year.start
        )
    ]
    if entered:
        return entered, False
    return planner.default_school_holidays(start_year), True


def closures_for(
    members: Sequence[Membership], year: planner.Period
) -> dict[str, dict[dt.date, str]]:
    """Each member's setting's closure and INSET days in the year, by member name."""
    by_setting: dict[int, dict[dt.date, str]] = defaultdict(dict)
    setting_ids = [m.user.profile.setting_id for m in members if setting_of(m) is not None]
    for day in ClosureDay.objects.filter(
        setting_id__in=setting_ids, date__gte=year.start, date__lte=year.end
    ):
        by_setting[day.setting_id][day.date] = day.reason or "closure day"
    result: dict[str, dict[dt.date, str]] = {}
    for m in members:
        setting = setting_of(m)
        if setting is not None:
            result[f"{m.user} ({setting.name})"] = by_setting.get(setting.pk, {})
    return result


def calendar_for(plan: YearPlan, members: Sequence[Membership]) -> planner.Calendar:
    holidays, _ = holidays_for(plan.cluster.area_id, plan.start_year)
    return planner.Calendar(
        plan.year,
        holidays,
        planner.bank_holidays_between(plan.year),
        closures_for(members, plan.year),
    )


# --- Planning the year --------------------------------------------------------------------


def rotations(
    cluster: Cluster, members: Sequence[Membership], days: Sequence[dt.date]
) -> tuple[list[Setting | None], list[User | None], list[User | None]]:
    """Hosts, chairs and note-takers for meetings on ``days``, in fair rotation that
    carries on from the cluster's earlier meetings."""
    leaders = [m for m in members if m.role == Role.MEMBER]
    settings_ = [s for m in leaders if (s := setting_of(m)) is not None]
    settings_ = list(dict.fromkeys(settings_))  # two leaders of one setting host once
    earlier = list(
        cluster_meetings(cluster.pk)
        .diarised()
        .exclude(status=MeetingStatus.CANCELLED)
        .order_by("starts_at")
        .values_list("host_setting_id", "chair_id", "note_taker_id")
    )
    closed: dict[int, set[dt.date]] = {s.pk: set() for s in settings_}
    for setting_id, day in ClosureDay.objects.filter(
        setting__in=settings_, date__in=list(days)
    ).values_list("setting_id", "date"):
        closed[setting_id].add(day)
    by_id = {s.pk: s for s in settings_}
    host_ids = planner.rotation(
        [s.pk for s in settings_],
        len(days),
        history=[h for h, _, _ in earlier if h],
        unavailable=[{sid for sid, ds in closed.items() if d in ds} for d in days],
    )
    hosts = [by_id[h] if h is not None else None for h in host_ids]
    users = {m.user_id: m.user for m in leaders}
    facilitator = next((m.user for m in members if m.role == Role.FACILITATOR), None)
    if facilitator is not None:
        chairs: list[User | None] = [facilitator] * len(days)
    else:
        chair_ids = planner.rotation(
            list(users), len(days), history=[c for _, c, _ in earlier if c]
        )
        chairs = [users.get(c) if c else None for c in chair_ids]
    taker_ids = planner.rotation(
        list(users),
        len(days),
        history=[t for _, _, t in earlier if t],
        # The chair does not take notes at the same meeting when anyone else can.
        unavailable=[{c.pk} if c is not None and len(users) > 1 else set() for c in chairs],
    )
    takers = [users.get(t) if t else None for t in taker_ids]
    return hosts, chairs, takers


@transaction.atomic
def draft_plan(cluster: Cluster, by: User, values: dict[str, Any]) -> YearPlan:
    """Propose the year's meetings from the plan's settings; replaces an earlier draft.

    Proposed meetings are visible to members only and reach nobody's calendar until the
    plan is confirmed.
    """
    start_year = values["start_year"]
    plan = cluster.year_plans.select_for_update().filter(start_year=start_year).first()
    if plan is not None and plan.confirmed_at is not None:
        raise MeetingError(
            f"The {plan.year_label} meetings are already diarised: move or cancel a "
            "meeting, or add one, from the year's page."
        )
    if plan is None:
        plan = YearPlan(cluster=cluster, start_year=start_year, created_by=by)
    for name in PLAN_CHOICES:
        if name in values:
            setattr(plan, name, values[name])
    plan.save()
    plan.meetings.all().delete()
    members = current_members(cluster)
    cal = calendar_for(plan, members)
    proposals = planner.propose_dates(
        cal,
        planner.Cadence(plan.cadence),
        plan.weekday,
        every_weeks=plan.every_weeks,
        today=timezone.localdate() + dt.timedelta(days=1),
    )
    days = [p.day for p in proposals]
    hosts, chairs, takers = rotations(cluster, members, days)
    Meeting.objects.bulk_create(
        [
            Meeting(
                cluster=cluster,
                plan=plan,
                status=MeetingStatus.PROPOSED,
                starts_at=planner.local_datetime(day, plan.start_time),
                duration_minutes=plan.duration_minutes,
                place_kind=plan.place_kind,
                host_setting=host if plan.place_kind == PlaceKind.ROTATING else None,
                venue=plan.venue,
                online_url=plan.online_url,
                chair=chair,
                note_taker=taker,
            )
            for day, host, chair, taker in zip(days, hosts, chairs, takers, strict=True)
        ]
    )
    record(by, "plan.drafted", plan, f"{by} proposed dates for {plan.year_label}", cluster)
    return plan


def check_time(
    meeting: Meeting, day: dt.date, start: dt.time, minutes: int, *, now: dt.datetime | None = None
) -> dt.datetime:
    """The new start as an aware datetime, or MeetingError saying what is wrong."""
    if minutes <= 0:
        raise MeetingError(
            "The meeting must end after it starts: give a length of at least a minute."
        )
    if minutes > 8 * 60:
        raise MeetingError("A meeting can last at most 8 hours.")
    year = meeting.plan.year
    starts_at = planner.local_datetime(day, start)
    try:
        ends_on = (starts_at + dt.timedelta(minutes=minutes)).date()
    except OverflowError:  # the last day the calendar has: certainly not this year
        ends_on = dt.date.max
    if day in year and starts_at.date() != ends_on:
        raise MeetingError("The meeting must end on the day it starts.")
    if starts_at <= (now or timezone.now()):
        raise MeetingError("That time has already passed: choose a time in the future.")
    if day not in year:
        raise MeetingError(
            f"That date is outside the academic year {year.name} "
            f"({year.start:%-d %B %Y} to {year.end:%-d %B %Y})."
        )
    ends_at = starts_at.astimezone(dt.UTC) + dt.timedelta(minutes=minutes)
    others = cluster_meetings(meeting.cluster_id).exclude(status=MeetingStatus.CANCELLED)
    if meeting.pk:
        others = others.exclude(pk=meeting.pk)
    if meeting.status != MeetingStatus.PROPOSED:
        others = others.diarised()
    for other in others.filter(
        starts_at__lt=ends_at, starts_at__gte=starts_at - dt.timedelta(hours=8)
    ):
        if other.ends_at > starts_at:
            raise MeetingError(
                "That clashes with the cluster's meeting on "
                f"{other.local_start:%A %-d %B at %H:%M}: choose another time."
            )
    return starts_at


@transaction.atomic
def move_meeting(
    meeting: Meeting,
    by: User,
    day: dt.date,
    start: dt.time,
    minutes: int,
    place: dict[str, Any] | None = None,
    *,
    version: int | None = None,
) -> Meeting:
    """Change when (and where) a meeting is. A diarised meeting's members are told.
    ``version``: the meeting's version the edit form was drawn from; a save from an older
    one raises ``StaleEdit`` and changes nothing (``meeting`` then holds the saved one)."""
    lock(meeting)
    # Under the lock, from the database: the caller's copy may be older than a colleague's
    # save, and saving it back would revert their change.
    meeting.refresh_from_db()
    if meeting.is_cancelled:
        raise MeetingError("This meeting is cancelled.")
    check_version(meeting.version, version)
    was = meeting.local_start
    was_place = meeting.place_text()
    meeting.starts_at = check_time(meeting, day, start, minutes)
    meeting.duration_minutes = minutes
    if place:
        for name, value in place.items():
            setattr(meeting, name, value)
    changed = meeting.local_start != was or meeting.place_text() != was_place
    meeting.version += 1
    if meeting.status == MeetingStatus.PROPOSED:
        meeting.save()
        record(
            by,
            "meeting.moved",
            meeting,
            f"{by} moved a proposed date from {was:%-d %B} to {meeting.local_start:%-d %B}",
            meeting.cluster,
        )
        return meeting
    meeting.touch()
    if meeting.local_start.date() != was.date():
        # A new day: the call for items, agenda and reminder go again at their times.
        meeting.call_sent_at = meeting.agenda_sent_at = meeting.reminder_sent_at = None
        skip_due_emails(meeting)
    meeting.save()
    record(
        by,
        "meeting.moved",
        meeting,
        f"{by} moved the meeting of {was:%-d %B %H:%M} to {meeting.local_start:%-d %B %H:%M}",
        meeting.cluster,
    )
    if changed:
        tell_everyone(
            meeting,
            "emails/meeting_changed",
            {"was": was, "was_place": was_place, "by": by},
            kind=Kind.MEETING,
            text=f"{by} moved the meeting of {was:%-d %B} to {meeting.local_start:%-d %B, %H:%M}",
        )
    return meeting


@transaction.atomic
def confirm_plan(plan: YearPlan, by: User) -> list[Meeting]:
    """Diarise the proposed meetings: they reach everyone's calendar and everyone is told."""
    plan.cluster.year_plans.select_for_update().filter(pk=plan.pk).first()
    plan.refresh_from_db()
    if plan.confirmed_at is not None:
        raise MeetingError("This year is already diarised.")
    meetings = list(
        plan.meetings.filter(status=MeetingStatus.PROPOSED).select_related("host_setting")
    )
    if not meetings:
        raise MeetingError("There are no proposed dates to confirm: propose dates first.")
    now = timezone.now()
    past = [m for m in meetings if m.starts_at <= now]
    if past:
        raise MeetingError(
            f"The date {past[0].local_start:%-d %B %Y} has already passed: move it first."
        )
    for m in meetings:
        m.status = MeetingStatus.SCHEDULED
        m.updated_at = now
    plan.meetings.bulk_update(meetings, ["status", "updated_at"])
    plan.confirmed_at = now
    plan.save(update_fields=["confirmed_at"])
    record(
        by,
        "plan.confirmed",
        plan,
        f"{by} diarised {len(meetings)} meetings for {plan.year_label}",
        plan.cluster,
    )
    for membership in audience(plan.cluster):
        queue_email(
            membership.user.email,
            "emails/year_diarised",
            {
                "person": membership.user,
                "plan": plan,
                "meetings": meetings,
                "by": by,
                "cluster": plan.cluster,
            },
        )
    return meetings


@transaction.atomic
def add_meeting(
    cluster: Cluster, by: User, day: dt.date, start: dt.time, minutes: int, place: dict[str, Any]
) -> Meeting:
    """One extra meeting in the year (a plan is made for the year if there is none)."""
    start_year = planner.academic_year_of(day)
    this_year = planner.academic_year_of(timezone.localdate())
    # Checked before a plan is made for the day's year: a year long past or far ahead has
    # no plan to hang a meeting from (and years 0 or 10000 have no calendar at all).
    if start_year < this_year:
        raise MeetingError("That date has already passed: choose a date in the future.")
    if start_year > this_year + 1:
        raise MeetingError(
            f"Meetings are added for this academic year and the next only "
            f"({planner.academic_year(this_year).name} and "
            f"{planner.academic_year(this_year + 1).name})."
        )
    plan, _ = cluster.year_plans.get_or_create(
        start_year=start_year,
        defaults={"created_by": by, "confirmed_at": timezone.now()},
    )
    meeting = Meeting(cluster=cluster, plan=plan, status=MeetingStatus.SCHEDULED, **place)
    if plan.confirmed_at is None:
        meeting.status = MeetingStatus.PROPOSED
    meeting.starts_at = check_time(meeting, day, start, minutes)
    meeting.duration_minutes = minutes
    members = current_members(cluster)
    hosts, chairs, takers = rotations(cluster, members, [day])
    if meeting.place_kind == PlaceKind.ROTATING and meeting.host_setting is None:
        meeting.host_setting = hosts[0]
    meeting.chair, meeting.note_taker = chairs[0], takers[0]
    skip_due_emails(meeting)
    meeting.save()
    record(
        by,
        "meeting.added",
        meeting,
        f"{by} added a meeting on {meeting.local_start:%-d %B %Y}",
        cluster,
    )
    if meeting.status == MeetingStatus.SCHEDULED:
        tell_everyone(
            meeting,
            "emails/meeting_added",
            {"by": by},
            kind=Kind.MEETING,
            text=f"{by} added a meeting on {meeting.local_start:%A %-d %B, %H:%M}",
        )
    return meeting


@transaction.atomic
def cancel_meeting(meeting: Meeting, by: User, reason: str) -> None:
    """Cancel: the meeting stays in calendars marked cancelled, and everyone is told."""
    lock(meeting)
    meeting.refresh_from_db()
    if meeting.is_cancelled:
        raise MeetingError("This meeting is already cancelled.")
    if meeting.status == MeetingStatus.PROPOSED:
        record(
            by,
            "meeting.removed",
            meeting,
            f"{by} removed the proposed date {meeting.local_start:%-d %B}",
            meeting.cluster,
        )
        meeting.delete()
        return
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = timezone.now()
    meeting.version += 1
    meeting.touch()
    meeting.save()
    record(
        by,
        "meeting.cancelled",
        meeting,
        f"{by} cancelled the meeting of {meeting.local_start:%-d %B}",
        meeting.cluster,
    )
    tell_everyone(
        meeting,
        "emails/meeting_cancelled",
        {"by": by, "reason": reason},
        kind=Kind.MEETING,
        text=f"{by} cancelled the meeting of {meeting.local_start:%A %-d %B}",
    )


def next_meeting(cluster_id: int, *, open_notes: bool = False) -> Meeting | None:
    """The cluster's next diarised meeting from now (with notes still open, if asked)."""
    coming = cluster_meetings(cluster_id).filter(
        status=MeetingStatus.SCHEDULED, starts_at__gt=timezone.now()
    )
    if open_notes:
        coming = coming.filter(notes_published_at=None)
    return coming.order_by("starts_at").first()


def next_meeting_after(meeting: Meeting) -> Meeting | None:
    return (
        cluster_meetings(meeting.cluster_id)
        .filter(status=MeetingStatus.SCHEDULED, starts_at__gt=meeting.starts_at)
        .order_by("starts_at")
        .first()
    )
