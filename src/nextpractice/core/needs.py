"""What needs a person, for the top of their home page.

Each feature app offers a source (listed in ``settings.NEEDS_YOU_SOURCES``, gathered by the
``site`` home page) so that ``core`` and ``site`` know nothing of reviews or meetings, and
no app above is imported from below. A source is called as ``source(user, clusters)`` with
the ids of the clusters the person has agreed in (worked out once per page), answers with a
fixed number of queries, and returns at most ``LIMIT`` items: the home page's cost follows
the person's own clusters, never the size of the network."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from .models import Notification

#: The most items any one source puts on the home page ("and N more" links to the rest).
LIMIT = 5


@dataclass(frozen=True)
class Need:
    """One thing that needs the person: ``link_text`` is the link, ``text`` what follows it,
    ``due`` the date it is wanted by, ``urgent`` puts it first, marked."""

    link: str
    link_text: str
    text: str = ""
    due: dt.date | None = None
    urgent: bool = False


Source = Callable[[Any, Sequence[int]], list[Need]]


def unread_notifications(user: Any, clusters: Sequence[int]) -> list[Need]:
    """One line for every unread notice, with the newest one's summary (one query)."""
    unread = list(
        Notification.objects.visible_to(user)
        .filter(read_at=None, cluster_id__in=clusters)
        .values_list("text", flat=True)[: LIMIT + 1]
    )
    if not unread:
        return []
    more = "5 or more" if len(unread) > LIMIT else str(len(unread))
    return [
        Need(
            link=reverse("notifications"),
            link_text=f"{more} unread notification{'s' if len(unread) > 1 else ''}",
            text=f": the latest, \u201c{unread[0]}\u201d",
        )
    ]
