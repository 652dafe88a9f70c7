"""Pages between meetings, one module per part of the practice; re-exported for urls.py."""

from .events import (
    cpd,
    event_cancel,
    event_detail,
    event_edit,
    event_list,
    event_numbers,
    event_task,
)
from .funding import funding_applying, funding_list
from .help import experiences, help_detail, help_list, help_new, help_reply, help_resolve
from .ideas import idea_detail, idea_list
from .newheads import (
    new_head_buddy,
    new_head_buddy_end,
    new_head_detail,
    new_head_me,
    new_head_step_add,
    new_head_step_remove,
    new_head_tick,
    new_heads,
)
from .notifications import notification_prefs, notifications
from .research import research_detail, research_list, research_to_agenda
from .search import cluster_search
from .successes import achievements, successes

__all__ = [
    "achievements",
    "cluster_search",
    "cpd",
    "event_cancel",
    "event_detail",
    "event_edit",
    "event_list",
    "event_numbers",
    "event_task",
    "experiences",
    "funding_applying",
    "funding_list",
    "help_detail",
    "help_list",
    "help_new",
    "help_reply",
    "help_resolve",
    "idea_detail",
    "idea_list",
    "new_head_buddy",
    "new_head_buddy_end",
    "new_head_detail",
    "new_head_me",
    "new_head_step_add",
    "new_head_step_remove",
    "new_head_tick",
    "new_heads",
    "notification_prefs",
    "notifications",
    "research_detail",
    "research_list",
    "research_to_agenda",
    "successes",
]
