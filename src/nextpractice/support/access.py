"""Who may see and do what between meetings.

Everything here belongs to one cluster, and only its members and facilitator who have
agreed to the ground rules see it (``ClusterScopedQuerySet.visible_to``); a help request
reaches the facilitator only when the member asked them too. Outsiders get 404 (never a
hint that the thing exists); a member who has not agreed gets 403 on the cluster's pages.

What a person may do is asked of the access object by name (``access.can_resolve``), by
views and templates alike, so the rule is written once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.http import Http404

from nextpractice.clusters.access import get_cluster_for, get_in_cluster
from nextpractice.clusters.models import (
    Cluster,
    Membership,
    agreed_membership,
    current_memberships,
)
from nextpractice.core.forms import is_id
from nextpractice.directory.access import get_own_setting
from nextpractice.directory.models import Setting

from .models import Buddy, Event, Funding, HelpRequest, Idea, InductionStep, NewHead, ResearchPiece

M = TypeVar("M", bound=models.Model)


@dataclass
class ClusterAccess:
    """A person in one cluster, between meetings."""

    user: Any
    membership: Membership

    @property
    def cluster(self) -> Cluster:
        return self.membership.cluster

    @property
    def is_facilitator(self) -> bool:
        return self.membership.is_facilitator

    # Every agreed member and the facilitator may ask, share and record: the cluster's
    # space between meetings is everyone's.
    can_ask_for_help = True
    can_share = True
    can_record_success = True
    # The first steps for new heads are the cluster's to write, as its ground rules are.
    can_edit_induction = True

    @property
    def can_say_new(self) -> bool:
        """A member says she is new to headship; the facilitator is not a head there."""
        return not self.is_facilitator


@dataclass
class HelpAccess(ClusterAccess):
    help: HelpRequest = field(default=None)  # type: ignore[assignment]

    @property
    def is_requester(self) -> bool:
        return bool(self.help.requester_id == self.user.pk)

    @property
    def can_reply(self) -> bool:
        """Anyone who sees an open request may answer it (the requester adds to it)."""
        return self.help.is_open

    @property
    def can_call(self) -> bool:
        return self.help.is_open and not self.is_requester

    @property
    def can_resolve(self) -> bool:
        """Only the person who asked marks it resolved, and says what helped."""
        return self.help.is_open and self.is_requester


@dataclass
class IdeaAccess(ClusterAccess):
    idea: Idea = field(default=None)  # type: ignore[assignment]

    @property
    def can_try(self) -> bool:
        """Others try an idea and report back; its author does not try their own."""
        return bool(self.idea.author_id != self.user.pk)


@dataclass
class EventAccess(ClusterAccess):
    event: Event = field(default=None)  # type: ignore[assignment]
    own_setting: Setting | None = None

    @property
    def can_book(self) -> bool:
        """A leader books places on a training day for their own setting's staff."""
        return self.event.is_training and self.own_setting is not None

    @property
    def can_give_numbers(self) -> bool:
        """A leader gives their own setting's numbers for any other event."""
        return not self.event.is_training and self.own_setting is not None

    can_manage_tasks = True

    @property
    def can_change(self) -> bool:
        """Edit, move or cancel: whoever may arrange an event in this cluster (every agreed
        member and the facilitator, as for creating one and for its checklist), since an
        event is the cluster's, and its creator may be away when the venue falls through.
        A cancelled event is not changed again: it stays as the record of what was."""
        return self.can_share and not self.event.is_cancelled


def cluster_access(user: Any, cluster_id: int) -> ClusterAccess:
    """A cluster's pages between meetings: 404 outside it, 403 before agreeing."""
    if not is_id(cluster_id):
        raise Http404("Not found")
    _, membership = get_cluster_for(user, cluster_id)
    return ClusterAccess(user, membership)


def _visible(user: Any, model: type[M], pk: int, *related: str) -> tuple[M, Membership]:
    if not is_id(pk):
        raise Http404("Not found")
    manager: Any = model._default_manager
    current_memberships(user)  # read first, so that visible_to filters on their ids
    obj = manager.visible_to(user).select_related("cluster", *related).filter(pk=pk).first()
    if obj is None:
        raise Http404("Not found")
    cluster_id = getattr(obj, "cluster_id")  # noqa: B009 - every model here has one
    membership = agreed_membership(user, cluster_id)
    if membership is None:  # pragma: no cover - visible_to has just said they are in it
        raise Http404("Not found")
    return obj, membership


def get_help_for(user: Any, pk: int) -> HelpAccess:
    help_request, membership = _visible(user, HelpRequest, pk, "requester__profile")
    return HelpAccess(user, membership, help=help_request)


def get_idea_for(user: Any, pk: int) -> IdeaAccess:
    idea, membership = _visible(user, Idea, pk, "author")
    return IdeaAccess(user, membership, idea=idea)


def get_event_for(user: Any, pk: int) -> EventAccess:
    event, membership = _visible(user, Event, pk, "host_setting")
    return EventAccess(user, membership, event=event, own_setting=get_own_setting(user))


def get_research_for(user: Any, pk: int) -> tuple[ResearchPiece, ClusterAccess]:
    piece, membership = _visible(user, ResearchPiece, pk, "added_by")
    return piece, ClusterAccess(user, membership)


def get_funding_for(user: Any, pk: int) -> tuple[Funding, ClusterAccess]:
    funding, membership = _visible(user, Funding, pk)
    return funding, ClusterAccess(user, membership)


@dataclass
class NewHeadAccess(ClusterAccess):
    """A colleague new to headship, seen by someone in her cluster: everyone there knows
    she is new and who her buddy is; her checklist is hers and her buddy's."""

    new_head: NewHead = field(default=None)  # type: ignore[assignment]
    buddy: Buddy | None = None

    @property
    def is_new_head(self) -> bool:
        return bool(self.new_head.user_id == self.user.pk)

    @property
    def is_buddy(self) -> bool:
        return self.buddy is not None and self.buddy.buddy_id == self.user.pk

    @property
    def can_see_checklist(self) -> bool:
        return self.is_new_head or self.is_buddy

    @property
    def can_tick(self) -> bool:
        return self.can_see_checklist and self.new_head.is_current

    @property
    def can_volunteer(self) -> bool:
        """Any fellow member may offer while she has no buddy: offered, never assigned,
        and never by the facilitator (a buddy is a fellow head) nor by herself."""
        return (
            self.new_head.is_current
            and self.buddy is None
            and not self.is_new_head
            and not self.is_facilitator
        )

    @property
    def can_end_buddy(self) -> bool:
        return self.is_new_head or self.is_buddy


def get_new_head_for(user: Any, pk: int) -> NewHeadAccess:
    new_head, membership = _visible(user, NewHead, pk, "user", "user__profile")
    buddy = (
        Buddy.objects.visible_to(user)
        .current()
        .filter(new_head=new_head)
        .select_related("buddy", "buddy__profile")
        .first()
    )
    return NewHeadAccess(user, membership, new_head=new_head, buddy=buddy)


def get_induction_step_for(access: ClusterAccess, pk: int) -> InductionStep:
    return get_in_cluster(InductionStep, access.user, access.cluster.pk, pk, "Not found")
