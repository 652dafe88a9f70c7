"""Between meetings, in the practice's own words: the safety net (help), successes, the
research shelf, ideas, events and training, funding, support for a new head (a buddy,
an induction checklist), and notifications.

One app (label ``support``, tables unchanged); the names are re-exported here so that
``from nextpractice.support.models import X`` keeps working for every other app."""

from .events import (
    Event,
    EventContact,
    EventKind,
    EventTask,
    Participation,
    new_uid,
)
from .funding import Applying, Funding
from .help import Experience, HelpReply, HelpRequest, Urgency
from .ideas import Idea, IdeaTrial, TrialResult
from .newheads import Buddy, InductionStep, NewHead, Tick
from .notifications import DEFAULT_MODE, Kind, Mode, Notification, Preference
from .research import ResearchPiece, Takeaway
from .successes import AchievementEmail, Success, term_key

__all__ = [
    "DEFAULT_MODE",
    "AchievementEmail",
    "Applying",
    "Buddy",
    "Event",
    "EventContact",
    "EventKind",
    "EventTask",
    "Experience",
    "Funding",
    "HelpReply",
    "HelpRequest",
    "Idea",
    "IdeaTrial",
    "InductionStep",
    "Kind",
    "Mode",
    "NewHead",
    "Notification",
    "Participation",
    "Preference",
    "ResearchPiece",
    "Success",
    "Takeaway",
    "Tick",
    "TrialResult",
    "Urgency",
    "new_uid",
    "term_key",
]
