"""Shared aims a cluster sets for its children: proposing, editing, closing them, and where
they show (the cluster's page, the next meeting's agenda, "Our year").

Members meet as equals: any agreed member (or the facilitator) proposes an aim or changes
one, and every change is in the cluster's activity log. An aim is about groups of children
and the cluster's work, never about one child (the form says so).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.core.year import Line, Section, Year, plural

from .models import Aim, AimStatus, Cluster


class AimError(Exception):
    """An aim that cannot be saved as asked; the message is shown to the person."""


def _check_room(cluster: Cluster) -> None:
    # Counted under a lock on the cluster's row, so two members proposing at once cannot
    # both take the last place.
    Cluster.objects.select_for_update().filter(pk=cluster.pk).first()
    if Aim.objects.unscoped().filter(cluster=cluster).open().count() >= Aim.MAX_OPEN:
        raise AimError(
            f"The cluster is working on {Aim.MAX_OPEN} aims already, the most at once. "
            "Mark one achieved or set it aside first."
        )


def _closing(aim: Aim, status: str, reflection: str) -> None:
    if status != AimStatus.WORKING and not reflection.strip():
        raise AimError("Say in a line or two how it went, to close the aim.")


@transaction.atomic
def propose_aim(
    cluster: Cluster, by: User, *, title: str, why: str, how_we_know: str, review_on: Any
) -> Aim:
    _check_room(cluster)
    aim = Aim.objects.create(
        cluster=cluster,
        title=title.strip(),
        why=why.strip(),
        how_we_know=how_we_know.strip(),
        review_on=review_on,
        proposed_by=by,
    )
    record(by, "aim.proposed", aim, f"{by} proposed the aim \u201c{aim.title}\u201d", cluster)
    return aim


_VERBS = {
    AimStatus.ACHIEVED: ("aim.achieved", "marked the aim \u201c{}\u201d achieved"),
    AimStatus.SET_ASIDE: ("aim.set_aside", "set aside the aim \u201c{}\u201d"),
    AimStatus.WORKING: ("aim.reopened", "took up the aim \u201c{}\u201d again"),
}


@transaction.atomic
def change_aim(aim: Aim, by: User, **fields: Any) -> bool:
    """Save what changed (title, why, how we'll know, review date, status, reflection);
    ``False`` when nothing did. Closing asks for a reflection; taking an aim up again
    needs room among the open ones."""
    status = fields.get("status", aim.status)
    reflection = str(fields.get("reflection", aim.reflection)).strip()
    _closing(aim, status, reflection)
    if status == AimStatus.WORKING and not aim.is_open:
        _check_room(aim.cluster)
    before = aim.status
    changed = False
    for name, value in fields.items():
        value = value.strip() if isinstance(value, str) else value
        if getattr(aim, name) != value:
            setattr(aim, name, value)
            changed = True
    if not changed:
        return False
    now = timezone.now()
    aim.updated_at = now
    if status != before:
        aim.closed_at = None if status == AimStatus.WORKING else now
        verb, words = _VERBS[AimStatus(status)]
    else:
        verb, words = "aim.changed", "changed the aim \u201c{}\u201d"
    aim.save()
    record(by, verb, aim, f"{by} {words.format(aim.title)}", aim.cluster)
    return True


# --- Where aims show -------------------------------------------------------------------

#: Closed aims shown on the aims page (the rest are in "Our year", year by year).
CLOSED_SHOWN = 30


def open_aims(cluster: Cluster, user: Any) -> list[Aim]:
    """The cluster page's panel (settings.CLUSTER_PANELS): what the cluster is working on."""
    return list(Aim.objects.in_cluster(user, cluster.pk).open())


def due_for_review(meeting: Any) -> list[Aim]:
    """The agenda's standing item (settings.AGENDA_SOURCES): open aims whose review date
    has come by the meeting's day. They stay on each agenda until someone reviews them
    (moves the date, or closes the aim). The meeting was reached through its own access
    rule; this reads its cluster for it."""
    day = timezone.localdate(meeting.starts_at)
    return list(
        Aim.objects.unscoped()
        .filter(cluster_id=meeting.cluster_id)
        .due_for_review(day)[: Aim.MAX_OPEN]
    )


def aims_of_the_year(cluster: Cluster, user: Any, year: Year) -> Section:
    """For "Our year" (settings.YEAR_SOURCES): the aims the cluster worked on that year,
    and where each stands. One query."""
    start, end = year.bounds()
    aims = list(
        Aim.objects.in_cluster(user, cluster.pk)
        .filter(created_at__lt=end)
        .exclude(closed_at__lt=start)[: Aim.MAX_OPEN * 10]
    )
    lines = []
    for aim in aims:
        closed_in_year = aim.closed_at is not None and aim.closed_at < end
        stands = aim.get_status_display() if closed_in_year or aim.is_open else "Working on it"
        detail = stands
        if closed_in_year and aim.reflection:
            detail = f"{stands}: {aim.reflection}"
        lines.append(
            Line(
                "",
                aim.title,
                link=reverse("cluster_aim_edit", args=[cluster.pk, aim.pk]),
                detail=detail,
            )
        )
    achieved = sum(
        1 for a in aims if a.status == AimStatus.ACHIEVED and a.closed_at and a.closed_at < end
    )
    summary = (
        f"{plural(len(aims), 'aim')} for our children, {achieved} achieved"
        if aims
        else "No shared aims recorded"
    )
    return Section("aims", "Our aims for our children", summary, lines)
