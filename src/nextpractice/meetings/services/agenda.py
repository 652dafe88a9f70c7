"""The agenda: items members and deputies raise, the chair's order, timing and merging,
who chairs and takes notes, and what the agenda shows (open actions, successes, items)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils.module_loading import import_string

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.core.once import KeySpent, once

from ..models import Action, AgendaItem, ItemKind, Meeting, Note, NoteDraft
from .common import MeetingError, check_version, lock, refresh_state


def check_agenda_open(meeting: Meeting) -> None:
    refresh_state(meeting)
    if meeting.is_cancelled:
        raise MeetingError("This meeting is cancelled.")
    if meeting.notes_published_at is not None:
        raise MeetingError("The notes of this meeting are published: the agenda is closed.")


@transaction.atomic
def add_item(
    meeting: Meeting,
    by: User,
    kind: str,
    title: str,
    detail: str = "",
    minutes: int | None = None,
    *,
    off_record: bool = False,
    once_key: str = "",
) -> AgendaItem:
    """Add an item at the end (before any other business). ``off_record``: to be discussed,
    not minuted. ``once_key``: the form's one-time key; sending the same form again returns
    the first item and adds nothing."""

    def create() -> AgendaItem:
        # The meeting's row lock first: two items added at the same moment then take
        # turns reading the last position, instead of both taking the same one.
        lock(meeting)
        check_agenda_open(meeting)
        last = meeting.items.aggregate(m=Max("position"))["m"]
        # Any other business stays last; other items go before it.
        position = (last or 0) + 10
        item = AgendaItem.objects.create(
            meeting=meeting,
            kind=kind,
            title=title,
            detail=detail,
            minutes=minutes,
            raised_by=by,
            position=position,
            off_record=off_record,
        )
        aob = list(meeting.items.filter(kind=ItemKind.AOB).exclude(pk=item.pk))
        if kind != ItemKind.AOB and aob:
            for other in aob:
                other.position = position + 10
            meeting.items.bulk_update(aob, ["position"])
        record(
            by,
            "agenda.item_added",
            item,
            f"{by} added {item.label} to the agenda",
            meeting.cluster,
        )
        return item

    try:
        return once(by.pk, once_key, AgendaItem, create, within={"meeting_id": meeting.pk})
    except KeySpent as e:
        raise MeetingError(str(e)) from e


def _fresh_item(meeting: Meeting, item: AgendaItem) -> AgendaItem:
    """``item`` re-read under the meeting's lock: another person may have just merged it
    away or changed its text, and working from the caller's copy would lose that."""
    fresh = meeting.items.select_for_update().filter(pk=item.pk).first()
    if fresh is None:
        raise MeetingError(
            f"{item.label.capitalize()} is no longer on the agenda (someone has just merged "
            "or removed it)."
        )
    return fresh


def _renumber(meeting: Meeting, items: list[AgendaItem]) -> None:
    for i, item in enumerate(items):
        item.position = (i + 1) * 10
    meeting.items.bulk_update(items, ["position"])


@transaction.atomic
def move_item(meeting: Meeting, item: AgendaItem, direction: str, by: User) -> None:
    """One place up or down the agenda (the chair's order)."""
    if direction not in {"up", "down"}:
        raise MeetingError("Move an item up or down.")
    lock(meeting)
    check_agenda_open(meeting)
    items = list(meeting.items.select_for_update())
    i = next((k for k, it in enumerate(items) if it.pk == item.pk), None)
    if i is None:
        raise MeetingError("That item is not on this meeting's agenda.")
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(items):
        items[i], items[j] = items[j], items[i]
    _renumber(meeting, items)
    record(
        by,
        "agenda.moved",
        item,
        f"{by} moved {item.label} {direction} the agenda",
        meeting.cluster,
    )


@transaction.atomic
def set_item_minutes(
    meeting: Meeting,
    by: User,
    item: AgendaItem,
    minutes: int | None,
    *,
    version: int | None = None,
) -> None:
    """The time an item needs (empty: untimed). ``version``: the item's version the form
    was drawn from; an older one raises ``StaleEdit`` (a merge added time meanwhile)."""
    if minutes is not None and not 1 <= minutes <= 240:
        raise MeetingError("Give the time as a number of minutes from 1 to 240.")
    if item.meeting_id != meeting.pk:
        raise MeetingError("That item is not on this meeting's agenda.")
    lock(meeting)
    check_agenda_open(meeting)
    item = _fresh_item(meeting, item)
    check_version(item.version, version)
    item.minutes = minutes
    item.version += 1
    item.save(update_fields=["minutes", "version"])
    record(
        by,
        "agenda.timed",
        item,
        f"{by} gave {item.label} " + (f"{minutes} minutes" if minutes else "no set time"),
        meeting.cluster,
    )


@transaction.atomic
def merge_items(meeting: Meeting, by: User, item: AgendaItem, into: AgendaItem) -> AgendaItem:
    """Fold ``item`` into ``into``: its text, time, notes and actions move across.
    Both are re-read under the meeting's lock, so two merges into one item at the same
    moment each add their text to what the other saved."""
    if item.pk == into.pk:
        raise MeetingError("Choose a different item to merge with.")
    if item.meeting_id != meeting.pk or into.meeting_id != meeting.pk:
        raise MeetingError("Both items must be on this meeting's agenda.")
    lock(meeting)
    check_agenda_open(meeting)
    item, into = _fresh_item(meeting, item), _fresh_item(meeting, into)
    if item.off_record != into.off_record:
        # Either way something would change its standing unasked: an off-the-record item's
        # words would reach the notes, or a minuted item's notes would leave them.
        raise MeetingError("An item off the record merges only with another item off the record.")
    raised = f" (raised by {item.raised_by})" if item.raised_by else ""
    into.detail = "\n\n".join(
        p for p in [into.detail, f"{item.title}{raised}: {item.detail}".rstrip(": ")] if p
    )
    if item.minutes:
        into.minutes = (into.minutes or 0) + item.minutes
    into.version += 1
    into.save()
    item.notes.update(item=into)
    item.actions.update(item=into)
    item.delete()
    record(
        by,
        "agenda.merged",
        into,
        f"{by} merged {item.label} into {into.label}",
        meeting.cluster,
    )
    return into


@transaction.atomic
def set_off_record(meeting: Meeting, by: User, item: AgendaItem, off_record: bool) -> AgendaItem:
    """Mark an item off the record (discussed, not minuted), or back on it. The chair or
    whoever raised it decides (the view asks ``MeetingAccess.can_mark_off_record``). An item
    with notes or actions already recorded cannot go off the record: they are the record."""
    if item.meeting_id != meeting.pk:
        raise MeetingError("That item is not on this meeting's agenda.")
    lock(meeting)
    check_agenda_open(meeting)
    item = _fresh_item(meeting, item)
    if item.off_record == off_record:
        return item
    if off_record and (item.notes.exists() or item.actions.exists()):
        raise MeetingError(
            f"\u201c{item.title}\u201d already has notes or actions recorded against it, so it "
            "stays on the record."
        )
    item.off_record = off_record
    item.version += 1
    item.save(update_fields=["off_record", "version"])
    if off_record:
        # A note half-typed against it will not be recorded now: nobody keeps it either.
        NoteDraft.objects.unscoped().filter(item=item).delete()
    # Neither entry names the item: its title stays on the meeting page.
    record(
        by,
        "agenda.off_record" if off_record else "agenda.on_record",
        item,
        f"{by} marked an item "
        + ("off the record" if off_record else "to be minuted again (it was off the record)"),
        meeting.cluster,
    )
    return item


@transaction.atomic
def set_roles(meeting: Meeting, by: User, chair: User | None, note_taker: User | None) -> None:
    """Swap who chairs or takes notes (by agreement: any member may, and it is recorded).
    Only the cluster's current members and facilitator can hold either role."""
    allowed = set(meeting.cluster.memberships.current().values_list("user_id", flat=True))
    if any(p is not None and p.pk not in allowed for p in (chair, note_taker)):
        raise MeetingError("Choose the chair and note-taker from the cluster's members.")
    meeting.chair, meeting.note_taker = chair, note_taker
    meeting.save(update_fields=["chair", "note_taker"])
    record(
        by,
        "meeting.roles",
        meeting,
        f"{by} set the chair to {chair or 'nobody'} and the note-taker to {note_taker or 'nobody'}",
        meeting.cluster,
    )


def item_records() -> list[Prefetch]:
    """What was recorded against each item (notes with their authors, actions with their
    owners), one query each however many items: the items are this meeting's, already read
    through the caller's access, so their notes and actions are read with them."""
    return [
        Prefetch("notes", queryset=Note.objects.unscoped().select_related("author")),
        Prefetch("actions", queryset=Action.objects.unscoped().select_related("owner")),
    ]


# The agenda's parts that are the cluster's, not this meeting's: a deputy, who stands in at
# this one meeting and sees nothing else of the cluster, is not shown them.
CLUSTER_WIDE = ("actions_to_review", "successes")


def agenda(meeting: Meeting, *, for_deputy: bool = False) -> dict[str, Any]:
    """What the agenda shows: standing items first (open actions to review, with their
    owners and progress; successes since the last meeting), then items members added, in
    the chair's order (those off the record included: the meeting page shows their titles).
    ``for_deputy``: this meeting's items only."""
    actions = (
        []
        if for_deputy
        else list(
            meeting.cluster.actions.to_review_at(meeting)
            .select_related("owner")
            .prefetch_related("updates__author")
        )
    )
    items = list(meeting.items.select_related("raised_by").prefetch_related(*item_records()))
    total = sum(i.minutes or 0 for i in items)
    # Standing items that come from the life between meetings (successes since the last
    # one) are given by the apps named in settings.AGENDA_SOURCES: meetings sits under them.
    standing = {
        name: [] if for_deputy else import_string(path)(meeting)
        for name, path in settings.AGENDA_SOURCES.items()
    }
    return {
        "actions_to_review": actions,
        "items": items,
        "planned_minutes": total,
        "successes": [],
        **standing,
    }
