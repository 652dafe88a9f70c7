"""The research shelf: sharing a piece, taking something from it, raising it at a meeting."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.urls import reverse

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Cluster
from nextpractice.meetings import services as meeting_services
from nextpractice.meetings.models import AgendaItem, ItemKind, Meeting

from ..models import Kind, ResearchPiece, Takeaway
from .errors import SupportError, create_once
from .notifications import tell_cluster


@transaction.atomic
def share_research(
    cluster: Cluster,
    by: User,
    *,
    title: str,
    summary: str,
    source: str = "",
    link: str = "",
    questions: str = "",
    topics: Sequence[Any] = (),
    once_key: str = "",
) -> ResearchPiece:
    def create() -> ResearchPiece:
        piece = ResearchPiece.objects.create(
            cluster=cluster,
            added_by=by,
            title=title,
            summary=summary,
            source=source,
            link=link,
            questions=questions,
        )
        piece.topics.set(topics)
        tell_cluster(
            cluster,
            by,
            Kind.RESEARCH,
            f"{by} shared research: {piece.title}",
            "a piece of research",
            piece.title,
            reverse("research_detail", args=[piece.pk]),
        )
        record(by, "research.shared", piece, f"{by} shared research: {piece.title}", cluster)
        return piece

    return create_once(by, once_key, ResearchPiece, create, cluster_id=cluster.pk)


@transaction.atomic
def add_takeaway(piece: ResearchPiece, by: User, text: str) -> Takeaway:
    if not text.strip():
        raise SupportError("Write what you took from it.")
    takeaway = Takeaway.objects.create(piece=piece, author=by, text=text.strip())
    record(by, "research.takeaway", takeaway, f"{by} added a takeaway", piece.cluster)
    return takeaway


def research_to_agenda(piece: ResearchPiece, by: User) -> tuple[Meeting, AgendaItem]:
    """The piece as a research prompt on the next meeting's agenda (through the meetings'
    own service, which validates, audits and notifies)."""
    meeting = meeting_services.next_meeting(piece.cluster_id, open_notes=True)
    if meeting is None:
        raise SupportError("No meeting is diarised yet to put it on.")
    detail = (
        piece.summary
        + (f"\n\n{piece.link}" if piece.link else "")
        + (f"\n\nQuestions: {piece.questions}" if piece.questions else "")
    )
    item = meeting_services.add_item(meeting, by, ItemKind.RESEARCH, piece.title[:200], detail)
    return meeting, item
