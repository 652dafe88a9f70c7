"""Workflows between meetings, one module per part of the practice: help, successes,
research, ideas, events, funding, search, new heads and notifications. Every write validates, saves,
records to the audit log and notifies in one transaction.

The names are re-exported here so that ``from nextpractice.support import services``
keeps working for other apps, the periodic jobs in settings and the tests."""

from .errors import SupportError
from .events import (
    add_task,
    book_places,
    cancel_event,
    create_event,
    edit_event,
    set_numbers,
    toggle_task,
)
from .funding import applying, funding_reminders, share_funding
from .help import (
    add_experience,
    answer_help,
    ask_for_help,
    help_figures,
    remove_experience,
    requester_phone,
    resolve_help,
    urgent_for,
    who_could_help,
)
from .ideas import share_idea, try_idea
from .newheads import add_step, end_buddy, remove_step, say_new, tick, volunteer
from .notifications import (
    current_preferences,
    mark_all_read,
    mark_read,
    members_of,
    modes_for,
    notify,
    save_preferences,
    send_digests,
    tell_cluster,
)
from .research import add_takeaway, research_to_agenda, share_research
from .search import search
from .successes import (
    achievements,
    record_success,
    send_termly_achievements,
    success_links,
    successes_since_last_meeting,
    term_start,
)

__all__ = [
    "SupportError",
    "achievements",
    "add_experience",
    "add_step",
    "add_takeaway",
    "add_task",
    "answer_help",
    "applying",
    "ask_for_help",
    "book_places",
    "cancel_event",
    "create_event",
    "current_preferences",
    "edit_event",
    "end_buddy",
    "funding_reminders",
    "help_figures",
    "mark_all_read",
    "mark_read",
    "members_of",
    "modes_for",
    "notify",
    "record_success",
    "remove_experience",
    "remove_step",
    "requester_phone",
    "research_to_agenda",
    "resolve_help",
    "save_preferences",
    "say_new",
    "search",
    "send_digests",
    "send_termly_achievements",
    "set_numbers",
    "share_funding",
    "share_idea",
    "share_research",
    "success_links",
    "successes_since_last_meeting",
    "tell_cluster",
    "term_start",
    "tick",
    "toggle_task",
    "try_idea",
    "urgent_for",
    "volunteer",
    "who_could_help",
]
