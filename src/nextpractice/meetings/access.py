"""One answer to "may this person see this meeting, and what may they do in it?". Every
meeting view, and every meeting template, goes through here.

Members and facilitators who have agreed to the ground rules see their cluster's meetings
(``Meeting.objects.visible_to``). A deputy sees the one diarised meeting they stand in for,
and nothing else of the cluster. Everyone else gets 404, never a hint that the meeting
exists. What a person may do once inside is a named capability of ``MeetingAccess``
(``access.can_publish_notes``), asked by the views (403 when refused) and by the templates
(to show the control at all), so the rule is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404

from nextpractice.clusters.models import (
    Membership,
    Role,
    agreed_membership,
    current_memberships,
)
from nextpractice.core import memo
from nextpractice.core.forms import is_id

from .models import Action, AgendaItem, Attendance, Meeting, MeetingStatus


@dataclass
class MeetingAccess:
    meeting: Meeting
    membership: Membership | None  # None for a deputy
    standing_in_for: Attendance | None  # the deputy's attendance row
    user_id: int

    @property
    def is_deputy(self) -> bool:
        return self.membership is None

    @property
    def is_member(self) -> bool:
        """A member or the facilitator of the cluster (not a deputy)."""
        return self.membership is not None

    @property
    def is_chair(self) -> bool:
        return self.meeting.chair_id == self.user_id

    @property
    def is_note_taker(self) -> bool:
        return self.meeting.note_taker_id == self.user_id

    # --- What they may do (the meeting's state is checked by the services) ---

    @property
    def can_answer(self) -> bool:
        """Members proper answer for themselves; a facilitator does not send a deputy, and
        a deputy does not answer for the member."""
        return self.membership is not None and self.membership.role == Role.MEMBER

    @property
    def can_see_who_is_coming(self) -> bool:
        return self.is_member

    @property
    def can_see_the_year(self) -> bool:
        """The cluster's other meetings (a deputy sees their one meeting only)."""
        return self.is_member

    @property
    def can_edit(self) -> bool:
        """Move the meeting (by agreement: any member may, and it is recorded)."""
        return self.is_member

    @property
    def can_cancel(self) -> bool:
        return self.is_member

    @property
    def can_set_roles(self) -> bool:
        return self.is_member

    @property
    def can_arrange_agenda(self) -> bool:
        """The chair orders, times and merges items; with no chair agreed, any member."""
        return self.is_member and (self.meeting.chair_id is None or self.is_chair)

    @property
    def can_add_item(self) -> bool:
        """Everyone who sees the meeting, a deputy included, can raise an item."""
        return True

    @property
    def can_add_note(self) -> bool:
        """Everyone at the meeting, the deputy included, while it is diarised."""
        return self.meeting.status == MeetingStatus.SCHEDULED

    @property
    def takes_notes(self) -> bool:
        """At the meeting, the note-taker and the chair write against each item (with no
        note-taker agreed, any member); the page offers everyone else the agenda, and a
        general note behind a disclosure."""
        return self.can_add_note and (
            self.is_note_taker
            or self.is_chair
            or (self.is_member and self.meeting.note_taker_id is None)
        )

    def can_mark_off_record(self, item: AgendaItem) -> bool:
        """Whoever raised the item, or the chair (with no chair agreed, any member)."""
        return self.can_arrange_agenda or (item.raised_by_id == self.user_id)

    @property
    def can_add_action(self) -> bool:
        """Actions belong to the cluster beyond this meeting: members set them, at a
        diarised meeting."""
        return self.is_member and self.meeting.status == MeetingStatus.SCHEDULED

    @property
    def can_publish_notes(self) -> bool:
        """The note-taker or the chair publishes; with no note-taker agreed, any member."""
        return self.is_member and (
            self.meeting.note_taker_id is None or self.is_note_taker or self.is_chair
        )

    @property
    def can_take_register(self) -> bool:
        return self.is_member

    @property
    def can_record_success(self) -> bool:
        return self.is_member


def get_meeting_for(user: Any, meeting_id: int) -> MeetingAccess:
    """The meeting and the user's standing in it, or 404. Proposed (not yet diarised)
    meetings are visible to members only."""
    if not getattr(user, "is_authenticated", False) or not is_id(meeting_id):
        raise Http404("No such meeting")
    # Kept between requests (core.memo) until a meeting, membership or answer is written,
    # and a minute at most: access never rests on a token whose retirement was lost.
    access = memo.kept(
        ("meeting_access", user.pk, meeting_id, memo.minute()),
        lambda: _meeting_for(user, meeting_id),
    )
    if access is None:
        raise Http404("No such meeting")
    return access


def _meeting_for(user: Any, meeting_id: int) -> MeetingAccess | None:
    # The person's memberships first (one query, kept for the request): the meeting is then
    # looked for in their clusters by id rather than through a subquery.
    current_memberships(user)
    meeting = (
        Meeting.objects.visible_to(user)
        .select_related("cluster", "cluster__area", "plan", "host_setting", "chair", "note_taker")
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None:
        return None
    membership = agreed_membership(user, meeting.cluster_id)
    if membership is not None:
        membership.cluster = meeting.cluster
        return MeetingAccess(meeting, membership, None, user.pk)
    # Not a member, yet the meeting is visible: they are its deputy.
    standing_in = (
        Attendance.objects.select_related("member").filter(meeting=meeting, deputy=user).first()
    )
    if standing_in is None:
        return None
    return MeetingAccess(meeting, None, standing_in, user.pk)


def get_item_for(access: MeetingAccess, item_id: int) -> AgendaItem:
    """An item on the agenda of the meeting ``access`` opened, or 404."""
    item = (
        AgendaItem.objects.filter(pk=item_id, meeting=access.meeting).first()
        if is_id(item_id)
        else None
    )
    if item is None:
        raise Http404("No such item")
    return item


def get_action_for(user: Any, action_id: int) -> Action:
    """An action of a cluster the user has agreed in (a current member or facilitator who
    has agreed the ground rules as they stand), or 404."""
    if not is_id(action_id):
        raise Http404("No such action")
    action = (
        Action.objects.visible_to(user)
        .select_related("cluster", "owner", "meeting")
        .filter(pk=action_id)
        .first()
    )
    if action is None:
        raise Http404("No such action")
    return action
