"""One answer to "may this person see this meeting?". Every meeting view goes through here.

Members (agreed to the ground rules) and facilitators see their cluster's meetings. A
deputy sees the one meeting they stand in for, and nothing else of the cluster. Everyone
else gets 404, never a hint that the meeting exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404

from nextpractice.clusters.models import Membership

from .models import Action, Attendance, Meeting


@dataclass
class MeetingAccess:
    meeting: Meeting
    membership: Membership | None  # None for a deputy
    standing_in_for: Attendance | None  # the deputy's attendance row

    @property
    def is_deputy(self) -> bool:
        return self.membership is None

    @property
    def is_member(self) -> bool:
        return self.membership is not None


def get_meeting_for(user: Any, meeting_id: int) -> MeetingAccess:
    """The meeting and the user's standing in it, or 404. Proposed (not yet diarised)
    meetings are visible to members only."""
    if not user.is_authenticated:
        raise Http404("No such meeting")
    meeting = (
        Meeting.objects.select_related(
            "cluster", "cluster__area", "plan", "host_setting", "chair", "note_taker"
        )
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None:
        raise Http404("No such meeting")
    membership = Membership.objects.filter(
        cluster_id=meeting.cluster_id, user=user, left_at=None
    ).first()
    if membership is not None and membership.ground_rules_agreed_version == (
        meeting.cluster.ground_rules_version
    ):
        membership.cluster = meeting.cluster
        return MeetingAccess(meeting, membership, None)
    if meeting.status != "proposed":
        standing_in = (
            Attendance.objects.select_related("member").filter(meeting=meeting, deputy=user).first()
        )
        if standing_in is not None:
            return MeetingAccess(meeting, None, standing_in)
    raise Http404("No such meeting")


def get_action_for(user: Any, action_id: int) -> Action:
    """An action of one of the user's clusters, or 404."""
    if not user.is_authenticated:
        raise Http404("No such action")
    action = (
        Action.objects.select_related("cluster", "owner", "meeting")
        .filter(
            pk=action_id,
            cluster__memberships__user=user,
            cluster__memberships__left_at=None,
        )
        .first()
    )
    if action is None:
        raise Http404("No such action")
    return action
