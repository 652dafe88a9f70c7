"""The shared lists leaders choose from: loaded by a migration, then edited by admins."""

from __future__ import annotations

from typing import Any

VALUES = [
    ("Children first", "Every decision starts from what is best for the children."),
    ("Inclusion", "Every child belongs and takes part, whatever their needs or background."),
    ("Play-based learning", "Children learn through play, led by their interests."),
    ("Outdoor learning", "Time outdoors, in all weathers, is part of every day."),
    ("Community and families", "Families and the community are partners in learning."),
    ("Staff wellbeing", "Staff who are looked after can look after children."),
    ("Research-informed practice", "We try what the evidence suggests and look at what works."),
    ("Early language", "Talk, stories and vocabulary come before everything else."),
]

TOPICS = [
    (
        "Inspection areas",
        [
            "Curriculum",
            "Early reading",
            "Maths",
            "SEND",
            "EAL",
            "Safeguarding",
            "Behaviour",
            "Outdoor provision",
            "Environment",
            "Parent partnership",
            "Transitions",
        ],
    ),
    (
        "Everyday leadership",
        [
            "Staff management and HR",
            "Finance and budget",
            "Governance",
            "Self-evaluation and SEF",
            "Website and statutory information",
            "Funding bids",
            "Wellbeing",
            "Data",
        ],
    ),
]

# The calls a leader makes to the safety net on a bad day: topics of a help request and kinds
# of "what I have been through", so that the colleague who has lived it is suggested. They
# take positions after the other lists, so that admins' ordering of those is untouched.
CRISES_GROUP = "Crises and urgent calls"
CRISES = [
    "Ofsted inspection",
    "Safeguarding concern or allegation",
    "Serious complaint",
    "Staff absence crisis",
    "Bereavement in the school community",
    "Building closure or flood",
    "Budget deficit",
]
CRISES_POSITION = 100


def load_taxonomy(value_model: Any, topic_model: Any) -> None:
    """Create or refresh the shared values and topics (idempotent)."""
    for position, (name, description) in enumerate(VALUES):
        value_model.objects.update_or_create(
            name=name, defaults={"description": description, "position": position}
        )
    position = 0
    for group, names in TOPICS:
        for name in names:
            topic_model.objects.update_or_create(
                name=name, defaults={"group": group, "position": position}
            )
            position += 1
    load_crises(topic_model)


def load_crises(topic_model: Any) -> None:
    """Add the crisis topics; one an admin has since edited (renamed group, moved) is left
    as they made it."""
    for offset, name in enumerate(CRISES):
        topic_model.objects.get_or_create(
            name=name, defaults={"group": CRISES_GROUP, "position": CRISES_POSITION + offset}
        )
