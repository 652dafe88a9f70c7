"""The standard first steps of a new head's induction checklist, as data.

Each cluster's checklist is these steps and then the cluster's own (at most
``MAX_OWN_STEPS``). A step that can be seen in the product's own data ticks itself
(``auto``): nobody is asked to tick what they have visibly done. The rest are ticked by
hand, by the new head or her buddy. Pure: the names of the pages (``where``) are resolved,
and the automatic ticks worked out, by ``support.services.newheads``."""

from __future__ import annotations

from dataclasses import dataclass

#: The most steps a cluster may add of its own: a checklist is short, or it is admin.
MAX_OWN_STEPS = 10


@dataclass(frozen=True)
class StandardStep:
    """One standard step: ``key`` is stored when ticked by hand; ``where`` names the page
    (a URL name) where it is done, ``per_cluster`` when that page takes the cluster's id;
    ``auto``: it ticks itself from real data and cannot be ticked by hand."""

    key: str
    text: str
    where: str = ""
    per_cluster: bool = False
    auto: bool = False


STANDARD: tuple[StandardStep, ...] = (
    StandardStep("buddy", "Meet your buddy (a coffee, a call, or a walk round their setting)"),
    StandardStep(
        "ground_rules", "Read the ground rules", "cluster_detail", per_cluster=True, auto=True
    ),
    StandardStep(
        "profile",
        "Complete your profile, so colleagues know your setting and how to reach you",
        "profile_edit",
        auto=True,
    ),
    StandardStep(
        "inset",
        "Add your INSET and closure days, so meetings avoid them",
        "setting_edit",
        auto=True,
    ),
    StandardStep(
        "answer",
        "Say whether you are coming to the next meeting",
        "meetings_year",
        per_cluster=True,
        auto=True,
    ),
    StandardStep(
        "agenda",
        "Bring something to a meeting's agenda",
        "meetings_year",
        per_cluster=True,
        auto=True,
    ),
    StandardStep(
        "feedback",
        "Share a document for feedback, when you are ready",
        "review_list",
        per_cluster=True,
        auto=True,
    ),
    StandardStep(
        "walk",
        "Join a learning walk (as a visitor or a host)",
        "review_list",
        per_cluster=True,
        auto=True,
    ),
    StandardStep(
        "safety_net",
        "Find the safety net: who to call when an inspector phones",
        "help_list",
        per_cluster=True,
    ),
)

BY_KEY = {step.key: step for step in STANDARD}


def by_hand(key: str) -> bool:
    """A standard step that a person may tick (it exists, and does not tick itself)."""
    step = BY_KEY.get(key)
    return step is not None and not step.auto
