"""The website checklists loaded on install (then kept as data, editable in the admin)."""

from __future__ import annotations

from typing import Any

# What maintained schools must publish online (DfE, "What maintained schools must publish
# online"), then what parents and inspectors look for besides.
SCHOOL = [
    ("Admission arrangements", True),
    ("Behaviour policy", True),
    ("Charging and remissions policy", True),
    ("Complaints procedure", True),
    ("Contact details, including the SENCo's name and details", True),
    ("Curriculum, including the phonics or reading scheme", True),
    ("Number of staff paid over \u00a3100,000", True),
    ("Governance arrangements and governors' details", True),
    ("Latest Ofsted report or a link to it", True),
    ("PE and sport premium spending and impact", True),
    ("Equality objectives and public sector equality duty information", True),
    ("Pupil premium strategy statement", True),
    ("SEND information report", True),
    ("Accessibility plan", True),
    ("Results (key stage 2, where the school has them)", True),
    ("Ethos and values", False),
    ("Opening hours and term dates", False),
    ("Uniform", False),
]
EARLY_YEARS = [
    ("Latest Ofsted report or a link to it", True),
    ("Registration details (URN, registered person)", True),
    ("Policies, including safeguarding and child protection", True),
    ("Fees and funded hours (how they are offered)", True),
    ("Link to the local authority's SEND local offer", True),
    ("Complaints procedure", True),
    ("Opening times and sessions", True),
    ("Ethos and approach to learning and play", False),
    ("How to visit and register", False),
]


def load(Checklist: Any, ChecklistItem: Any) -> None:
    for applies_to, name, items in [
        ("school", "Maintained school website", SCHOOL),
        ("early_years", "Early years website", EARLY_YEARS),
    ]:
        checklist, _ = Checklist.objects.get_or_create(
            applies_to=applies_to, defaults={"name": name}
        )
        if not checklist.items.exists():
            ChecklistItem.objects.bulk_create(
                [
                    ChecklistItem(checklist=checklist, text=text, required=required, position=i)
                    for i, (text, required) in enumerate(items)
                ]
            )
