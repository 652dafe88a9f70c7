"""Workflows of the cluster's year: plan, diarise, move, cancel, answer, agenda, notes,
actions, and the emails around them. Views, commands, tasks and the demo all call these."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Cluster, Membership, Role
from nextpractice.core.mail import queue_email
from nextpractice.directory.access import get_own_setting
from nextpractice.directory.models import ClosureDay, Setting

from . import planner
from .models import (
    PLAN_CHOICES,
    Action,
    ActionStatus,
    ActionUpdate,
    AgendaItem,
    Attendance,
    ItemKind,
    Mark,
    Meeting,
    MeetingStatus,
    Note,
    PlaceKind,
    Response,
    SchoolHoliday,
    YearPlan,
)


class MeetingError(Exception):
    """A step that cannot happen; the message is shown to the person."""


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


def current_members(cluster: Cluster) -> list[Membership]:
    return list(
        cluster.memberships.filter(left_at=None)
        .select_related("user", "user__profile", "user__profile__setting")
        .order_by("joined_at", "pk")
    )


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


def setting_of(membership: Membership) -> Setting | None:
    return get_own_setting(membership.user)


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
        Meeting.objects.filter(cluster=cluster)
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
    plan = (
        YearPlan.objects.select_for_update().filter(cluster=cluster, start_year=start_year).first()
    )
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
    starts_at = planner.local_datetime(day, start)
    if starts_at.date() != (starts_at + dt.timedelta(minutes=minutes)).date():
        raise MeetingError("The meeting must end on the day it starts.")
    if starts_at <= (now or timezone.now()):
        raise MeetingError("That time has already passed: choose a time in the future.")
    year = meeting.plan.year
    if day not in year:
        raise MeetingError(
            f"That date is outside the academic year {year.name} "
            f"({year.start:%-d %B %Y} to {year.end:%-d %B %Y})."
        )
    ends_at = starts_at.astimezone(dt.UTC) + dt.timedelta(minutes=minutes)
    others = Meeting.objects.filter(cluster_id=meeting.cluster_id).exclude(
        status=MeetingStatus.CANCELLED
    )
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
) -> Meeting:
    """Change when (and where) a meeting is. A diarised meeting's members are told."""
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
    if meeting.is_cancelled:
        raise MeetingError("This meeting is cancelled.")
    was = meeting.local_start
    was_place = meeting.place_text()
    meeting.starts_at = check_time(meeting, day, start, minutes)
    meeting.duration_minutes = minutes
    if place:
        for name, value in place.items():
            setattr(meeting, name, value)
    changed = meeting.local_start != was or meeting.place_text() != was_place
    if meeting.status == MeetingStatus.PROPOSED:
        meeting.save()
        return meeting
    meeting.touch()
    if meeting.local_start.date() != was.date():
        # A new day: the call for items, agenda and reminder go again at their times.
        meeting.call_sent_at = meeting.agenda_sent_at = meeting.reminder_sent_at = None
    meeting.save()
    record(
        by,
        "meeting.moved",
        meeting,
        f"{by} moved the meeting of {was:%-d %B %H:%M} to {meeting.local_start:%-d %B %H:%M}",
        meeting.cluster,
    )
    if changed:
        _tell_everyone(
            meeting,
            "emails/meeting_changed",
            {"was": was, "was_place": was_place, "by": by},
        )
    return meeting


@transaction.atomic
def confirm_plan(plan: YearPlan, by: User) -> list[Meeting]:
    """Diarise the proposed meetings: they reach everyone's calendar and everyone is told."""
    YearPlan.objects.select_for_update().filter(pk=plan.pk).first()
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
    Meeting.objects.bulk_update(meetings, ["status", "updated_at"])
    plan.confirmed_at = now
    plan.save(update_fields=["confirmed_at"])
    record(
        by,
        "plan.confirmed",
        plan,
        f"{by} diarised {len(meetings)} meetings for {plan.year_label}",
        plan.cluster,
    )
    for membership in _audience(plan.cluster):
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
    plan, _ = YearPlan.objects.get_or_create(
        cluster=cluster,
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
    meeting.save()
    record(
        by,
        "meeting.added",
        meeting,
        f"{by} added a meeting on {meeting.local_start:%-d %B %Y}",
        cluster,
    )
    if meeting.status == MeetingStatus.SCHEDULED:
        _tell_everyone(meeting, "emails/meeting_added", {"by": by})
    return meeting


@transaction.atomic
def cancel_meeting(meeting: Meeting, by: User, reason: str) -> None:
    """Cancel: the meeting stays in calendars marked cancelled, and everyone is told."""
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
    meeting.refresh_from_db()
    if meeting.is_cancelled:
        raise MeetingError("This meeting is already cancelled.")
    if meeting.status == MeetingStatus.PROPOSED:
        meeting.delete()
        return
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = timezone.now()
    meeting.touch()
    meeting.save()
    record(
        by,
        "meeting.cancelled",
        meeting,
        f"{by} cancelled the meeting of {meeting.local_start:%-d %B}",
        meeting.cluster,
    )
    _tell_everyone(meeting, "emails/meeting_cancelled", {"by": by, "reason": reason})


def _audience(cluster: Cluster) -> list[Membership]:
    """Members and facilitators who have agreed to the ground rules (they see content)."""
    return [
        m
        for m in cluster.memberships.filter(left_at=None).select_related("user", "cluster")
        if m.has_agreed
    ]


def _deputies(meeting: Meeting) -> list[tuple[User, User]]:
    """(deputy, the member they stand in for) for each deputy named for the meeting."""
    return [
        (a.deputy, a.member)
        for a in meeting.attendances.filter(response=Response.DEPUTY).select_related(
            "deputy", "member"
        )
        if a.deputy is not None
    ]


def _tell_everyone(meeting: Meeting, template: str, context: dict[str, Any]) -> None:
    """Email every member, and every deputy of this meeting, about it."""
    for membership in _audience(meeting.cluster):
        queue_email(
            membership.user.email,
            template,
            {**context, "person": membership.user, "meeting": meeting, "cluster": meeting.cluster},
        )
    for deputy, member in _deputies(meeting):
        queue_email(
            deputy.email,
            template,
            {
                **context,
                "person": deputy,
                "meeting": meeting,
                "cluster": meeting.cluster,
                "deputy_for": member,
            },
        )


# --- Who is coming ----------------------------------------------------------------------


def _deputy_account(email: str, name: str) -> User:
    """The deputy's account: found by email, or made with no password (they sign in with
    an emailed code). Being a deputy gives access to nothing but the meeting itself."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email, None, full_name=name)
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )
    return user


@transaction.atomic
def respond(
    meeting: Meeting,
    member: User,
    response: str,
    deputy_name: str = "",
    deputy_email: str = "",
) -> Attendance:
    """A member's answer: attending, sending a deputy, or apologies, until the start."""
    if meeting.status != MeetingStatus.SCHEDULED:
        raise MeetingError("This meeting is not diarised: there is nothing to answer yet.")
    if meeting.has_started:
        raise MeetingError("This meeting has started: answers close at the start.")
    if response not in Response.values:
        raise MeetingError("Choose attending, sending a deputy, or apologies.")
    attendance, _ = Attendance.objects.select_for_update().get_or_create(
        meeting=meeting, member=member
    )
    previous_deputy = attendance.deputy if attendance.response == Response.DEPUTY else None
    attendance.response = response
    attendance.responded_at = timezone.now()
    if response == Response.DEPUTY:
        deputy_email = deputy_email.strip().lower()
        deputy_name = deputy_name.strip()
        if not deputy_name:
            raise MeetingError("Give your deputy's name.")
        try:
            validate_email(deputy_email)
        except ValidationError:
            raise MeetingError(
                "Give your deputy's email address, like name@school.org.uk."
            ) from None
        if deputy_email == member.email.lower():
            raise MeetingError("Your deputy needs their own email address, not yours.")
        if meeting.cluster.memberships.filter(
            user__email__iexact=deputy_email, left_at=None
        ).exists():
            raise MeetingError("That person is already in this cluster: they come as themselves.")
        deputy = _deputy_account(deputy_email, deputy_name)
        attendance.deputy_name, attendance.deputy_email = deputy_name, deputy_email
        attendance.deputy = deputy
        attendance.save()
        if previous_deputy != deputy:
            queue_email(
                deputy_email,
                "emails/deputy_invitation",
                {
                    "person": deputy,
                    "deputy_name": deputy_name,
                    "member": member,
                    "meeting": meeting,
                    "cluster": meeting.cluster,
                },
            )
            record(
                member,
                "meeting.deputy",
                meeting,
                f"{member} is sending {deputy_name} as deputy",
                meeting.cluster,
            )
    else:
        attendance.deputy_name = attendance.deputy_email = ""
        attendance.deputy = None
        attendance.save()
    return attendance


@transaction.atomic
def take_register(meeting: Meeting, by: User, marks: dict[int, str]) -> None:
    """Marks by member id: attended, deputised, apologies or absent."""
    if meeting.status != MeetingStatus.SCHEDULED:
        raise MeetingError("Only a diarised meeting has a register.")
    if not meeting.has_started:
        raise MeetingError("The register is taken at the meeting, once it has started.")
    member_ids = {
        m.user_id for m in meeting.cluster.memberships.filter(left_at=None, role=Role.MEMBER)
    }
    for user_id, mark in marks.items():
        if user_id not in member_ids or mark not in Mark.values:
            raise MeetingError("The register lists this cluster's members only.")
        Attendance.objects.update_or_create(
            meeting=meeting, member_id=user_id, defaults={"mark": mark}
        )
    meeting.register_taken_at = timezone.now()
    meeting.save(update_fields=["register_taken_at"])
    record(by, "meeting.register", meeting, f"{by} took the register", meeting.cluster)


def attendance_record(cluster: Cluster, plan: YearPlan | None) -> list[dict[str, Any]]:
    """Each member's marks over the year's meetings so far: a row per member."""
    members = [m for m in current_members(cluster) if m.role == Role.MEMBER]
    counts: dict[int, dict[str, int]] = {m.user_id: dict.fromkeys(Mark.values, 0) for m in members}
    if plan is not None:
        for member_id, mark in (
            Attendance.objects.filter(meeting__plan=plan, meeting__register_taken_at__isnull=False)
            .exclude(mark="")
            .values_list("member_id", "mark")
        ):
            if member_id in counts:
                counts[member_id][mark] += 1
    return [{"member": m.user, **counts[m.user_id]} for m in members]


# --- Agenda ------------------------------------------------------------------------------


def _refresh(meeting: Meeting) -> None:
    """Re-read the meeting's state (another person may have just published or cancelled)."""
    fresh = Meeting.objects.filter(pk=meeting.pk).values("status", "notes_published_at").get()
    meeting.status, meeting.notes_published_at = fresh["status"], fresh["notes_published_at"]


def _can_edit_agenda(meeting: Meeting) -> None:
    _refresh(meeting)
    if meeting.is_cancelled:
        raise MeetingError("This meeting is cancelled.")
    if meeting.notes_published_at is not None:
        raise MeetingError("The notes of this meeting are published: the agenda is closed.")


@transaction.atomic
def add_item(
    meeting: Meeting, by: User, kind: str, title: str, detail: str = "", minutes: int | None = None
) -> AgendaItem:
    _can_edit_agenda(meeting)
    last = meeting.items.aggregate(m=Max("position"))["m"]
    # Any other business stays last; other items go before it.
    position = (last or 0) + 10
    item = AgendaItem.objects.create(
        meeting=meeting,
        kind=kind,
        title=title,
        detail=detail,
        minutes=minutes,
        raised_by=by,
        position=position,
    )
    aob = list(meeting.items.filter(kind=ItemKind.AOB).exclude(pk=item.pk))
    if kind != ItemKind.AOB and aob:
        for other in aob:
            other.position = position + 10
        AgendaItem.objects.bulk_update(aob, ["position"])
    record(
        by,
        "agenda.item_added",
        item,
        f"{by} added \u201c{title}\u201d to the agenda",
        meeting.cluster,
    )
    return item


def _renumber(items: list[AgendaItem]) -> None:
    for i, item in enumerate(items):
        item.position = (i + 1) * 10
    AgendaItem.objects.bulk_update(items, ["position"])


@transaction.atomic
def move_item(meeting: Meeting, item: AgendaItem, direction: str) -> None:
    _can_edit_agenda(meeting)
    items = list(meeting.items.select_for_update())
    i = next(k for k, it in enumerate(items) if it.pk == item.pk)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(items):
        items[i], items[j] = items[j], items[i]
    _renumber(items)


@transaction.atomic
def merge_items(meeting: Meeting, by: User, item: AgendaItem, into: AgendaItem) -> AgendaItem:
    """Fold ``item`` into ``into``: its text, time, notes and actions move across."""
    _can_edit_agenda(meeting)
    if item.pk == into.pk:
        raise MeetingError("Choose a different item to merge with.")
    raised = f" (raised by {item.raised_by})" if item.raised_by else ""
    into.detail = "\n\n".join(
        p for p in [into.detail, f"{item.title}{raised}: {item.detail}".rstrip(": ")] if p
    )
    if item.minutes:
        into.minutes = (into.minutes or 0) + item.minutes
    into.save()
    Note.objects.filter(item=item).update(item=into)
    Action.objects.filter(item=item).update(item=into)
    item.delete()
    record(
        by,
        "agenda.merged",
        into,
        f"{by} merged \u201c{item.title}\u201d into \u201c{into.title}\u201d",
        meeting.cluster,
    )
    return into


@transaction.atomic
def set_roles(meeting: Meeting, by: User, chair: User | None, note_taker: User | None) -> None:
    """Swap who chairs or takes notes (by agreement: any member may, and it is recorded)."""
    meeting.chair, meeting.note_taker = chair, note_taker
    meeting.save(update_fields=["chair", "note_taker"])
    record(
        by,
        "meeting.roles",
        meeting,
        f"{by} set the chair to {chair or 'nobody'} and the note-taker to {note_taker or 'nobody'}",
        meeting.cluster,
    )


def agenda(meeting: Meeting) -> dict[str, Any]:
    """What the agenda shows: standing items first (open actions to review, with their
    owners and progress), then items members added, in the chair's order."""
    actions = list(
        Action.objects.to_review_at(meeting)
        .select_related("owner")
        .prefetch_related("updates__author")
    )
    items = list(
        meeting.items.select_related("raised_by").prefetch_related(
            "notes__author", "actions__owner"
        )
    )
    total = sum(i.minutes or 0 for i in items)
    successes: list[Any] = []
    if apps.is_installed("nextpractice.support"):  # successes live between meetings
        from nextpractice.support.services import successes_since_last_meeting

        successes = successes_since_last_meeting(meeting)
    return {
        "actions_to_review": actions,
        "items": items,
        "planned_minutes": total,
        "successes": successes,
    }


# --- Notes and actions --------------------------------------------------------------------


@transaction.atomic
def add_note(
    meeting: Meeting,
    by: User,
    text: str,
    item: AgendaItem | None = None,
    action: Action | None = None,
    is_decision: bool = False,
) -> Note:
    _refresh(meeting)
    if not meeting.notes_open:
        raise MeetingError("The notes of this meeting are published and closed.")
    return Note.objects.create(
        meeting=meeting, item=item, action=action, text=text, is_decision=is_decision, author=by
    )


def next_meeting(cluster_id: int, *, open_notes: bool = False) -> Meeting | None:
    """The cluster's next diarised meeting from now (with notes still open, if asked)."""
    coming = Meeting.objects.filter(
        cluster_id=cluster_id, status=MeetingStatus.SCHEDULED, starts_at__gt=timezone.now()
    )
    if open_notes:
        coming = coming.filter(notes_published_at=None)
    return coming.order_by("starts_at").first()


def next_meeting_after(meeting: Meeting) -> Meeting | None:
    return (
        Meeting.objects.filter(
            cluster_id=meeting.cluster_id,
            status=MeetingStatus.SCHEDULED,
            starts_at__gt=meeting.starts_at,
        )
        .order_by("starts_at")
        .first()
    )


@transaction.atomic
def add_action(
    meeting: Meeting,
    by: User,
    title: str,
    owner: User | None,
    due: dt.date | None = None,
    item: AgendaItem | None = None,
) -> Action:
    """A target set at a meeting; due by the next meeting unless given."""
    _refresh(meeting)
    if not meeting.notes_open:
        raise MeetingError("The notes of this meeting are published and closed.")
    if due is None:
        following = next_meeting_after(meeting)
        due = following.local_start.date() if following else None
    action = Action.objects.create(
        cluster=meeting.cluster,
        meeting=meeting,
        item=item,
        title=title,
        owner=owner,
        due=due,
        created_by=by,
        # Stamped at the meeting's start, so it comes back at the next meeting, not this one.
        created_at=max(timezone.now(), meeting.starts_at),
    )
    record(
        by,
        "action.set",
        action,
        f"{by} set an action for {action.owner_label}: {title}",
        meeting.cluster,
    )
    return action


@transaction.atomic
def update_action(action: Action, by: User, text: str, status: str) -> ActionUpdate:
    if status and status not in ActionStatus.values:
        raise MeetingError("Choose open, done or dropped.")
    if not text and (not status or status == action.status):
        raise MeetingError("Write what has happened, or change the status.")
    update = ActionUpdate.objects.create(
        action=action, author=by, text=text, status=status if status != action.status else ""
    )
    if status and status != action.status:
        action.status = status
        action.closed_at = None if status == ActionStatus.OPEN else timezone.now()
        action.save(update_fields=["status", "closed_at"])
        record(
            by,
            "action.status",
            action,
            f"{by} marked \u201c{action.title}\u201d {action.get_status_display().lower()}",
            action.cluster,
        )
    return update


@transaction.atomic
def publish_notes(meeting: Meeting, by: User) -> None:
    """Close the notes and email everyone a summary with each person's own actions."""
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
    meeting.refresh_from_db()
    if meeting.notes_published_at is not None:
        raise MeetingError("These notes are already published.")
    if meeting.status != MeetingStatus.SCHEDULED:
        raise MeetingError("Only a diarised meeting has notes to publish.")
    if not meeting.has_started:
        raise MeetingError("Notes are published once the meeting has started.")
    meeting.notes_published_at = timezone.now()
    meeting.save(update_fields=["notes_published_at"])
    record(by, "meeting.notes_published", meeting, f"{by} published the notes", meeting.cluster)
    summary = agenda(meeting)
    general = list(meeting.notes.filter(item=None).select_related("author"))
    actions = list(meeting.actions.select_related("owner"))
    following = next_meeting_after(meeting)
    people: list[tuple[User, User | None]] = [(m.user, None) for m in _audience(meeting.cluster)]
    people += _deputies(meeting)
    for person, deputy_for in people:
        mine = [a for a in actions if a.owner_id in {person.pk, None}] if deputy_for is None else []
        queue_email(
            person.email,
            "emails/notes_published",
            {
                "person": person,
                "meeting": meeting,
                "cluster": meeting.cluster,
                "items": summary["items"],
                "general": general,
                "actions": actions,
                "mine": mine,
                "next_meeting": following,
                "deputy_for": deputy_for,
            },
        )


def my_actions(user: User) -> list[Action]:
    """Every action the person owns, and their clusters' shared ones, across clusters."""
    cluster_ids = list(
        Membership.objects.filter(user=user, left_at=None).values_list("cluster_id", flat=True)
    )
    return list(
        Action.objects.filter(cluster_id__in=cluster_ids)
        .filter(Q(owner=user) | Q(owner=None))
        .select_related("cluster", "meeting", "owner")
        .prefetch_related("updates__author")
        .order_by("status", "due", "pk")
    )


# --- Periodic emails -------------------------------------------------------------------


def _claim(meeting_id: int, stamp: str, now: dt.datetime) -> bool:
    """Claim one periodic email for a meeting; only one worker ever succeeds."""
    return bool(Meeting.objects.filter(pk=meeting_id, **{stamp: None}).update(**{stamp: now}))


def send_due_meeting_emails(now: dt.datetime | None = None) -> int:
    """The call for items a week before, the agenda a few days before, and a reminder the
    day before. Idempotent: each is claimed in the transaction that queues its emails."""
    now = now or timezone.now()
    sent = 0
    upcoming = Meeting.objects.filter(
        status=MeetingStatus.SCHEDULED,
        starts_at__gt=now,
        starts_at__lte=now + dt.timedelta(days=31),
    ).select_related("plan", "cluster", "host_setting", "chair", "note_taker")
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
                _tell_everyone(meeting, template, context)
                sent += 1
    return sent


def upcoming_for(user: User, limit: int = 5) -> list[Meeting]:
    """The person's next diarised meetings, as members or deputies."""
    return list(
        Meeting.objects.for_member(user)
        .filter(status=MeetingStatus.SCHEDULED, starts_at__gte=timezone.now())
        .select_related("cluster", "host_setting")
        .order_by("starts_at")[:limit]
    )


def member_choices(cluster: Cluster) -> Iterable[User]:
    return [m.user for m in current_members(cluster)]
