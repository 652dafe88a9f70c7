"""Notifications moved to ``core`` (every feature app notifies; tables unchanged): the
names stay importable from here for now."""

from nextpractice.core.models import DEFAULT_MODE, Kind, Mode, Notification, Preference

__all__ = ["DEFAULT_MODE", "Kind", "Mode", "Notification", "Preference"]
