"""The first version of the check-in, as data (loaded by a migration).

Wordings and answers as published:
- ONS personal well-being (ONS4), each 0 to 10, 0 "not at all", 10 "completely" (anxiety:
  0 "not at all anxious", 10 "completely anxious").
- ONS recommended loneliness measures: the three-item UCLA scale (answers "Hardly ever or
  never", "Some of the time", "Often", scored 1 to 3; the total runs 3 to 9, higher is
  lonelier) and the direct question "How often do you feel lonely?" ("Often/always",
  "Some of the time", "Occasionally", "Hardly ever", "Never"; scored here 5 down to 1, so
  that higher is lonelier, like the UCLA total).
- The product's own: confidence as a leader and isolation in the role (0 to 10), and what
  the cluster helped with this term (words, optional, private unless shared).
"""

from __future__ import annotations

from typing import Any

INTRODUCTION = (
    "There are no right or wrong answers. For the first questions, give an answer on a "
    "scale of 0 to 10, where 0 is 'not at all' and 10 is 'completely'."
)

UCLA = [[1, "Hardly ever or never"], [2, "Some of the time"], [3, "Often"]]
DIRECT = [
    [5, "Often/always"],
    [4, "Some of the time"],
    [3, "Occasionally"],
    [2, "Hardly ever"],
    [1, "Never"],
]

ITEMS: list[dict[str, Any]] = [
    {
        "key": "ons_life_satisfaction",
        "measure": "ons4",
        "short_label": "Life satisfaction",
        "wording": "Overall, how satisfied are you with your life nowadays?",
        "kind": "scale",
        "low_label": "Not at all",
        "high_label": "Completely",
    },
    {
        "key": "ons_worthwhile",
        "measure": "ons4",
        "short_label": "Things you do are worthwhile",
        "wording": "Overall, to what extent do you feel that the things you do in your life "
        "are worthwhile?",
        "kind": "scale",
        "low_label": "Not at all",
        "high_label": "Completely",
    },
    {
        "key": "ons_happiness",
        "measure": "ons4",
        "short_label": "Happiness yesterday",
        "wording": "Overall, how happy did you feel yesterday?",
        "kind": "scale",
        "low_label": "Not at all",
        "high_label": "Completely",
    },
    {
        "key": "ons_anxiety",
        "measure": "ons4",
        "short_label": "Anxiety yesterday",
        "wording": "On a scale where 0 is \u2018not at all anxious\u2019 and 10 is "
        "\u2018completely anxious\u2019, overall, how anxious did you feel yesterday?",
        "kind": "scale",
        "low_label": "Not at all anxious",
        "high_label": "Completely anxious",
        "higher_is_better": False,
    },
    {
        "key": "ucla_companionship",
        "measure": "ucla3",
        "short_label": "Lack companionship",
        "wording": "How often do you feel that you lack companionship?",
        "kind": "choice",
        "options": UCLA,
        "higher_is_better": False,
    },
    {
        "key": "ucla_left_out",
        "measure": "ucla3",
        "short_label": "Feel left out",
        "wording": "How often do you feel left out?",
        "kind": "choice",
        "options": UCLA,
        "higher_is_better": False,
    },
    {
        "key": "ucla_isolated",
        "measure": "ucla3",
        "short_label": "Feel isolated from others",
        "wording": "How often do you feel isolated from others?",
        "kind": "choice",
        "options": UCLA,
        "higher_is_better": False,
    },
    {
        "key": "ons_lonely",
        "measure": "direct",
        "short_label": "Loneliness (1 never, 5 often)",
        "wording": "How often do you feel lonely?",
        "kind": "choice",
        "options": DIRECT,
        "higher_is_better": False,
    },
    {
        "key": "leader_confidence",
        "measure": "own",
        "short_label": "Confidence as a leader",
        "wording": "How confident do you feel as a leader at the moment?",
        "kind": "scale",
        "low_label": "Not at all confident",
        "high_label": "Completely confident",
    },
    {
        "key": "role_isolation",
        "measure": "own",
        "short_label": "Isolation in the role",
        "wording": "How isolated do you feel in your role as a leader?",
        "kind": "scale",
        "low_label": "Not at all isolated",
        "high_label": "Completely isolated",
        "higher_is_better": False,
    },
    {
        "key": "cluster_helped",
        "measure": "own",
        "short_label": "What the cluster helped with",
        "wording": "What, if anything, did the cluster help you with this term?",
        "kind": "text",
        "required": False,
    },
]


def load(questionnaire_model: Any, item_model: Any) -> None:
    """Create version 1 with its items, unless it exists (a migration run twice)."""
    questionnaire, made = questionnaire_model.objects.get_or_create(
        version=1, defaults={"introduction": INTRODUCTION}
    )
    if not made:
        return
    for position, spec in enumerate(ITEMS):
        item_model.objects.create(questionnaire=questionnaire, position=position, **spec)
