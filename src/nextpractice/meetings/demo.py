"""The demo network's year of meetings: each active cluster has its year planned, meetings
held with notes, actions and registers, and meetings to come. Written straight to the
database (not through the services) so that loading the demo sends no email."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.clusters.models import Cluster, Role
from nextpractice.directory.models import ClosureDay

from . import planner, services
from .models import (
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
    Response,
    YearPlan,
)

CONCERNS = [
    ("concern", "Our SEF leadership section feels weak"),
    ("concern", "Two staff off long-term: covering the baby room"),
    ("question", "How are you using the early years pupil premium this year?"),
    ("research", "EEF early language guidance: what would we change?"),
    ("share", "Our new transition visits for September starters"),
    ("concern", "Attendance dipped after half-term"),
    ("question", "Who has had a SEND deep dive recently?"),
    ("share", "Outdoor provision audit we tried"),
    ("research", "Sustained shared thinking: a short reading"),
    ("concern", "Parents' evening take-up is low"),
]
NOTES = [
    "Agreed to share examples before the next meeting.",
    "Two members have faced this; they will talk it through after the meeting.",
    "Evidence lists activities, not impact: reframe around what changed for children.",
    "Worth a learning walk in the spring to see it in practice.",
]
ACTIONS = [
    "Redraft leadership evidence in the SEF",
    "Share our cover rota template",
    "Bring EYPP spending plan to compare",
    "Try the transition visit checklist",
    "Send round the attendance letter we use",
    "Book a date for a learning walk",
]
INSET_REASONS = ["INSET day", "Staff training day", "Closed for polling"]


def build_year(
    cluster: Cluster,
    start_year: int,
    rng: random.Random,
    deputy_pool: Sequence[str],
    open_actions: list[Action],
) -> int:
    """Plan an academic year for the cluster and fill what has happened so far; open
    actions carry over from one year to the next. Returns the number of meetings made."""
    now = timezone.now()
    members = services.current_members(cluster)
    leaders = [m.user for m in members if m.role == Role.MEMBER]
    plan = YearPlan.objects.create(
        cluster=cluster,
        start_year=start_year,
        weekday=rng.choice([1, 2, 3]),
        created_by=leaders[0],
        confirmed_at=timezone.make_aware(dt.datetime(start_year, 9, 10, 16, 0)),
        created_at=timezone.make_aware(dt.datetime(start_year, 9, 10, 16, 0)),
    )
    cal = services.calendar_for(plan, members)
    days = [p.day for p in planner.propose_dates(cal, planner.Cadence.HALF_TERMLY, plan.weekday)]
    hosts, chairs, takers = services.rotations(cluster, members, days)
    meetings = Meeting.objects.bulk_create(
        [
            Meeting(
                cluster=cluster,
                plan=plan,
                starts_at=planner.local_datetime(day, plan.start_time),
                duration_minutes=plan.duration_minutes,
                status=MeetingStatus.SCHEDULED,
                host_setting=host,
                chair=chair,
                note_taker=taker,
                created_at=plan.created_at,
                updated_at=plan.created_at,
            )
            for day, host, chair, taker in zip(days, hosts, chairs, takers, strict=True)
        ]
    )
    past = [m for m in meetings if m.starts_at < now]
    coming = [m for m in meetings if m.starts_at >= now]
    for index, meeting in enumerate(past):
        following = meetings[index + 1] if index + 1 < len(meetings) else None
        _hold(meeting, leaders, rng, deputy_pool, open_actions, following)
    if coming:
        _prepare(coming[0], leaders, rng, deputy_pool)
    # A few INSET days in the members' settings, so the planner has clashes to show.
    settings_ = [s for m in members if (s := services.setting_of(m)) is not None]
    for setting in rng.sample(settings_, min(2, len(settings_))):
        day = planner.academic_year(start_year + 1).start + dt.timedelta(days=rng.randint(30, 120))
        if day.weekday() < 5:
            ClosureDay.objects.get_or_create(
                setting=setting, date=day, defaults={"reason": rng.choice(INSET_REASONS)}
            )
    return len(meetings)


def _hold(
    meeting: Meeting,
    leaders: Sequence[User],
    rng: random.Random,
    deputy_pool: Sequence[str],
    open_actions: list[Action],
    following: Meeting | None,
) -> None:
    """A meeting that has happened: answers, register, items, notes, actions, published."""
    Attendance.objects.bulk_create([_answer(meeting, u, rng, deputy_pool) for u in leaders])
    at = meeting.starts_at
    # Actions from earlier meetings: some done, some moved on.
    for action in list(open_actions):
        if rng.random() < 0.6:
            action.status = ActionStatus.DONE
            action.closed_at = at
            action.save(update_fields=["status", "closed_at"])
            ActionUpdate.objects.create(
                action=action,
                author=action.owner,
                text="Done and shared.",
                status="done",
                created_at=at,
            )
            open_actions.remove(action)
        else:
            ActionUpdate.objects.create(
                action=action,
                author=action.owner,
                text="Started; more next time.",
                created_at=at - dt.timedelta(days=3),
            )
    for position, (kind, title) in enumerate(rng.sample(CONCERNS, 3)):
        item = AgendaItem.objects.create(
            meeting=meeting,
            kind=kind,
            title=title,
            raised_by=rng.choice(leaders),
            minutes=rng.choice([None, 10, 15, 20]),
            position=(position + 1) * 10,
            created_at=at - dt.timedelta(days=rng.randint(2, 6)),
        )
        Note.objects.create(
            meeting=meeting,
            item=item,
            text=rng.choice(NOTES),
            author=meeting.note_taker,
            created_at=at,
        )
        if rng.random() < 0.7:
            owner = item.raised_by if rng.random() < 0.8 else None
            open_actions.append(
                Action.objects.create(
                    cluster=meeting.cluster,
                    meeting=meeting,
                    item=item,
                    title=rng.choice(ACTIONS),
                    owner=owner,
                    due=following.local_start.date() if following else None,
                    created_by=meeting.note_taker,
                    created_at=at,
                )
            )
    # Something discussed and not minuted: the published notes count it, never name it.
    AgendaItem.objects.create(
        meeting=meeting,
        kind=ItemKind.CONCERN,
        title="A staffing matter, in confidence",
        raised_by=leaders[0],
        position=40,
        off_record=True,
        created_at=at - dt.timedelta(days=1),
    )
    Meeting.objects.unscoped().filter(pk=meeting.pk).update(
        notes_published_at=at + dt.timedelta(hours=20),
        register_taken_at=at,
        call_sent_at=at - dt.timedelta(days=7),
        agenda_sent_at=at - dt.timedelta(days=3),
        reminder_sent_at=at - dt.timedelta(days=1),
    )


def _answer(
    meeting: Meeting, member: User, rng: random.Random, deputy_pool: Sequence[str]
) -> Attendance:
    roll = rng.random()
    if roll < 0.8:
        return Attendance(
            meeting=meeting, member=member, response=Response.ATTENDING, mark=Mark.ATTENDED
        )
    if roll < 0.9:
        name = rng.choice(deputy_pool)
        return Attendance(
            meeting=meeting,
            member=member,
            response=Response.DEPUTY,
            deputy_name=name,
            deputy_email=f"{name.lower().replace(' ', '.')}@demo.nextpractice.test",
            mark=Mark.DEPUTISED,
        )
    return Attendance(
        meeting=meeting, member=member, response=Response.APOLOGIES, mark=Mark.APOLOGIES
    )


def _prepare(
    meeting: Meeting, leaders: Sequence[User], rng: random.Random, deputy_pool: Sequence[str]
) -> None:
    """The next meeting: a couple of items already added, some answers in."""
    for position, (kind, title) in enumerate(rng.sample(CONCERNS, 2)):
        AgendaItem.objects.create(
            meeting=meeting,
            kind=kind,
            title=title,
            raised_by=rng.choice(leaders),
            position=(position + 1) * 10,
        )
    AgendaItem.objects.create(
        meeting=meeting, kind=ItemKind.AOB, title="Any other business", position=100
    )
    Attendance.objects.bulk_create(
        [
            Attendance(meeting=meeting, member=u, response=Response.ATTENDING)
            for u in leaders[: max(1, len(leaders) - 2)]
        ]
    )


def build(area_clusters: Sequence[Cluster], seed: int) -> int:
    rng = random.Random(seed)
    deputies = ["Sam Okafor", "Lee Brennan", "Hana Begum", "Tom Ridley", "Ana Costa"]
    this_year = planner.academic_year_of(timezone.localdate())
    made = 0
    for cluster in area_clusters:
        if cluster.memberships.current().count() < 4:
            continue
        # Last year, all held; this year, held so far and to come.
        open_actions: list[Action] = []
        for start_year in (this_year - 1, this_year):
            made += build_year(cluster, start_year, rng, deputies, open_actions)
    return made
