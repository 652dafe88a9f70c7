"""One box across a cluster: its help requests, ideas, research, events, meeting agendas
and notes, and the reviews this person may see; each read through the same rule as the
pages (a facilitator not asked finds no help request, not even by a word in its body)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import Q
from django.urls import reverse

from nextpractice.accounts.models import User
from nextpractice.clusters.models import Cluster
from nextpractice.meetings.models import AgendaItem, Note
from nextpractice.reviews.models import ReviewRequest

from ..models import Event, HelpRequest, Idea, ResearchPiece


def search(cluster: Cluster, user: User, q: str) -> list[dict[str, Any]]:
    """PostgreSQL full-text search where it runs, a case-insensitive match on SQLite."""
    q = q.strip()
    if len(q) < 2:
        return []
    cid = cluster.pk
    sources: list[tuple[str, Any, list[str], Callable[[Any], str]]] = [
        (
            "Help request",
            HelpRequest.objects.in_cluster(user, cid),
            ["title", "what_happened", "what_helped"],
            lambda o: reverse("help_detail", args=[o.pk]),
        ),
        (
            "Idea",
            Idea.objects.in_cluster(user, cid),
            ["title", "what_we_did", "what_happened"],
            lambda o: reverse("idea_detail", args=[o.pk]),
        ),
        (
            "Research",
            ResearchPiece.objects.in_cluster(user, cid),
            ["title", "summary", "questions"],
            lambda o: reverse("research_detail", args=[o.pk]),
        ),
        (
            "Event",
            Event.objects.in_cluster(user, cid),
            ["title", "aim"],
            lambda o: reverse("event_detail", args=[o.pk]),
        ),
        (
            "Agenda item",
            # Off-the-record items are discussed, not minuted: search finds none of them.
            AgendaItem.objects.in_cluster(user, cid).minuted(),
            ["title", "detail"],
            lambda o: reverse("meeting_detail", args=[o.meeting_id]),
        ),
        (
            "Meeting note",
            Note.objects.in_cluster(user, cid).exclude(item__off_record=True),
            ["text"],
            lambda o: reverse("meeting_detail", args=[o.meeting_id]),
        ),
        (
            "Review",
            ReviewRequest.objects.in_cluster(user, cid),
            ["title"],
            lambda o: reverse("review_detail", args=[o.pk]),
        ),
    ]
    results: list[dict[str, Any]] = []
    for label, queryset, fields, link in sources:
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchVector

            found = queryset.annotate(search=SearchVector(*fields, config="english")).filter(
                search=SearchQuery(q, config="english", search_type="websearch")
            )
        else:
            condition = Q()
            for word in q.split()[:6]:
                any_field = Q()
                for f in fields:
                    any_field |= Q(**{f"{f}__icontains": word})
                condition &= any_field
            found = queryset.filter(condition)
        for obj in found[:20]:
            text = str(getattr(obj, fields[0]))
            results.append({"kind": label, "title": text[:120], "link": link(obj)})
    return results
