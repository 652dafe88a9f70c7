"""Notes and actions: contributions to a meeting's notes, the targets set at it, progress
on them between meetings, and publishing the notes with each person's own actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.core.models import Kind
from nextpractice.core.notifications import notify

from ..models import (
    NOTE_MAX_CHARS,
    Action,
    ActionQuerySet,
    ActionStatus,
    ActionUpdate,
    AgendaItem,
    Meeting,
    MeetingStatus,
    Note,
    NoteDraft,
)
from .agenda import item_records
from .common import MeetingError, lock, refresh_state
from .emails import tell_everyone
from .year import next_meeting_after


def _check_minuted(item: AgendaItem | None) -> None:
    """Nothing is recorded against an item discussed off the record."""
    if item is not None and item.off_record:
        raise MeetingError(
            f"\u201c{item.title}\u201d is off the record: it is discussed, not minuted, so no "
            "notes or actions are recorded against it."
        )


@transaction.atomic
def add_note(
    meeting: Meeting,
    by: User,
    text: str,
    item: AgendaItem | None = None,
    action: Action | None = None,
    is_decision: bool = False,
) -> Note:
    refresh_state(meeting)
    if not meeting.notes_open:
        raise MeetingError("The notes of this meeting are published and closed.")
    if meeting.status != MeetingStatus.SCHEDULED:
        raise MeetingError(
            "Notes are taken at a diarised meeting, not a proposed or cancelled one."
        )
    if item is not None and item.meeting_id != meeting.pk:
        raise MeetingError("That item is not on this meeting's agenda.")
    _check_minuted(item)
    if action is not None and action.cluster_id != meeting.cluster_id:
        raise MeetingError("That action is not one of this cluster's.")
    note = Note.objects.create(
        meeting=meeting, item=item, action=action, text=text, is_decision=is_decision, author=by
    )
    # The note is saved: the draft it was typed in has done its work.
    NoteDraft.objects.visible_to(by).filter(meeting=meeting, author=by).filter(item=item).delete()
    # The note's words stay in the notes: the activity log says only that there is one.
    record(
        by,
        "notes.decision" if is_decision else "notes.added",
        note,
        f"{by} recorded a {'decision' if is_decision else 'note'}"
        + (f" on {item.label}" if item else ""),
        meeting.cluster,
    )
    return note


@transaction.atomic
def add_action(
    meeting: Meeting,
    by: User,
    title: str,
    owner: User | None,
    due: dt.date | None = None,
    item: AgendaItem | None = None,
) -> Action:
    """A target set at a meeting; due by the next meeting unless given."""
    refresh_state(meeting)
    if not meeting.notes_open:
        raise MeetingError("The notes of this meeting are published and closed.")
    if meeting.status != MeetingStatus.SCHEDULED:
        raise MeetingError(
            "Actions are set at a diarised meeting, not a proposed or cancelled one."
        )
    if item is not None and item.meeting_id != meeting.pk:
        raise MeetingError("That item is not on this meeting's agenda.")
    _check_minuted(item)
    if owner is not None and not (
        meeting.cluster.memberships.current().filter(user=owner).exists()
    ):
        raise MeetingError("An action belongs to one of the cluster's members, or to all.")
    if due is None:
        following = next_meeting_after(meeting)
        due = following.local_start.date() if following else None
    action = Action.objects.create(
        cluster=meeting.cluster,
        meeting=meeting,
        item=item,
        title=title,
        owner=owner,
        due=due,
        created_by=by,
        # Stamped at the meeting's start, so it comes back at the next meeting, not this one.
        created_at=max(timezone.now(), meeting.starts_at),
    )
    record(
        by,
        "action.set",
        action,
        f"{by} set an action for {action.owner_label}: {title}",
        meeting.cluster,
    )
    if owner is not None and owner.pk != by.pk:
        notify(
            [owner],
            meeting.cluster,
            Kind.ACTION,
            f"{by} gave you an action: {title}",
            reverse("my_actions"),
        )
    return action


@transaction.atomic
def update_action(action: Action, by: User, text: str, status: str) -> ActionUpdate:
    if status and status not in ActionStatus.values:
        raise MeetingError("Choose open, done or dropped.")
    if not text and (not status or status == action.status):
        raise MeetingError("Write what has happened, or change the status.")
    update = ActionUpdate.objects.create(
        action=action, author=by, text=text, status=status if status != action.status else ""
    )
    if text:
        record(
            by,
            "action.progress",
            action,
            f"{by} recorded progress on \u201c{action.title}\u201d",
            action.cluster,
        )
    if status and status != action.status:
        action.status = status
        action.closed_at = None if status == ActionStatus.OPEN else timezone.now()
        action.save(update_fields=["status", "closed_at"])
        record(
            by,
            "action.status",
            action,
            f"{by} marked \u201c{action.title}\u201d {action.get_status_display().lower()}",
            action.cluster,
        )
    return update


@transaction.atomic
def publish_notes(meeting: Meeting, by: User) -> None:
    """Close the notes and email everyone a summary with each person's own actions."""
    lock(meeting)
    meeting.refresh_from_db()
    if meeting.notes_published_at is not None:
        raise MeetingError("These notes are already published.")
    if meeting.status != MeetingStatus.SCHEDULED:
        raise MeetingError("Only a diarised meeting has notes to publish.")
    if not meeting.has_started:
        raise MeetingError("Notes are published once the meeting has started.")
    meeting.notes_published_at = timezone.now()
    meeting.save(update_fields=["notes_published_at"])
    record(by, "meeting.notes_published", meeting, f"{by} published the notes", meeting.cluster)
    # Drafts nobody saved are not notes: the notes are closed, and so are they.
    NoteDraft.objects.unscoped().filter(meeting=meeting).delete()
    summary = published_notes(meeting)
    general = list(meeting.notes.filter(item=None).select_related("author"))
    actions = list(meeting.actions.select_related("owner"))
    following = next_meeting_after(meeting)
    tell_everyone(
        meeting,
        "emails/notes_published",
        {
            "items": summary["items"],
            "off_record": summary["off_record"],
            "general": general,
            "actions": actions,
            "next_meeting": following,
            "mine": [],
        },
        kind=Kind.NOTES,
        text=f"The notes of the meeting of {meeting.local_start:%-d %B} are published",
        personal=lambda person: {
            "mine": [a for a in actions if a.owner_id in {person.pk, None}],
        },
    )


def published_notes(meeting: Meeting, items: list[AgendaItem] | None = None) -> dict[str, Any]:
    """The record of a meeting: its minuted items with their notes and actions, and how
    many items were discussed off the record (a number: never their titles). ``items``:
    the whole agenda, when the caller has read it already (with notes and actions)."""
    if items is None:
        items = list(meeting.items.select_related("raised_by").prefetch_related(*item_records()))
    minuted = [i for i in items if not i.off_record]
    return {"items": minuted, "off_record": len(items) - len(minuted)}


@transaction.atomic
def save_note_draft(meeting: Meeting, by: User, item: AgendaItem | None, text: str) -> None:
    """Keep the note ``by`` is typing (empty text: forget it). Not audited, as feedback
    drafts are not: the page keeps one every few seconds, and a draft is nobody's record.
    Refused once the notes are closed, and for an item off the record."""
    refresh_state(meeting)
    if not meeting.notes_open or meeting.status != MeetingStatus.SCHEDULED:
        raise MeetingError("The notes of this meeting are closed: the draft is not kept.")
    if item is not None and item.meeting_id != meeting.pk:
        raise MeetingError("That item is not on this meeting's agenda.")
    _check_minuted(item)
    if len(text) > NOTE_MAX_CHARS:
        raise MeetingError(f"A note is at most {NOTE_MAX_CHARS:,} characters.")
    drafts = NoteDraft.objects.visible_to(by).filter(meeting=meeting, author=by).filter(item=item)
    # A draft sent as the note itself was saved (the field's blur as "Add note" is pressed
    # can arrive second) is that note already: it must not come back in the box.
    saved = Note.objects.visible_to(by).filter(meeting=meeting, author=by, item=item, text=text)
    if not text.strip() or saved.exists():
        drafts.delete()
        return
    if not drafts.update(text=text, updated_at=timezone.now()):
        NoteDraft.objects.create(meeting=meeting, item=item, author=by, text=text)


def note_drafts(meeting: Meeting, user: User) -> dict[int | None, str]:
    """The person's drafts at this meeting, by item id (``None``: the general note)."""
    return dict(
        NoteDraft.objects.visible_to(user)
        .filter(meeting=meeting, author=user)
        .values_list("item_id", "text")
    )


def mine(user: User) -> ActionQuerySet:
    """The person's own actions and their clusters' shared ones, in every cluster they have
    agreed in (not one they left, nor one whose ground rules they have yet to agree)."""
    return Action.objects.visible_to(user).filter(Q(owner=user) | Q(owner=None))


def open_action_count(user: User) -> int:
    """How many of ``mine`` are open (the home page's count)."""
    return mine(user).open().count()


def my_actions(user: User) -> list[Action]:
    """Every action the person owns, and their clusters' shared ones, across clusters."""
    return list(
        mine(user)
        .select_related("cluster", "meeting", "owner")
        .prefetch_related("updates__author")
        .order_by("status", "due", "pk")
    )
