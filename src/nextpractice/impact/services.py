"""Every write of the impact app: validated, saved, audited and emailed in one transaction.

Periodic jobs (settings.PERIODIC_JOBS) are idempotent: a unique constraint per person and
round (and one baseline per person) claims each check-in, and the email is queued in the
same transaction as the row, so two workers at once, or a job run twice, send nothing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Cluster, ClusterStatus, Membership
from nextpractice.core.mail import queue_email
from nextpractice.directory.models import Area
from nextpractice.support.models import Success, term_key

from .models import (
    AreaSummaryEmail,
    CheckIn,
    CheckInDate,
    CheckInRound,
    CheckInSchedule,
    Item,
    ItemKind,
    Outcome,
    Questionnaire,
    term_bounds,
)

DEFAULT_WEEKS = 6
# The termly summary goes to coordinators in the last weeks of each term (as the leaders'
# "What you've achieved"): month -> the day from which it goes.
SUMMARY_FROM = {12: 7, 3: 15, 7: 7}


class ImpactError(Exception):
    """A refusal with a message for the person."""


def opens_on(area: Area, term: str) -> dt.date:
    """The day the area's check-in for ``term`` goes: its date for that term if the
    coordinator set one, otherwise the area's weeks into term (six by default)."""
    chosen = CheckInDate.objects.filter(area=area, term=term).values_list("date", flat=True)
    for day in chosen:
        return day
    schedule = CheckInSchedule.objects.filter(area=area).first()
    weeks = schedule.weeks_into_term if schedule else DEFAULT_WEEKS
    return term_bounds(term)[0] + dt.timedelta(weeks=weeks)


@transaction.atomic
def set_schedule(area: Area, by: User, weeks: int) -> CheckInSchedule:
    if not 1 <= weeks <= 12:
        raise ImpactError("Choose between 1 and 12 weeks into term.")
    schedule, _ = CheckInSchedule.objects.update_or_create(
        area=area, defaults={"weeks_into_term": weeks, "updated_at": timezone.now()}
    )
    record(by, "checkin.schedule", schedule, f"Check-ins go {weeks} weeks into each term")
    return schedule


@transaction.atomic
def set_term_date(area: Area, by: User, term: str, day: dt.date | None) -> None:
    """Set (or with None, clear) the date of one term's check-in; it must fall in the term."""
    start, end = term_bounds(term)
    if day is not None and not start <= day <= end:
        raise ImpactError(f"Choose a date between {start:%-d %B %Y} and {end:%-d %B %Y}.")
    if day is None:
        CheckInDate.objects.filter(area=area, term=term).delete()
        record(by, "checkin.date_cleared", area, f"Check-in date cleared for {term}")
        return
    CheckInDate.objects.update_or_create(area=area, term=term, defaults={"date": day})
    record(by, "checkin.date_set", area, f"Check-in for {term} set to {day.isoformat()}")


def _leaders(area_id: int | None = None) -> Any:
    """Current members (not facilitators) of active or forming clusters, with their
    cluster's area. Nobody's read: the job addresses each person about their own check-in."""
    memberships = (
        Membership.objects.unscoped()
        .agreed()
        .members()
        .filter(cluster__status__in=[ClusterStatus.ACTIVE, ClusterStatus.FORMING])
        .order_by("user_id", "joined_at")
    )
    if area_id is not None:
        memberships = memberships.filter(cluster__area_id=area_id)
    return memberships.values_list("user_id", "cluster__area_id")


def _invite(user: User, area_id: int, term: str, questionnaire: Questionnaire, round_: Any) -> bool:
    """Claim one check-in (the unique constraints decide) and queue its email with it."""
    try:
        with transaction.atomic():
            check_in = CheckIn.objects.create(
                user=user,
                area_id=area_id,
                round=round_,
                is_baseline=round_ is None,
                term=term,
                questionnaire=questionnaire,
            )
            queue_email(
                user.email,
                "emails/check_in",
                {"person": user, "baseline": round_ is None, "check_in": check_in},
            )
    except IntegrityError:  # another worker claimed it first
        return False
    return True


def send_check_ins(now: dt.datetime | None = None) -> int:
    """Periodic: a baseline check-in for each leader who has none (at joining), and each
    area's termly check-in from its chosen day, once per person and term."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    everyone = Questionnaire.current()
    if everyone is None:
        return 0
    versions: dict[int, Questionnaire] = {}

    def questionnaire_of(area_id: int) -> Questionnaire:
        if area_id not in versions:
            versions[area_id] = Questionnaire.current(area_id) or everyone
        return versions[area_id]

    term = term_key(today)
    sent = 0
    with_baseline = set(CheckIn.objects.filter(is_baseline=True).values_list("user_id", flat=True))
    first_area: dict[int, int] = {}
    for user_id, area_id in _leaders():
        first_area.setdefault(user_id, area_id)
    people = User.objects.in_bulk(
        [u for u in first_area if u not in with_baseline], field_name="pk"
    )
    for user_id, user in people.items():
        if user.is_active:
            area_id = first_area[user_id]
            sent += _invite(user, area_id, term, questionnaire_of(area_id), None)
    for area in Area.objects.filter(pk__in=set(first_area.values())):
        if today < opens_on(area, term) or today > term_bounds(term)[1]:
            continue
        round_, _ = CheckInRound.objects.get_or_create(
            area=area,
            term=term,
            defaults={"opens_on": opens_on(area, term), "questionnaire": questionnaire_of(area.pk)},
        )
        # A termly check-in is a change since a baseline answered in an earlier term.
        ready = set(
            CheckIn.objects.filter(is_baseline=True, answered_at__isnull=False)
            .exclude(term=term)
            .values_list("user_id", flat=True)
        )
        done = set(round_.check_ins.values_list("user_id", flat=True))
        due = [u for u, a in first_area.items() if a == area.pk and u in ready and u not in done]
        for user in User.objects.filter(pk__in=due, is_active=True):
            sent += _invite(user, area.pk, term, round_.questionnaire, round_)
    return sent


def answer(check_in: CheckIn, by: User, scores: dict[str, int], helped: str, share: bool) -> None:
    """Record the person's answers to their own open check-in."""
    if check_in.user_id != by.pk:
        raise ImpactError("This check-in is someone else's.")
    items = list(Item.objects.filter(questionnaire_id=check_in.questionnaire_id))
    clean: dict[str, int] = {}
    for item in items:
        if item.kind == ItemKind.TEXT:
            continue
        value = scores.get(item.key)
        if value is None:
            if item.required:
                raise ImpactError(f"Answer: {item.wording}")
            continue
        low, high = item.value_range
        if not low <= value <= high:
            raise ImpactError(f"Choose one of the answers to: {item.wording}")
        clean[item.key] = value
    with transaction.atomic():
        claimed = CheckIn.objects.filter(pk=check_in.pk, answered_at=None).update(
            answered_at=timezone.now(),
            scores=clean,
            helped=helped.strip()[:2000],
            share_helped=bool(share and helped.strip()),
        )
        if not claimed:
            raise ImpactError("This check-in has been answered already. Thank you.")
        # The summary names no answer: a check-in is the person's own.
        record(by, "checkin.answered", check_in, "Answered a check-in")


@transaction.atomic
def mark_outcome(cluster: Cluster, by: User, success: Success, kind: str) -> Outcome:
    """Mark a success of this cluster as an outcome of the cluster's work. The person it is
    about, or who wrote it, decides."""
    if success.cluster_id != cluster.pk:
        raise ImpactError("That success belongs to another cluster.")
    if by.pk not in {success.about_id, success.author_id}:
        raise ImpactError("Only the person it is about, or who wrote it, can mark it.")
    # A write, keyed by a success the caller reached through its own access (in_cluster).
    outcome, _ = Outcome.objects.unscoped().update_or_create(
        success=success, defaults={"cluster": cluster, "kind": kind, "marked_by": by}
    )
    record(by, "outcome.marked", outcome, f"{by} marked a success as an outcome", cluster)
    return outcome


def send_area_summaries(now: dt.datetime | None = None) -> int:
    """Periodic: in the last weeks of each term, each coordinator's termly summary of their
    area (the same suppressed figures as the area page), once per coordinator, area and
    term."""
    from .figures import area_summary  # figures reads the models above; import at use

    now = now or timezone.now()
    today = timezone.localdate(now)
    if today.month not in SUMMARY_FROM or today.day < SUMMARY_FROM[today.month]:
        return 0
    term = term_key(today)
    sent = 0
    for area in Area.objects.prefetch_related("coordinators"):
        coordinators = [c for c in area.coordinators.all() if c.is_active]
        if not coordinators:
            continue
        summary = area_summary(area, term)
        for person in coordinators:
            try:
                with transaction.atomic():
                    AreaSummaryEmail.objects.create(area=area, user=person, term=term)
                    queue_email(
                        person.email,
                        "emails/area_summary",
                        {"person": person, "area": area, **summary},
                    )
            except IntegrityError:
                continue
            sent += 1
    return sent
