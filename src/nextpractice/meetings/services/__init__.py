"""Workflows of the cluster's year, in the practice's own words:

- ``year``: planning the year, diarising it, moving, adding and cancelling meetings;
- ``attendance``: who is coming, deputies, the register;
- ``agenda``: items, the chair's order, roles, what the agenda shows;
- ``actions``: notes and actions, publishing the notes;
- ``reminders``: the call for items, agenda and reminder emails;
- ``emails``: who is told, and how;
- ``termdates``: the area's school holidays; ``feeds``: a person's calendar address.

Every write validates, saves, records to the audit log and tells whoever must know, in one
transaction. Views, commands, tasks and the demo call these; other apps import them from
here (``from nextpractice.meetings import services``), so the names below stay put.
"""

from __future__ import annotations

from .actions import (
    add_action,
    add_note,
    mine,
    my_actions,
    note_drafts,
    open_action_count,
    publish_notes,
    published_notes,
    save_note_draft,
    update_action,
)
from .agenda import (
    add_item,
    agenda,
    check_agenda_open,
    merge_items,
    move_item,
    set_item_minutes,
    set_off_record,
    set_roles,
)
from .attendance import (
    attendance_record,
    deputy_account,
    deputy_opened,
    respond,
    take_register,
)
from .common import MeetingError, StaleEdit, current_members, member_choices, setting_of
from .emails import audience, deputies, tell_everyone
from .feeds import replace_calendar_address, turn_off_calendar_address
from .home import actions_due, answers_due, upcoming_for
from .reminders import send_due_meeting_emails
from .termdates import (
    Preview,
    add_holiday,
    confirm_import,
    import_holidays,
    preview_import,
    remove_holiday,
)
from .year import (
    add_meeting,
    calendar_for,
    cancel_meeting,
    check_time,
    closures_for,
    confirm_plan,
    draft_plan,
    holidays_for,
    move_meeting,
    next_meeting,
    next_meeting_after,
    rotations,
)

__all__ = [
    "MeetingError",
    "Preview",
    "StaleEdit",
    "actions_due",
    "add_action",
    "add_holiday",
    "add_item",
    "add_meeting",
    "add_note",
    "agenda",
    "answers_due",
    "attendance_record",
    "audience",
    "calendar_for",
    "cancel_meeting",
    "check_agenda_open",
    "check_time",
    "closures_for",
    "confirm_import",
    "confirm_plan",
    "current_members",
    "deputies",
    "deputy_account",
    "deputy_opened",
    "draft_plan",
    "holidays_for",
    "import_holidays",
    "member_choices",
    "merge_items",
    "mine",
    "move_item",
    "move_meeting",
    "my_actions",
    "next_meeting",
    "next_meeting_after",
    "note_drafts",
    "open_action_count",
    "preview_import",
    "publish_notes",
    "published_notes",
    "remove_holiday",
    "replace_calendar_address",
    "respond",
    "rotations",
    "save_note_draft",
    "send_due_meeting_emails",
    "set_item_minutes",
    "set_off_record",
    "set_roles",
    "setting_of",
    "take_register",
    "tell_everyone",
    "turn_off_calendar_address",
    "upcoming_for",
    "update_action",
]
