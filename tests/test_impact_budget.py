"""The impact pages run a bounded number of queries, the same at 2,000 settings as at ten."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.impact.models import CheckIn, CheckInRound, Questionnaire

from .conftest import Cast, client_for
from .test_query_budget import count_queries, grow

BUDGET = {
    "area_impact": 19,
    "research_impact": 17,
    "research_impact_csv": 16,
    "area_overview": 15,
    "cluster_health": 19,
    "check_in_trend": 11,  # one more: does her area ask its own version?
}


@pytest.fixture(autouse=True)
def questionnaire(db: Any) -> None:
    """The check-in's items come from a data migration; a transactional test run before
    this one flushes them."""
    from nextpractice.impact.models import Item
    from nextpractice.impact.questionnaire import load

    if not Questionnaire.objects.exists():
        load(Questionnaire, Item)


def check_ins_for_everyone(cast: Cast) -> None:
    """A baseline in the autumn and a spring check-in for every leader without one."""
    questionnaire = Questionnaire.current()
    round_, _ = CheckInRound.objects.get_or_create(
        area=cast.area,
        term="2026-spring",
        defaults={"opens_on": timezone.localdate(), "questionnaire": questionnaire},
    )
    people = User.objects.exclude(check_ins__isnull=False).filter(profile__isnull=False)
    made = []
    for k, user in enumerate(people):
        scores = {"leader_confidence": k % 11, "role_isolation": (k * 3) % 11}
        common = {"user": user, "area": cast.area, "questionnaire": questionnaire}
        made.append(
            CheckIn(
                **common,
                is_baseline=True,
                term="2026-autumn",
                scores=scores,
                answered_at=timezone.now(),
            )
        )
        made.append(
            CheckIn(
                **common,
                round=round_,
                term="2026-spring",
                scores=scores | {"leader_confidence": (k + 2) % 11},
                answered_at=timezone.now(),
            )
        )
    CheckIn.objects.bulk_create(made)


def pages(cast: Cast) -> dict[str, tuple[Any, str]]:
    return {
        "area_impact": (client_for(cast.cora), reverse("area_impact", args=[cast.area.pk])),
        "research_impact": (client_for(cast.rita), reverse("research_impact")),
        "research_impact_csv": (client_for(cast.rita), reverse("research_impact_csv")),
        "area_overview": (client_for(cast.cora), reverse("area_overview", args=[cast.area.pk])),
        "cluster_health": (
            client_for(cast.alice),
            reverse("cluster_health", args=[cast.cluster.pk]),
        ),
        "check_in_trend": (client_for(cast.alice), reverse("check_in_trend")),
    }


def test_impact_query_counts_do_not_grow_with_the_data(cast: Cast) -> None:
    grow(cast, 10)
    check_ins_for_everyone(cast)
    small = {name: count_queries(c, url) for name, (c, url) in pages(cast).items()}
    grow(cast, 2000)
    check_ins_for_everyone(cast)
    assert CheckIn.objects.filter(is_baseline=False).count() >= 1990  # every leader
    big = {name: count_queries(c, url) for name, (c, url) in pages(cast).items()}
    assert big == small
    for name, count in big.items():
        assert count <= BUDGET[name], f"{name} ran {count} queries ({big})"
