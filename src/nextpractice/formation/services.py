"""Formation rounds: from an area's leaders to proposed clusters, and on to real ones."""

from __future__ import annotations

import hashlib
import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from nextpractice.accounts.models import Invitation, User
from nextpractice.audit.models import AuditEntry, record
from nextpractice.clusters import services as cluster_services
from nextpractice.clusters.models import Cluster, ClusterStatus, JoinRequest, Membership
from nextpractice.core.mail import queue_email
from nextpractice.directory import geo
from nextpractice.directory.models import Area, Intake, LeaderProfile, SettingKind, TopicChoice
from nextpractice.grouping import (
    Cancelled,
    GroupingError,
    Problem,
    choose_group_count,
    equal_bounds,
    kernels,
    solve,
)

from . import fit, mapping, naming
from .models import FormationRound, Introduction, OptIn, Placement, RoundStatus, RoundWish
from .scoring import EXPERIENCED_YEARS, Leader, Weights, distance_km, explain, score_matrix

EARLY_YEARS = {
    SettingKind.DAY_NURSERY,
    SettingKind.PRE_SCHOOL,
    SettingKind.CHILDMINDER,
    SettingKind.NURSERY_SCHOOL,
    SettingKind.CHILDRENS_CENTRE,
}
INTAKE: dict[str, int] = {Intake.NONE: 0, Intake.SOME: 1, Intake.MANY: 2}


log = logging.getLogger(__name__)

SAVE_RESERVE = 1.0  # seconds kept back from a round's time limit for what follows the search
PROGRESS_EVERY = 1.0  # seconds between writes of a run's progress (the page polls each second)
PROGRESS_BEFORE_SAVED = 0.99  # the bar shows full only once the proposal is saved


class FormationError(Exception):
    """A step that cannot happen; the message is shown to the coordinator."""


def pool(round_: FormationRound) -> QuerySet[LeaderProfile]:
    """Leaders of the area with a completed profile; existing members only if chosen."""
    qs = (
        LeaderProfile.objects.filter(
            setting__area=round_.area, completed_at__isnull=False, user__is_active=True
        )
        .select_related("user", "setting")
        .prefetch_related(
            "ratings__value",
            Prefetch("topics", queryset=TopicChoice.objects.select_related("topic")),
        )
        .order_by("user_id")
    )
    if not round_.include_members:
        # Who is in a cluster at all (not which): the coordinator's matching, nobody's read.
        in_clusters = Membership.objects.unscoped().current().values("user_id")
        qs = qs.exclude(user_id__in=in_clusters)
    if round_.opt_in_by is not None:
        joining = OptIn.objects.filter(round=round_, joining=True).values("user_id")
        qs = qs.filter(user_id__in=joining)
    return qs


def area_leaders(round_: FormationRound) -> QuerySet[LeaderProfile]:
    """Everyone the round can invite to opt in: leaders of the area's settings."""
    return LeaderProfile.objects.filter(setting__area=round_.area, user__is_active=True)


@transaction.atomic
def invite_to_opt_in(round_: FormationRound, by: User) -> int:
    """Email every leader of the area who has not answered yet; returns how many."""
    if round_.opt_in_by is None:
        raise FormationError("Set the date by which leaders opt in first.")
    answered = OptIn.objects.filter(round=round_).values("user_id")
    count = 0
    for profile in area_leaders(round_).exclude(user_id__in=answered).select_related("user"):
        queue_email(profile.user.email, "emails/opt_in", {"round": round_, "person": profile.user})
        count += 1
    record(by, "formation.opt_in_sent", round_, f"{by} invited {count} leaders to opt in")
    return count


@transaction.atomic
def create_round(area: Area, by: User, form: Any) -> FormationRound:
    """A coordinator starts a round for their area (the form carries its settings)."""
    round_: FormationRound = form.save(commit=False)
    round_.area, round_.created_by = area, by
    round_.save()
    record(by, "formation.round_created", round_, f"{by} created the round {round_}")
    return round_


@transaction.atomic
def answer_opt_in(round_: FormationRound, user: User, joining: bool) -> None:
    if round_.status == RoundStatus.PUBLISHED:
        raise FormationError("This round has already been published.")
    OptIn.objects.update_or_create(
        round=round_, user=user, defaults={"joining": joining, "answered_at": timezone.now()}
    )
    record(
        user,
        "formation.opted_in" if joining else "formation.opted_out",
        round_,
        f"{user} answered whether to be matched in {round_}",
    )


def to_leader(profile: LeaderProfile, would_like: frozenset[int] = frozenset()) -> Leader:
    s = profile.setting
    topics = list(profile.topics.all())
    return Leader(
        key=profile.user_id,
        name=str(profile.user),
        values={r.value.name: r.importance for r in profile.ratings.all()},
        strengths=frozenset(t.topic.name for t in topics if t.kind == TopicChoice.STRENGTH),
        develop=frozenset(t.topic.name for t in topics if t.kind == TopicChoice.DEVELOP),
        latitude=s.latitude if s else None,
        longitude=s.longitude if s else None,
        max_travel_km=profile.max_travel_km,
        years=profile.years_in_leadership,
        percent_disadvantaged=float(s.percent_disadvantaged)
        if s and s.percent_disadvantaged is not None
        else None,
        percent_eal=float(s.percent_eal) if s and s.percent_eal is not None else None,
        new_arrivals=INTAKE.get(s.new_arrivals) if s and s.new_arrivals else None,
        idaci_decile=s.idaci_decile if s else None,
        early_years=(s.kind in EARLY_YEARS) if s else None,
        would_like=would_like,
    )


def weights(round_: FormationRound) -> Weights:
    return Weights(
        values=round_.w_values,
        context=round_.w_context,
        complement=round_.w_complement,
        travel=round_.w_travel,
    )


def start(round_: FormationRound, by: Any = None) -> None:
    """Mark the round running and hand it to the worker. A round whose run stopped (its
    worker died: no heartbeat for FORMATION_STALE_SECONDS) can be started again."""
    from .tasks import run_round

    if round_.min_size > round_.max_size:
        raise FormationError("The smallest cluster size is larger than the largest.")
    now = timezone.now()
    stale = now - timedelta(seconds=settings.FORMATION_STALE_SECONDS)
    with transaction.atomic():
        updated = (
            FormationRound.objects.filter(pk=round_.pk)
            .exclude(status=RoundStatus.PUBLISHED)
            .filter(
                ~Q(status=RoundStatus.RUNNING) | Q(heartbeat_at=None) | Q(heartbeat_at__lt=stale)
            )
            .update(
                status=RoundStatus.RUNNING,
                run_number=F("run_number") + 1,
                progress=0.0,
                error="",
                started_at=now,
                # From the start: a run no worker picks up also goes stale, and says so.
                heartbeat_at=now,
                finished_at=None,
            )
        )
        if not updated:
            raise FormationError("This round is already running or published.")
        pk = round_.pk
        number = FormationRound.objects.values_list("run_number", flat=True).get(pk=pk)
        record(by, "formation.started", round_, f"{by or 'Someone'} ran the round {round_}")
        transaction.on_commit(lambda: run_round.enqueue(pk, number))


class Superseded(Exception):
    """This run is no longer the round's current run (it was declared stopped and the round
    run again): it stops and writes nothing."""


# Shown after "The last run stopped: ".
STOPPED_UNEXPECTEDLY = (
    "an unexpected error. Run it again; if it stops again, tell the administrator."
)


def run(round_id: int, run_number: int | None = None) -> None:
    """The background work: score the pool, search, store the proposal. Locked clusters
    keep their members; everyone else is grouped afresh.

    Whatever happens, the run ends with a proposal or with a message: a known problem
    (too few leaders, links that cannot fit) and any unexpected error alike return the
    round to the coordinator with the reason; a worker killed outright leaves a heartbeat
    that goes stale, which the round's page reports. ``run_number`` is the start this run
    belongs to (None: a task queued before runs were numbered).
    """
    current = FormationRound.objects.filter(pk=round_id, status=RoundStatus.RUNNING)
    if run_number is not None:
        current = current.filter(run_number=run_number)

    def beat(**fields: Any) -> None:
        """Say the run is alive (with its progress); raise Superseded if it is not current."""
        try:
            alive = current.update(heartbeat_at=timezone.now(), **fields)
        except (OperationalError, InterfaceError):
            # The database is busy or the connection dropped: the next beat will do, on a
            # fresh connection if this one is broken (never closed under a transaction).
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
            return
        if not alive:
            raise Superseded

    try:
        beat()
        _search(round_id, current, beat)
    except Superseded:
        log.info("formation round %s: run %s superseded; it stops", round_id, run_number)
    except (GroupingError, FormationError) as e:
        current.update(status=RoundStatus.DRAFT, error=str(e)[:300], finished_at=timezone.now())
    except Exception as e:
        # The kind of error and where, not its message: that may carry leaders' names.
        log.error(
            "formation round %s: run %s failed: %s\n%s",
            round_id,
            run_number,
            type(e).__name__,
            "".join(traceback.format_tb(e.__traceback__)),
        )
        current.update(
            status=RoundStatus.DRAFT, error=STOPPED_UNEXPECTEDLY, finished_at=timezone.now()
        )


def _search(round_id: int, current: QuerySet[FormationRound], beat: Any) -> None:
    began = time.monotonic()
    round_ = FormationRound.objects.get(pk=round_id)
    profiles = list(pool(round_))
    locked = set(round_.locked_groups)
    kept = {p.user_id: p.group for p in round_.placements.all() if p.group in locked}
    free = [p for p in profiles if p.user_id not in kept]
    if len(free) < round_.min_size:
        raise FormationError(
            f"Only {len(free)} leaders are left to group; at least {round_.min_size} are needed."
        )
    likes: dict[int, set[int]] = {}
    avoid: list[tuple[int, int]] = []
    position = {p.user_id: k for k, p in enumerate(free)}
    for wish in round_.wishes.all():
        if wish.kind == RoundWish.LIKE:
            likes.setdefault(wish.leader_id, set()).add(wish.other_id)
        elif wish.leader_id in position and wish.other_id in position:
            avoid.append((position[wish.leader_id], position[wish.other_id]))
    leaders = [to_leader(p, frozenset(likes.get(p.user_id, ()))) for p in free]
    lower, upper = equal_bounds(len(leaders), round_.min_size, round_.max_size)
    problem = Problem.build(score_matrix(leaders, weights(round_)), lower, upper, cannot_link=avoid)

    def done() -> float:
        """The share of the coordinator's wait behind them: the time limit runs from the
        start of the run (pool, scores, search, saving), so the bar moves with the clock.
        Never quite full until the proposal is saved."""
        return min(PROGRESS_BEFORE_SAVED, (time.monotonic() - began) / round_.time_limit)

    beat(progress=done())  # the pool is scored: still alive, and already on the way
    last = time.monotonic()
    superseded = False

    def progress(fraction: float, best: float) -> None:
        nonlocal last, superseded
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY:
            last = now
            try:
                beat(progress=done(), best_score=best)
            except Superseded:
                superseded = True  # the search stops at its next check (cancel below)

    # The yardstick first, so that after the search only saving is left to do.
    random_avg = random_average(problem, seed=round_.seed)
    # The time limit is the coordinator's wait from start to proposal: the search gets
    # what is left after scoring, less a moment for saving.
    search_time = max(0.5, round_.time_limit - (time.monotonic() - began) - SAVE_RESERVE)
    try:
        result = solve(
            problem,
            time_limit=search_time,
            seed=round_.seed,
            progress=progress,
            cancel=lambda: superseded,
        )
    except Cancelled:
        raise Superseded from None
    spare = [g for g in range(len(lower) + len(locked)) if g not in locked]
    with transaction.atomic():
        # Under the round's row lock, and only if this run is still the current one.
        if not current.select_for_update().exists():
            raise Superseded
        round_.placements.exclude(group__in=locked).delete()
        Placement.objects.bulk_create(
            [
                Placement(round=round_, user_id=leader.key, group=spare[int(g)])
                for leader, g in zip(leaders, result.assignment, strict=True)
            ]
        )
        current.update(
            status=RoundStatus.PROPOSED,
            progress=1.0,
            best_score=result.score,
            random_average=random_avg,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )


def random_average(problem: Problem, seed: int, samples: int | None = None) -> float:
    """The average score of random feasible partitions: the yardstick for a proposal.
    200 of them for a pool of 300 or fewer; fewer for larger pools, whose totals (sums over
    more pairs) vary less from one random partition to the next."""
    if samples is None:
        samples = 200 if problem.n <= 300 else max(30, 60000 // problem.n)
    w = np.ones(problem.n, dtype=np.int64)
    cl = np.zeros((1, 1), dtype=np.uint8)
    totals = []
    for k in range(samples):
        assign, ok = kernels.random_feasible(w, problem.lower, problem.upper, cl, False, seed + k)
        if ok:
            totals.append(kernels.group_score(problem.scores, assign, problem.m))
    return float(np.mean(totals)) if totals else 0.0


@dataclass
class ProposedGroup:
    index: int
    members: list[LeaderProfile]
    score: float
    shared_values: list[str]
    needs_met: list[tuple[str, str, str]]
    furthest_km: float | None
    has_experienced: bool
    poorly_matched: list[str]
    locked: bool
    size_ok: bool
    number: int = 0  # 1-based position in the proposal, as the page and the map show it
    name: str = ""
    parts: fit.Parts = field(default_factory=fit.Parts)
    style: mapping.Style | None = None
    leaders: list[Leader] = field(default_factory=list)
    journey: mapping.Journey | None = None  # its furthest journey, as drawn on the map

    @property
    def key_path(self) -> str:
        """The cluster's mark for the map's key, in an 18 by 18 box."""
        return mapping.shape_path(self.style.shape, 9, 9, 5) if self.style else ""


def _likes(round_: FormationRound) -> dict[int, frozenset[int]]:
    likes: dict[int, set[int]] = {}
    for leader_id, other_id in round_.wishes.filter(kind=RoundWish.LIKE).values_list(
        "leader_id", "other_id"
    ):
        likes.setdefault(leader_id, set()).add(other_id)
    return {k: frozenset(v) for k, v in likes.items()}


def place(profile: LeaderProfile) -> naming.Place:
    s = profile.setting
    if s is None:
        return naming.Place()
    return naming.place_of(s.address, s.postcode, s.latitude, s.longitude)


def proposal(
    round_: FormationRound,
    profiles: list[LeaderProfile] | None = None,
    leaders: dict[int, Leader] | None = None,
) -> list[ProposedGroup]:
    """The proposal as the coordinator sees it, each group named, scored (by part) and
    explained. Only within-group pairs are scored, so this stays fast for a pool of any
    size; it is worked out afresh from the placements, so a move or a lock shows at once."""
    by_user = {p.user_id: p for p in (pool(round_) if profiles is None else profiles)}
    groups: dict[int, list[LeaderProfile]] = {}
    for placement in round_.placements.all():
        profile = by_user.get(placement.user_id)
        if profile is not None:
            groups.setdefault(placement.group, []).append(profile)
    w = weights(round_)
    if leaders is None:
        likes = _likes(round_)
        leaders = {
            p.user_id: to_leader(p, likes.get(p.user_id, frozenset()))
            for members in groups.values()
            for p in members
        }
    taken = (
        Cluster.objects.filter(area_id=round_.area_id)
        .exclude(pk__in=round_.clusters.values("pk"))
        .values_list("name", flat=True)
    )
    names = naming.propose_names(
        {index: [place(p) for p in members] for index, members in groups.items()},
        taken,
        fallback=round_.area.name,
    )
    out = []
    for number, index in enumerate(sorted(groups), start=1):
        members = groups[index]
        group = [leaders[p.user_id] for p in members]
        s = score_matrix(group, w)
        n = len(group)
        mean_each = s.sum(axis=1) / max(1, n - 1)
        why = explain(group)
        # Someone whose average fit is well below the group's is "poorly matched".
        cut = float(np.mean(mean_each)) - 0.5 if n > 1 else -np.inf
        out.append(
            ProposedGroup(
                index=index,
                members=members,
                score=float(np.triu(s, 1).sum()),
                shared_values=why.shared_values,
                needs_met=why.needs_met,
                furthest_km=why.furthest_km,
                has_experienced=why.has_experienced,
                poorly_matched=[
                    lead.name for lead, m in zip(group, mean_each, strict=True) if m < cut
                ],
                locked=index in round_.locked_groups,
                size_ok=round_.min_size <= n <= round_.max_size,
                number=number,
                name=names[index],
                parts=fit.group_parts(group, w),
                style=mapping.style(number - 1),
                leaders=group,
            )
        )
    return out


@dataclass
class Overview:
    """Everything the round's page shows about a proposal, worked out in one pass."""

    groups: list[ProposedGroup]
    verdict: fit.Verdict
    map: mapping.Map
    left_out: list[LeaderProfile]  # in the pool but in no cluster (a profile completed since)
    fingerprint: str
    invitations: int


def fingerprint(round_: FormationRound) -> str:
    """Names the proposal as it stands: who is in which cluster, and what is locked. The
    publish confirmation carries it, so a summary read before a change publishes nothing."""
    rows = sorted(round_.placements.values_list("user_id", "group"))
    raw = f"{rows}|{sorted(round_.locked_groups)}|{round_.run_number}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def overview(round_: FormationRound, profiles: list[LeaderProfile]) -> Overview:
    likes = _likes(round_)
    leaders = {p.user_id: to_leader(p, likes.get(p.user_id, frozenset())) for p in profiles}
    groups = proposal(round_, profiles, leaders)
    w = weights(round_)
    placed = {p.user_id for g in groups for p in g.members}
    left_out = [p for p in profiles if p.user_id not in placed]
    total = sum((g.parts for g in groups), fit.Parts())
    moved = (
        round_.finished_at is not None
        and AuditEntry.objects.unscoped()  # the round's own trail, read by its coordinator
        .filter(
            verb="formation.moved",
            object_type="formation.formationround",
            object_id=str(round_.pk),
            created_at__gt=round_.finished_at,
        )
        .exists()
    )
    verdict = fit.judge(
        total,
        fit.pool_pairs(list(leaders.values()), w, seed=round_.seed),
        [len(g.members) for g in groups],
        w,
        locked=sum(1 for g in groups if g.locked),
        avoid=round_.wishes.filter(kind=RoundWish.AVOID).count(),
        moved=moved,
    )
    points = [
        mapping.Point(
            p.setting.pk, p.setting.name, g.index, p.setting.latitude, p.setting.longitude
        )
        for g in groups
        for p in g.members
        if p.setting is not None
        and p.setting.latitude is not None
        and p.setting.longitude is not None
    ]
    drawn = mapping.draw(points, [g.index for g in groups])
    journeys = {j.group: j for j in drawn.journeys}
    for g in groups:
        g.journey = journeys.get(g.index)
    return Overview(
        groups=groups,
        verdict=verdict,
        map=drawn,
        left_out=left_out,
        fingerprint=fingerprint(round_),
        invitations=len(placed),
    )


@transaction.atomic
def move(
    round_: FormationRound, by: User, user_id: int, group: int | None, number: int | None = None
) -> None:
    """Move a leader to the cluster ``group`` (its index), or to the cluster the page shows
    as ``number`` (its 1-based position)."""
    # Under the round's row lock and as it stands now: a lock set a moment ago holds.
    round_ = FormationRound.objects.select_for_update().get(pk=round_.pk)
    if round_.status != RoundStatus.PROPOSED:
        raise FormationError("Only a proposal that is ready and not yet published can change.")
    placement = round_.placements.filter(user_id=user_id).first()
    if placement is None:
        raise FormationError("That leader is not in this proposal.")
    groups = set(round_.placements.values_list("group", flat=True))
    if group is None:
        ordered = sorted(groups)
        if number is None or not 1 <= number <= len(ordered):
            raise FormationError(f"Choose a cluster numbered 1 to {len(ordered)}.")
        group = ordered[number - 1]
    if group not in groups:
        raise FormationError("There is no such cluster in this proposal.")
    if placement.group in round_.locked_groups or group in round_.locked_groups:
        raise FormationError(
            "A locked cluster keeps its members, and takes no one new. Unlock the cluster first."
        )
    if round_.placements.filter(group=group).count() >= round_.max_size:
        raise FormationError(f"That cluster already has {round_.max_size} leaders.")
    placement.group = group
    placement.save(update_fields=["group"])
    record(by, "formation.moved", round_, f"{by} moved a leader to cluster {group + 1}")


@transaction.atomic
def toggle_lock(round_: FormationRound, by: User, group: int) -> None:
    groups = set(round_.placements.values_list("group", flat=True))
    if group not in groups and group not in round_.locked_groups:
        raise FormationError("There is no such cluster in this proposal.")
    locked = set(round_.locked_groups)
    locked ^= {group}
    round_.locked_groups = sorted(locked)
    round_.save(update_fields=["locked_groups"])
    what = "locked" if group in locked else "unlocked"
    record(by, f"formation.{what}", round_, f"{by} {what} cluster {group + 1}")


def why_you(me: Leader, others: list[Leader]) -> list[str]:
    """Why a leader was placed in this cluster, in words they can read before joining:
    values they share with most of the others (said only of three or more others, as "Find
    a cluster" does, so no one person's ratings show), strengths in the cluster that meet
    their own needs (strengths are what members show each other; no one is named before
    they have joined), and their longest journey as a band, never one exact distance."""
    out = []
    if len(others) >= MIN_DESCRIBED:
        shared = sorted(
            k
            for k, v in me.values.items()
            if v >= 4 and sum(1 for o in others if o.values.get(k, 0) >= 4) * 2 > len(others)
        )
        if shared:
            out.append(f"You and most of the others put {_and(shared)} high in how you lead.")
    strengths: frozenset[str] = frozenset().union(*(o.strengths for o in others))
    met = sorted(me.develop & strengths)
    if met:
        out.append(
            f"Leaders in this cluster are strong at {_and(met)}, which you want to develop; "
            "once you join, each member's strengths are on their card."
        )
    journeys = [d for o in others if (d := distance_km(me, o)) is not None]
    if journeys:
        far = max(journeys)
        limit = me.max_travel_km
        within = (
            f", within the {limit:g} km you said you will travel"
            if limit is not None and far <= limit
            else ""
        )
        out.append(
            f"Your longest journey to another member's setting is {distance_band(far)}{within}."
        )
    return out


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


@dataclass
class PublishSummary:
    clusters: int
    leaders: int
    invitations: int
    left_out: list[str]
    problems: list[str]


def publish_summary(round_: FormationRound, view: Overview) -> PublishSummary:
    """What publishing will do, for the coordinator to confirm."""
    bad = [g.name for g in view.groups if not g.size_ok]
    problems = (
        [
            f"{_and(bad)} {'is' if len(bad) == 1 else 'are'} outside {round_.min_size} to "
            f"{round_.max_size} leaders: move people first."
        ]
        if bad
        else []
    )
    return PublishSummary(
        clusters=len(view.groups),
        leaders=sum(len(g.members) for g in view.groups),
        invitations=view.invitations,
        left_out=[str(p.user) for p in view.left_out],
        problems=problems,
    )


@transaction.atomic
def publish(round_: FormationRound, by: User, seen: str | None = None) -> list[Cluster]:
    """Create each proposed cluster (forming), named from its place, and invite its members,
    each told why this cluster. ``seen`` is the fingerprint of the proposal the coordinator
    confirmed: if it has changed since, nothing is published.

    The invitations go through the outbox, one email each, sent by the worker one after
    another (behind sign-in codes, which have priority): a round of 1,500 leaders does not
    open 1,500 connections at once, and a mail server that refuses some is retried."""
    round_ = FormationRound.objects.select_for_update().get(pk=round_.pk)
    if round_.status != RoundStatus.PROPOSED:
        raise FormationError("Only a ready proposal can be published, and only once.")
    if seen is not None and seen != fingerprint(round_):
        raise FormationError(
            "The proposal has changed since you read the summary: check it and confirm again."
        )
    groups = proposal(round_)
    bad = [g.number for g in groups if not g.size_ok]
    if bad:
        raise FormationError(
            f"Clusters {', '.join(map(str, bad))} are outside {round_.min_size} to "
            f"{round_.max_size} leaders: move people first."
        )
    clusters = []
    for group in groups:
        cluster = Cluster.objects.create(
            name=group.name,
            area=round_.area,
            status=ClusterStatus.FORMING,
            created_by=by,
        )
        for member, leader in zip(group.members, group.leaders, strict=True):
            why = why_you(leader, [o for o in group.leaders if o is not leader])
            invitation = cluster_services.invite(
                cluster,
                by,
                member.user.email,
                message=f"Proposed by {by} in {round_.name}.",
                why=why,
            )
            Introduction.objects.create(invitation=invitation, round=round_, reasons=why)
        clusters.append(cluster)
    round_.clusters.set(clusters)
    round_.status = RoundStatus.PUBLISHED
    round_.published_at = timezone.now()
    round_.save(update_fields=["status", "published_at"])
    record(by, "formation.published", round_, f"{by} published {round_} ({len(clusters)} clusters)")
    return clusters


def invitation_answers(round_: FormationRound) -> dict[str, Any]:
    """Accepted, declined and waiting invitations from a published round."""
    # The round's own invitations, counted for the coordinator who sent them.
    invitations = Invitation.objects.unscoped().filter(cluster__in=round_.clusters.all())
    return {
        "accepted": invitations.exclude(used_at=None).count(),
        "declined": list(invitations.exclude(declined_at=None).values_list("email", flat=True)),
        "waiting": invitations.pending().count(),
    }


def flagged(profiles: list[LeaderProfile]) -> list[str]:
    """Leaders whose setting has no coordinates: travel cannot be judged for them."""
    # Read from the setting alone: building each leader's whole profile here cost seconds
    # at an authority's 1,500.
    return [
        str(p.user)
        for p in profiles
        if p.setting is None or p.setting.latitude is None or p.setting.longitude is None
    ]


def approximately_located(profiles: list[LeaderProfile]) -> list[str]:
    """Leaders whose setting is placed at the centre of its postcode district, not at its
    postcode: their journeys are judged to within a few kilometres."""
    return [
        str(p.user)
        for p in profiles
        if p.setting is not None
        and p.setting.location_approximate
        and p.setting.latitude is not None
    ]


def experience_note(round_: FormationRound, profiles: list[LeaderProfile]) -> str:
    """Each cluster should have a leader with three or more years' experience; say so when
    the pool cannot allow it."""
    if len(profiles) < round_.min_size:
        return ""
    experienced = sum(
        1
        for p in profiles
        if p.years_in_leadership is not None and p.years_in_leadership >= EXPERIENCED_YEARS
    )
    clusters = choose_group_count(len(profiles), round_.min_size, round_.max_size)
    if experienced < clusters:
        return (
            f"Only {experienced} of the {len(profiles)} leaders have three or more years' "
            f"experience, for {clusters} clusters: some clusters will have none."
        )
    return ""


@transaction.atomic
def add_wish(round_: FormationRound, by: User, leader_id: int, other_id: int, kind: str) -> None:
    if leader_id == other_id:
        raise FormationError("Choose two different leaders.")
    in_pool = set(
        pool(round_).filter(user_id__in=[leader_id, other_id]).values_list("user_id", flat=True)
    )
    if in_pool != {leader_id, other_id}:
        raise FormationError("Both leaders must be in this round's pool.")
    wish, _ = RoundWish.objects.update_or_create(
        round=round_, leader_id=leader_id, other_id=other_id, defaults={"kind": kind}
    )
    record(by, "formation.wish_recorded", wish, f"{by} recorded a wish in {round_}")


@transaction.atomic
def delete_wish(round_: FormationRound, by: User, wish_id: int) -> None:
    wish = round_.wishes.filter(pk=wish_id).first()
    if wish is None:
        raise FormationError("That wish is no longer recorded.")
    record(by, "formation.wish_removed", wish, f"{by} removed a wish in {round_}")
    wish.delete()


# "Find a cluster" describes a cluster by its members' values, strengths and where they
# are. Described by fewer than this many members, a description is one person's profile
# (and, with their setting's known address, where they work): below it, a cluster shows
# only its name and size.
MIN_DESCRIBED = 3

# Distance is given as a band from the middle of the cluster's settings, never from one
# member's setting: an exact distance from one known point, and a second from another,
# would place a person.
DISTANCE_BANDS: list[tuple[float, str]] = [
    (5.0, "within 5 km"),
    (10.0, "5 to 10 km"),
    (20.0, "10 to 20 km"),
]
FAR_BAND = "more than 20 km"


def distance_band(km: float) -> str:
    return next((label for limit, label in DISTANCE_BANDS if km < limit), FAR_BAND)


@dataclass
class ClusterFit:
    cluster: Cluster
    size: int
    described: bool
    fit: float
    shared_values: list[str]
    needs_met: list[str]
    distance: str
    requested: bool


def _centre(others: list[Leader]) -> tuple[float, float] | None:
    """The middle of the members' settings, when enough of them are located."""
    located = [o for o in others if o.latitude is not None and o.longitude is not None]
    if len(located) < MIN_DESCRIBED:
        return None
    lat = sum(o.latitude for o in located if o.latitude is not None) / len(located)
    lon = sum(o.longitude for o in located if o.longitude is not None) / len(located)
    return lat, lon


def clusters_with_room(profile: LeaderProfile) -> list[ClusterFit]:
    """Clusters of the leader's area with room, best fit first, explained without naming
    or locating anyone inside them (see MIN_DESCRIBED and DISTANCE_BANDS)."""
    if profile.setting is None:
        return []
    area = profile.setting.area
    # Who is in which cluster, read for the fit and never shown one by one: nobody's read of
    # cluster content, so unscoped.
    members = (
        Membership.objects.unscoped()
        .current()
        .members()
        .select_related("user__profile__setting")
        .prefetch_related(
            "user__profile__ratings__value",
            Prefetch("user__profile__topics", queryset=TopicChoice.objects.select_related("topic")),
        )
    )
    clusters = (
        Cluster.objects.filter(area=area, status__in=[ClusterStatus.FORMING, ClusterStatus.ACTIVE])
        .exclude(pk__in=Cluster.objects.for_member(profile.user).values("pk"))
        .annotate(
            size=Count(
                "memberships",
                filter=Q(memberships__in=Membership.objects.unscoped().current().members()),
            )
        )
        .filter(size__lt=area.max_cluster_size)
        .prefetch_related(Prefetch("memberships", queryset=members, to_attr="current"))
    )
    asked = set(
        JoinRequest.objects.of(profile.user)
        .filter(state=JoinRequest.PENDING)
        .values_list("cluster_id", flat=True)
    )
    me = to_leader(
        LeaderProfile.objects.select_related("setting", "user")
        .prefetch_related(
            "ratings__value",
            Prefetch("topics", queryset=TopicChoice.objects.select_related("topic")),
        )
        .get(pk=profile.pk)
    )
    out = []
    for cluster in clusters:
        others = [
            to_leader(m.user.profile)
            for m in cluster.current  # type: ignore[attr-defined]
            if hasattr(m.user, "profile")
        ]
        size: int = cluster.size  # type: ignore[attr-defined]
        if size < MIN_DESCRIBED or len(others) < MIN_DESCRIBED:
            out.append(ClusterFit(cluster, size, False, 0.0, [], [], "", cluster.pk in asked))
            continue
        s = score_matrix([me, *others])
        strengths = frozenset().union(*(o.strengths for o in others))
        centre = _centre(others)
        distance = (
            distance_band(geo.distance_km(me.latitude, me.longitude, *centre))
            if centre is not None and me.latitude is not None and me.longitude is not None
            else ""
        )
        out.append(
            ClusterFit(
                cluster=cluster,
                size=size,
                described=True,
                fit=float(s[0, 1:].mean()),
                shared_values=sorted(
                    k
                    for k, v in me.values.items()
                    if v >= 4
                    and sum(1 for o in others if o.values.get(k, 0) >= 4) * 2 > len(others)
                ),
                needs_met=sorted(me.develop & strengths),
                distance=distance,
                requested=cluster.pk in asked,
            )
        )
    # Described clusters by fit; the small ones after them, by name (no fit is computed).
    return sorted(out, key=lambda c: (not c.described, -c.fit, c.cluster.name))
