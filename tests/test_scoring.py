"""From profiles to scores: like-minded, similar context, complementary, near enough."""

from __future__ import annotations

import numpy as np
import pytest

from nextpractice.formation.scoring import (
    Leader,
    Weights,
    complement,
    context_similarity,
    explain,
    score_matrix,
    travel_penalty,
    unlocated,
    value_similarity,
)

LEEDS = (53.7997, -1.5492)
BRADFORD = (53.7950, -1.7594)  # about 14 km from Leeds
NEAR_LEEDS = (53.8100, -1.5600)  # about 1.4 km


def leader(key: int, **kw: object) -> Leader:
    base: dict[str, object] = {
        "name": f"L{key}",
        "latitude": LEEDS[0],
        "longitude": LEEDS[1],
        "years": 5,
    }
    base.update(kw)
    return Leader(key=key, **base)  # type: ignore[arg-type]


def test_like_minded_leaders_score_higher() -> None:
    a = leader(1, values={"Inclusion": 5, "Play": 5, "Outdoor": 1})
    same = leader(2, values={"Inclusion": 5, "Play": 5, "Outdoor": 1})
    opposite = leader(3, values={"Inclusion": 1, "Play": 1, "Outdoor": 5})
    assert value_similarity(a, same) == 1.0
    assert value_similarity(a, opposite) == 0.0
    s = score_matrix([a, same, opposite])
    assert s[0, 1] > s[0, 2]


def test_similar_context_scores_higher() -> None:
    a = leader(1, percent_disadvantaged=45, percent_eal=60, new_arrivals=2, idaci_decile=1)
    b = leader(2, percent_disadvantaged=40, percent_eal=55, new_arrivals=2, idaci_decile=2)
    c = leader(3, percent_disadvantaged=5, percent_eal=2, new_arrivals=0, idaci_decile=10)
    assert context_similarity(a, b) > 0.9 > 0.1 > context_similarity(a, c)


def test_strengths_that_meet_needs_count_both_ways() -> None:
    a = leader(1, strengths=frozenset({"SEND"}), develop=frozenset({"EAL"}))
    b = leader(2, strengths=frozenset({"EAL"}), develop=frozenset({"SEND"}))
    c = leader(3, strengths=frozenset({"Maths"}))
    assert complement(a, b) == 0.5 and complement(a, c) == 0.0


def test_distance_beyond_what_either_will_travel_is_penalised() -> None:
    a = leader(1, max_travel_km=20)
    near = leader(2, latitude=NEAR_LEEDS[0], longitude=NEAR_LEEDS[1], max_travel_km=5)
    far = leader(3, latitude=BRADFORD[0], longitude=BRADFORD[1], max_travel_km=5)
    assert travel_penalty(a, near) == 0.0
    assert travel_penalty(a, far) == pytest.approx((14.0 - 5) / 5, abs=0.2)
    s = score_matrix([a, near, far])
    assert s[0, 1] > s[0, 2]


def test_wishes_add_a_bonus_and_two_new_leaders_a_small_penalty() -> None:
    a = leader(1, would_like=frozenset({2}))
    b, c = leader(2), leader(3)
    s = score_matrix([a, b, c], Weights())
    assert s[0, 1] - s[0, 2] == pytest.approx(Weights().wish)
    n1, n2 = leader(4, years=0), leader(5, years=1)
    s = score_matrix([n1, n2, b])
    assert s[0, 2] - s[0, 1] == pytest.approx(Weights().novices)


def test_the_matrix_is_symmetric_and_ready_for_the_engine() -> None:
    rng = np.random.default_rng(1)
    people = [
        leader(
            k,
            values={"A": int(rng.integers(1, 6)), "B": int(rng.integers(1, 6))},
            latitude=53.7 + rng.uniform(0, 0.2),
            longitude=-1.6 + rng.uniform(0, 0.3),
        )
        for k in range(12)
    ]
    s = score_matrix(people)
    assert np.allclose(s, s.T) and np.all(np.diag(s) == 0) and np.all(np.isfinite(s))


def test_leaders_without_coordinates_are_flagged() -> None:
    people = [leader(1), leader(2, latitude=None, longitude=None)]
    assert [p.key for p in unlocated(people)] == [2]


def test_a_group_is_explained_in_plain_terms() -> None:
    amira = leader(
        1,
        name="Amira",
        values={"Inclusion": 5, "Early language": 4, "Play": 2},
        strengths=frozenset({"SEND"}),
    )
    priya = leader(
        2,
        name="Priya",
        values={"Inclusion": 4, "Early language": 5, "Play": 5},
        develop=frozenset({"SEND"}),
        years=0,
        latitude=BRADFORD[0],
        longitude=BRADFORD[1],
    )
    why = explain([amira, priya])
    assert why.shared_values == ["Early language", "Inclusion"]
    assert why.needs_met == [("Amira", "SEND", "Priya")]
    assert why.furthest_km == pytest.approx(14.0, abs=0.5)
    assert why.has_experienced
