"""The grouping of a learning walk's next steps (``reviews/nextsteps.py``), on phrasings
visitors really write."""

from __future__ import annotations

from nextpractice.reviews.nextsteps import (
    Said,
    common_and_rest,
    group_steps,
    jaccard,
    split_steps,
    stem,
    stems,
)

WALK = [
    Said("meera", "Declutter the entrance. Label the trays in the book corner."),
    Said("ben", "The entrance needs decluttering"),
    Said("amira", "Entrance is too cluttered - declutter it!"),
    Said("jo", "Labels on the trays would help"),
    Said("priya", "More outdoor den-building resources"),
    Said("amira", "declutter the entrance"),  # said again by the same person
    Said("tom", "None."),
]


def test_it_groups_the_same_step_in_different_words_and_counts_people() -> None:
    groups = group_steps(WALK)
    first = groups[0]
    assert first.label == "Declutter the entrance"
    assert first.visitors == 3  # Amira said it twice: counted once
    assert len(first.steps) == 4
    labels = {g.label: g.visitors for g in groups}
    assert labels["Labels on the trays would help"] == 2
    assert labels["More outdoor den-building resources"] == 1
    assert all("None" not in g.label for g in groups)


def test_the_most_common_come_first_then_the_rest() -> None:
    common, rest = common_and_rest(group_steps(WALK))
    assert [(g.label, g.visitors) for g in common] == [
        ("Declutter the entrance", 3),
        ("Labels on the trays would help", 2),
    ]
    assert [g.label for g in rest] == ["More outdoor den-building resources"]


def test_it_is_deterministic_and_keeps_refs() -> None:
    said = [Said(i % 4, text, ref=i) for i, text in enumerate(t.text for t in WALK)]
    once = [(g.label, g.visitors, g.refs) for g in group_steps(said)]
    assert once == [(g.label, g.visitors, g.refs) for g in group_steps(said)]
    assert group_steps(said)[0].refs == [0, 1, 2, 5]


def test_different_steps_stay_apart() -> None:
    groups = group_steps(
        [
            Said(1, "Make the outdoor area more challenging for older children"),
            Said(2, "Add more books to the outdoor area"),
            Said(3, "Share the phonics tracker with the team"),
            Said(4, "Share the tracker for phonics with all staff"),
        ]
    )
    assert [g.visitors for g in groups] == [2, 1, 1]
    assert groups[0].label.startswith("Share the")


def test_an_answer_splits_into_steps_at_lines_bullets_and_sentences() -> None:
    assert split_steps("- Declutter the entrance\n- Label trays;  move the sofa. Ok!") == [
        "Declutter the entrance",
        "Label trays",
        "move the sofa.",
        "Ok!",
    ]
    assert split_steps("") == [] and split_steps(" \n ; ") == []
    assert len(split_steps("x" * 5000)[0]) == 300


def test_stems_meet_across_endings_and_ignore_filler() -> None:
    assert {stem(w) for w in ["decluttering", "decluttered", "declutter"]} == {"declutter"}
    assert stem("entrances") == stem("entrance")
    assert {stem(w) for w in ["labels", "labelled", "labelling"]} == {"label"}
    assert stem("activities") == stem("activity")
    assert stem("classes") == stem("class") == "class"
    assert stems("You could consider maybe more of it") == frozenset()
    assert stems("Children's café") == stems("children cafe")
    assert jaccard(frozenset(), frozenset({"a"})) == 0.0


def test_punctuation_case_and_empty_input() -> None:
    assert group_steps([]) == []
    assert group_steps([Said(1, "?!..."), Said(2, "  ")]) == []
    groups = group_steps([Said(1, "DECLUTTER THE ENTRANCE!!!"), Said(2, "declutter, entrance")])
    assert len(groups) == 1 and groups[0].visitors == 2


def test_a_huge_pile_is_bounded_not_refused() -> None:
    """The report groups on every view: a pasted essay, or hundreds of visitors, cost a
    bounded amount (the full text is still listed under each focus area)."""
    from nextpractice.reviews.nextsteps import MAX_STEPS, MAX_STEPS_PER_ANSWER

    essay = Said("one", ". ".join(f"Step number {w} here" for w in "abcdefghijklmnopqrst" * 3))
    assert sum(len(g.steps) for g in group_steps([essay])) == MAX_STEPS_PER_ANSWER
    crowd = [Said(i, "Declutter the entrance. Label the trays.") for i in range(1000)]
    groups = group_steps(crowd)
    assert sum(len(g.steps) for g in groups) == MAX_STEPS
    assert [(g.label, g.visitors) for g in groups] == [
        ("Declutter the entrance", MAX_STEPS // 2),
        ("Label the trays", MAX_STEPS // 2),
    ]
