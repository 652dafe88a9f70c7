"""What every workflow of the cluster's year shares: the error a person is shown, the
cluster's people, and re-reading a meeting the caller already holds."""

from __future__ import annotations

from collections.abc import Iterable

from nextpractice.accounts.models import User
from nextpractice.clusters.models import Cluster, Membership
from nextpractice.directory.access import get_own_setting
from nextpractice.directory.models import Setting

from ..models import Meeting, MeetingQuerySet


class MeetingError(Exception):
    """A step that cannot happen; the message is shown to the person."""


class StaleEdit(MeetingError):
    """The form was drawn from an older version of the thing than the one saved now:
    someone else saved in between. Nothing is changed; the caller shows both versions
    (the saved one is re-read into the object the caller holds)."""


def current_members(cluster: Cluster) -> list[Membership]:
    """Everyone in the cluster now (a member who has not yet agreed the ground rules
    included: they host and take turns like anyone; they read nothing until they agree)."""
    return list(
        cluster.memberships.current()
        .select_related("user", "user__profile", "user__profile__setting")
        .order_by("joined_at", "pk")
    )


def member_choices(cluster: Cluster) -> Iterable[User]:
    return [m.user for m in current_members(cluster)]


def setting_of(membership: Membership) -> Setting | None:
    return get_own_setting(membership.user)


def cluster_meetings(cluster_id: int) -> MeetingQuerySet:
    """The meetings of a cluster the caller already holds: a view opened it through
    ``get_cluster_for`` or ``get_meeting_for`` (and a periodic job works for nobody's eyes).
    A workflow reads the cluster's other meetings (a clash, the next date) for that caller;
    it never hands them to a new reader."""
    return Meeting.objects.unscoped().filter(cluster_id=cluster_id)


def lock(meeting: Meeting) -> None:
    """Hold the meeting's row until the transaction ends, so two people acting at once
    (publish and cancel, two items added, two merges) take turns instead of overwriting
    each other. On SQLite, where there is no row lock, the first write of a transaction
    takes the database's write lock and the same turns follow."""
    cluster_meetings(meeting.cluster_id).select_for_update().filter(pk=meeting.pk).first()


def check_version(current: int, drawn: int | None) -> None:
    """Refuse a save from a form drawn from an older version (``None``: no form, e.g. the
    demo or a command, which act on what they have just read)."""
    if drawn is not None and drawn != current:
        raise StaleEdit(
            "Someone else changed this while you were editing it. Nothing of yours is saved "
            "yet: compare the two versions and choose."
        )


def refresh_state(meeting: Meeting) -> None:
    """Re-read the meeting's state (another person may have just published or cancelled)."""
    fresh = (
        cluster_meetings(meeting.cluster_id)
        .filter(pk=meeting.pk)
        .values("status", "notes_published_at")
        .get()
    )
    meeting.status, meeting.notes_published_at = fresh["status"], fresh["notes_published_at"]
