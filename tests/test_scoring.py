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
    score_matrix_pairwise,
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


def random_pool(seed: int, n: int) -> list[Leader]:
    """Leaders with every field sometimes missing, as real profiles are."""
    rng = np.random.default_rng(seed)
    topics = [f"topic {k}" for k in range(15)]

    def maybe(value: object, chance: float = 0.8) -> object:
        return value if rng.random() < chance else None

    people = []
    for k in range(n):
        located = rng.random() < 0.85
        people.append(
            Leader(
                key=1000 + k,
                name=f"L{k}",
                values={
                    f"value {v}": int(rng.integers(1, 6))
                    for v in rng.choice(12, size=int(rng.integers(0, 9)), replace=False)
                },
                strengths=frozenset(rng.choice(topics, size=int(rng.integers(0, 5)))),
                develop=frozenset(rng.choice(topics, size=int(rng.integers(0, 5)))),
                latitude=53.6 + rng.uniform(0, 0.4) if located else None,
                longitude=-1.8 + rng.uniform(0, 0.5) if located else None,
                max_travel_km=maybe(float(rng.choice([0, 3, 5, 10, 12.5, 25])), 0.7),  # type: ignore[arg-type]
                years=maybe(int(rng.integers(0, 20))),  # type: ignore[arg-type]
                percent_disadvantaged=maybe(float(rng.uniform(0, 70))),  # type: ignore[arg-type]
                percent_eal=maybe(float(rng.uniform(0, 80))),  # type: ignore[arg-type]
                new_arrivals=maybe(int(rng.integers(0, 3))),  # type: ignore[arg-type]
                idaci_decile=maybe(int(rng.integers(1, 11))),  # type: ignore[arg-type]
                early_years=maybe(bool(rng.random() < 0.4)),  # type: ignore[arg-type]
                would_like=frozenset(
                    int(x) for x in 1000 + rng.choice(n, size=int(rng.choice([0, 0, 1, 2])))
                ),
            )
        )
    return people


@pytest.mark.parametrize("seed", range(8))
def test_the_whole_pool_scored_at_once_equals_the_pair_by_pair_scores(seed: int) -> None:
    people = random_pool(seed, 60 + 17 * seed)
    weights = Weights(values=1.3, context=0.7, complement=0.4, travel=2.5, wish=0.6, novices=0.2)
    fast, oracle = score_matrix(people, weights), score_matrix_pairwise(people, weights)
    # Equal but for the last bits of the distances (the haversine's two forms round apart).
    np.testing.assert_allclose(fast, oracle, rtol=0, atol=1e-7)
    assert np.array_equal(fast, fast.T) and np.all(np.diag(fast) == 0)


@pytest.mark.parametrize(
    "people",
    [
        [],
        [leader(1)],
        [leader(1, latitude=None, longitude=None, years=None), leader(2, years=None)],
        [leader(k, values={}, latitude=None, longitude=None) for k in range(5)],
        [leader(1), leader(2, latitude=LEEDS[0], longitude=LEEDS[1], max_travel_km=0)],
    ],
    ids=["nobody", "one", "unlocated new leaders", "nothing shared", "same place"],
)
def test_pools_with_little_known_score_the_same_either_way(people: list[Leader]) -> None:
    np.testing.assert_allclose(
        score_matrix(people), score_matrix_pairwise(people), rtol=0, atol=1e-7
    )
