"""The most common next steps among many visitors' feedback. Pure: no Django.

After a learning walk the host reads six or more colleagues' next steps per focus area.
Several will have said the same thing in their own words ("Declutter the entrance",
"the entrance needs decluttering", "Entrance: too cluttered?"). Grouping them, and saying
how many visitors said each, turns a pile of comments into a short list to act on.

How, and why this simply:

- A visitor's answer often holds several steps ("Declutter the entrance; label the trays"),
  so an answer is split into steps at line breaks, bullets, semicolons and full stops.
- Each step becomes a set of word stems: lower case, punctuation gone, common words and
  the words every next step uses ("should", "more", "consider") dropped, and a light
  suffix stemmer so that "decluttering", "declutter" and "decluttered" meet. A full
  stemmer or a language model would do better on synonyms, at the cost of a dependency
  and of results nobody can explain; a host reading "3 visitors" must be able to see why.
- Two steps are similar when their stem sets overlap enough (Jaccard index, the shared
  stems over all stems, at least ``THRESHOLD``). A step joins the earlier group it is most
  similar to on average (ties to the earliest), or starts a new one. Average rather than
  best-match linkage keeps a chain of half-similar steps from swallowing a whole list.
- Everything follows the input order and breaks ties by it, so the same feedback always
  gives the same groups, labels and order.

A visitor who says the same thing twice is counted once: the count is of people.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

#: Least Jaccard similarity (0 to 1) for a step to join a group.
THRESHOLD = 0.5

#: Longest step text considered (a pasted essay is cut, not refused).
MAX_STEP_CHARS = 300
#: Steps taken from one answer, and from all answers together: the grouping runs on every
#: view of the report, and its cost grows with the square of the steps. A walk of 30
#: visitors writing three steps in each of five areas gives 450; the rest of a longer pile
#: is still listed in full, under each focus area, just not counted.
MAX_STEPS_PER_ANSWER = 12
MAX_STEPS = 600
#: Members of a group a step is compared with (its first ones): enough to judge the
#: average, and a bound on the work a very large group costs.
SAMPLE = 12

# English function words, and the words that carry no content in a next step (every next
# step "should", "needs to", "could consider" doing something "more").
_STOP_WORDS = """
    a an and any are as at be been being both but by can could did do does doing done
    each for from had has have having her here hers him his how i if in into is it its
    itself just let lets me might more most much must my no nor not of off on once only
    or other our ours out over own perhaps please quite rather really same she should so
    some such than that the their them then there these they this those through to too
    try up us very was we were what when where which while who whom why will with would
    you your yours also again maybe possibly think suggest suggestion consider
    considering need needs needed next step steps look looking make making could might
    ensure sure way ways bit little lot lots even still get getting
    help helps helpful idea ideas good better great nice
    none nothing n a na nil
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

_SPLIT = re.compile(r"(?:\r?\n|[;\u2022]|(?<=[.!?])\s+|^\s*[-*]\s+)")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Said:
    """One visitor's next steps: ``who`` (any id of the person), ``text`` (as typed), and
    ``ref`` (the caller's handle on where it came from, returned with the group)."""

    who: Hashable
    text: str
    ref: Hashable = None


@dataclass
class Step:
    """One step of one visitor's answer."""

    who: Hashable
    text: str
    ref: Hashable
    stems: frozenset[str]


@dataclass
class Group:
    """Similar steps: ``label`` is the phrasing closest to all the others."""

    steps: list[Step] = field(default_factory=list)
    label: str = ""

    @property
    def visitors(self) -> int:
        """How many different people said it."""
        return len({s.who for s in self.steps})

    @property
    def refs(self) -> list[Hashable]:
        """The callers' refs of every step in the group, first seen first, each once."""
        return list(dict.fromkeys(s.ref for s in self.steps))

    @property
    def key(self) -> str:
        """A stable name for the group's meaning: the label's stems, sorted."""
        return key_of(self.label)


def split_steps(text: str) -> list[str]:
    """An answer's separate steps: at line breaks, bullets, semicolons and sentence ends.
    Empty pieces are dropped; each piece is trimmed and cut to ``MAX_STEP_CHARS``."""
    pieces = _SPLIT.split(text or "")
    steps = []
    for piece in pieces:
        cleaned = " ".join(piece.strip(" \t-*\u2013\u2014").split())
        if cleaned:
            steps.append(cleaned[:MAX_STEP_CHARS])
    return steps


def stem(word: str) -> str:
    """A light English suffix stripper: enough for plurals, -ing, -ed, -ly and a final e
    to meet ("entrances", "entrance"; "labelling", "labelled", "labels", "label")."""
    if len(word) <= 3:
        return word
    for suffix, replacement in (("ies", "y"), ("ied", "y")):
        if word.endswith(suffix) and len(word) > 4:
            return word[: -len(suffix)] + replacement
    for suffix in ("ing", "ed", "ly", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suffix)]
            # "stopping" -> "stopp" -> "stop"; not "class", "buzz".
            if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "slz":
                word = word[:-1]
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    # British doubling: "labelled", "labelling" meet "label"; "skills", "skilled", "skill".
    if len(word) > 4 and word.endswith("ll"):
        word = word[:-1]
    return word


def stems(text: str) -> frozenset[str]:
    """The content words of ``text`` as stems (accents folded, stop words dropped)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    # Single letters are what is left of "children's" or "e.g.": no content.
    return frozenset(stem(w) for w in _WORD.findall(folded) if len(w) > 1 and w not in STOP_WORDS)


def key_of(text: str) -> str:
    """A short, order-free name for what ``text`` says (its stems, sorted, joined)."""
    return " ".join(sorted(stems(text)))[:MAX_STEP_CHARS]


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared stems over all stems; 0 when either is empty."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _label(steps: list[Step]) -> str:
    """The phrasing most like the others (ties: the shorter, then the earlier), among the
    group's first ``SAMPLE``."""
    steps = steps[:SAMPLE]
    best = min(
        range(len(steps)),
        key=lambda i: (
            -sum(jaccard(steps[i].stems, s.stems) for s in steps),
            len(steps[i].text),
            i,
        ),
    )
    text = steps[best].text.rstrip(" .!?;:,")
    return text[:1].upper() + text[1:]


def group_steps(said: Sequence[Said], threshold: float = THRESHOLD) -> list[Group]:
    """Similar steps grouped, most visitors first (ties keep first-seen order).

    Each ``Said`` is split into steps; steps with no content words ("None.", "n/a") are
    left out. A step joins the existing group whose steps it is most similar to on
    average, when that is at least ``threshold``; otherwise it starts a group."""
    groups: list[Group] = []
    # Which groups hold a stem: only those can be similar to a step with that stem.
    holding: dict[str, set[int]] = {}
    counted = 0
    for item in said:
        for text in split_steps(item.text)[:MAX_STEPS_PER_ANSWER]:
            step = Step(item.who, text, item.ref, stems(text))
            if not step.stems or counted >= MAX_STEPS:
                continue
            counted += 1
            best, best_score = -1, threshold
            candidates = sorted(set().union(*(holding.get(st, set()) for st in step.stems)))
            for index in candidates:
                sample = groups[index].steps[:SAMPLE]
                score = sum(jaccard(step.stems, s.stems) for s in sample) / len(sample)
                if score >= best_score and (best < 0 or score > best_score):
                    best, best_score = index, score
            if best < 0:
                best = len(groups)
                groups.append(Group())
            groups[best].steps.append(step)
            if len(groups[best].steps) <= SAMPLE:  # beyond it, a step changes no comparison
                for st in step.stems:
                    holding.setdefault(st, set()).add(best)
    for group in groups:
        group.label = _label(group.steps)
    order = {id(g): i for i, g in enumerate(groups)}
    return sorted(groups, key=lambda g: (-g.visitors, order[id(g)]))


def common_and_rest(groups: Sequence[Group]) -> tuple[list[Group], list[Group]]:
    """The groups more than one visitor said (the "most common next steps"), and the rest."""
    return [g for g in groups if g.visitors > 1], [g for g in groups if g.visitors <= 1]
