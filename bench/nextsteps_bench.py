"""How long grouping a report's next steps takes (``reviews/nextsteps.py``), for walks of
growing size, on visitors' phrasings (realistic) and on a small shared vocabulary (the
worst case: nearly every step overlaps nearly every other).

    PYTHONPATH=src .venv/bin/python bench/nextsteps_bench.py
"""

from __future__ import annotations

import random
import statistics
import time

from nextpractice.reviews.nextsteps import Said, group_steps

PHRASINGS = [
    "Declutter the entrance",
    "The entrance needs decluttering",
    "Label the trays in the book corner",
    "More shade by the sandpit",
    "Add shade near the sandpit",
    "A den-building kit outdoors",
    "Share the phonics tracker with all staff",
    "Plant a willow tunnel",
    "Quieter space for reading",
    "Show children's own writing on the walls at their height",
    "Clearer signage for parents at pick-up",
    "Store the outdoor maths resources where children can reach them",
]
VOCABULARY = [
    "entrance",
    "clutter",
    "tray",
    "book",
    "corner",
    "shade",
    "sandpit",
    "den",
    "kit",
    "outdoor",
    "garden",
]


def realistic(rng: random.Random, visitors: int, steps: int) -> list[Said]:
    return [
        Said(v, ". ".join(rng.choice(PHRASINGS) for _ in range(steps)), v) for v in range(visitors)
    ]


def worst(rng: random.Random, visitors: int, steps: int) -> list[Said]:
    def step() -> str:
        return " ".join(rng.sample(VOCABULARY, rng.randint(2, 4)))

    return [Said(v, ". ".join(step() for _ in range(steps)), v) for v in range(visitors)]


def main() -> None:
    rng = random.Random(1)
    for name, make in (("realistic", realistic), ("worst case", worst)):
        for visitors, steps in ((6, 3), (30, 3), (30, 15), (200, 20)):
            said = make(rng, visitors, steps)
            times = []
            for _ in range(5):
                start = time.perf_counter()
                groups = group_steps(said)
                times.append(time.perf_counter() - start)
            print(
                f"{name:10} {visitors:3} visitors x {steps:2} steps: "
                f"median {statistics.median(times) * 1000:7.1f} ms, {len(groups)} groups"
            )


if __name__ == "__main__":
    main()
