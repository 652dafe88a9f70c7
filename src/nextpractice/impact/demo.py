"""Three terms of check-ins for the demo network: each active cluster's members answered at
joining (the term before last), last term and, most of them, this term, with a plausible
change (more confident, less isolated, a little less lonely). The demo leader's check-in
for this term is left open, so there is one to answer. Some successes are marked as
outcomes. Written straight to the database: loading the demo sends no email."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.utils import timezone

from nextpractice.clusters.models import Cluster, Membership
from nextpractice.support.models import Success, term_key

from .models import (
    CheckIn,
    CheckInRound,
    Item,
    Outcome,
    OutcomeKind,
    Questionnaire,
    term_bounds,
)
from .questionnaire import load

HELPED = [
    "Talking through the inspection call with two heads who had been there.",
    "Ideas for stay-and-play sessions that brought in dads.",
    "Knowing someone would pick up the phone.",
]


def previous_term(term: str) -> str:
    # Forty days back from the term's first day: past August, which term_key counts as
    # the coming autumn.
    return term_key(term_bounds(term)[0] - dt.timedelta(days=40))


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _answers(rng: random.Random, start: dict[str, float], progress: float) -> dict[str, int]:
    """Answers ``progress`` (0 at joining, 1 after two terms) along a leader's change."""

    def scale(key: str, change: float) -> int:
        return _clamp(start[key] + change * progress + rng.gauss(0, 0.7), 0, 10)

    lonely = start["lonely"] - 0.6 * progress + rng.gauss(0, 0.3)
    return {
        "ons_life_satisfaction": scale("life", 0.6),
        "ons_worthwhile": scale("worth", 0.4),
        "ons_happiness": scale("happy", 0.7),
        "ons_anxiety": scale("anxious", -1.2),
        "ucla_companionship": _clamp(lonely, 1, 3),
        "ucla_left_out": _clamp(lonely - 0.3, 1, 3),
        "ucla_isolated": _clamp(lonely + 0.2, 1, 3),
        "ons_lonely": _clamp(lonely + 1.3, 1, 5),
        "leader_confidence": scale("confidence", 1.8),
        "role_isolation": scale("isolation", -2.2),
    }


def build(clusters: Sequence[Cluster], seed: int, open_for: str | None = None) -> None:
    rng = random.Random(seed + 14)  # noqa: S311 - invented demo answers, not secrets
    if not Questionnaire.objects.exists():  # a database flushed since its migration ran
        load(Questionnaire, Item)
    questionnaire = Questionnaire.objects.order_by("-version").first()
    if questionnaire is None:  # pragma: no cover - loaded just above
        return
    now = timezone.now()
    this_term = term_key(timezone.localdate(now))
    last_term = previous_term(this_term)
    joining_term = previous_term(last_term)
    made: list[CheckIn] = []
    seen: set[int] = set()  # a leader in two clusters checks in once
    for cluster in clusters:
        rounds = {
            term: CheckInRound.objects.get_or_create(
                area=cluster.area,
                term=term,
                defaults={
                    "opens_on": term_bounds(term)[0] + dt.timedelta(weeks=6),
                    "questionnaire": questionnaire,
                },
            )[0]
            for term in (last_term, this_term)
        }
        members = [
            m.user
            for m in Membership.objects.unscoped()
            .agreed()
            .members()
            .filter(cluster=cluster)
            .select_related("user")
        ]
        for k, person in enumerate(members):
            if person.pk in seen:
                continue
            seen.add(person.pk)
            start = {
                "life": rng.uniform(5, 7.5),
                "worth": rng.uniform(6, 8),
                "happy": rng.uniform(5, 7.5),
                "anxious": rng.uniform(4, 7),
                "lonely": rng.uniform(1.8, 2.8),
                "confidence": rng.uniform(3.5, 6.5),
                "isolation": rng.uniform(5, 8),
            }
            plan = [
                (joining_term, None, 0.0),
                (last_term, rounds[last_term], 0.6),
                (this_term, rounds[this_term], 1.0),
            ]
            for term, round_, progress in plan:
                start_day = term_bounds(term)[0] + dt.timedelta(weeks=6, days=k % 5)
                when = timezone.make_aware(dt.datetime.combine(start_day, dt.time(16, 30)))
                is_open = term == this_term and person.email == open_for
                if when > now and not is_open:
                    when = now - dt.timedelta(hours=k + 1)
                made.append(
                    CheckIn(
                        user=person,
                        area=cluster.area,
                        round=round_,
                        is_baseline=round_ is None,
                        term=term,
                        questionnaire=questionnaire,
                        invited_at=min(when, now),
                        answered_at=None if is_open else min(when, now),
                        scores={} if is_open else _answers(rng, start, progress),
                        helped="" if is_open or round_ is None else rng.choice(HELPED),
                        share_helped=not is_open and round_ is not None and k % 3 == 0,
                    )
                )
        # The first success of each cluster came from its work: an action done.
        first = Success.objects.unscoped().filter(cluster=cluster).order_by("created_at").first()
        if first is not None:
            Outcome.objects.unscoped().get_or_create(
                success=first,
                defaults={"cluster": cluster, "kind": OutcomeKind.ACTION, "marked_by": first.about},
            )
    CheckIn.objects.bulk_create(made)
