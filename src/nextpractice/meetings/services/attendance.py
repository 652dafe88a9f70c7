"""Who is coming: members' answers, the deputies they send, and the register taken at the
meeting with each member's record over the year."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Cluster, Role
from nextpractice.core.mail import queue_email

from ..models import Attendance, Mark, Meeting, MeetingStatus, Response, YearPlan
from .common import MeetingError, current_members, lock


def deputy_account(email: str, name: str) -> User:
    """The deputy's account: found by email, or made with no password (they sign in with
    an emailed code). Being a deputy gives access to nothing but the meeting itself."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email, None, full_name=name)
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )
    return user


@transaction.atomic
def respond(
    meeting: Meeting,
    member: User,
    response: str,
    deputy_name: str = "",
    deputy_email: str = "",
) -> Attendance:
    """A member's answer: attending, sending a deputy, or apologies, until the start."""
    lock(meeting)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise MeetingError("This meeting is not diarised: there is nothing to answer yet.")
    if meeting.has_started:
        raise MeetingError("This meeting has started: answers close at the start.")
    if response not in Response.values:
        raise MeetingError("Choose attending, sending a deputy, or apologies.")
    if not meeting.cluster.memberships.agreed().members().filter(user=member).exists():
        raise MeetingError("Only the cluster's members answer for a meeting.")
    attendance, _ = meeting.attendances.select_for_update().get_or_create(
        meeting=meeting, member=member
    )
    previous_deputy = attendance.deputy if attendance.response == Response.DEPUTY else None
    attendance.response = response
    attendance.responded_at = timezone.now()
    if response == Response.DEPUTY:
        deputy_email = deputy_email.strip().lower()
        deputy_name = deputy_name.strip()
        if not deputy_name:
            raise MeetingError("Give your deputy's name.")
        try:
            validate_email(deputy_email)
        except ValidationError:
            raise MeetingError(
                "Give your deputy's email address, like name@school.org.uk."
            ) from None
        if deputy_email == member.email.lower():
            raise MeetingError("Your deputy needs their own email address, not yours.")
        if meeting.cluster.memberships.current().filter(user__email__iexact=deputy_email).exists():
            raise MeetingError("That person is already in this cluster: they come as themselves.")
        deputy = deputy_account(deputy_email, deputy_name)
        attendance.deputy_name, attendance.deputy_email = deputy_name, deputy_email
        attendance.deputy = deputy
        attendance.save()
        if previous_deputy != deputy:
            queue_email(
                deputy_email,
                "emails/deputy_invitation",
                {
                    "person": deputy,
                    "deputy_name": deputy_name,
                    "member": member,
                    "meeting": meeting,
                    "cluster": meeting.cluster,
                },
                report_to=member,  # told if it never arrives
            )
            record(
                member,
                "meeting.deputy",
                meeting,
                f"{member} is sending {deputy_name} as deputy",
                meeting.cluster,
            )
    else:
        attendance.deputy_name = attendance.deputy_email = ""
        attendance.deputy = None
        attendance.save()
        record(
            member,
            "meeting.answered",
            meeting,
            f"{member}: {Response(response).label.lower()}",
            meeting.cluster,
        )
    return attendance


def deputy_opened(attendance: Attendance) -> None:
    """The deputy opened the meeting: the member who sent them sees when (that timestamp is
    the trace, shown on the meeting page; an audit entry per page view would bury the
    cluster's activity)."""
    attendance.deputy_last_seen_at = timezone.now()
    attendance.save(update_fields=["deputy_last_seen_at"])


@transaction.atomic
def take_register(meeting: Meeting, by: User, marks: dict[int, str]) -> None:
    """Marks by member id: attended, deputised, apologies or absent."""
    if meeting.status != MeetingStatus.SCHEDULED:
        raise MeetingError("Only a diarised meeting has a register.")
    if not meeting.has_started:
        raise MeetingError("The register is taken at the meeting, once it has started.")
    member_ids = set(
        meeting.cluster.memberships.current().members().values_list("user_id", flat=True)
    )
    for user_id, mark in marks.items():
        if user_id not in member_ids or mark not in Mark.values:
            raise MeetingError("The register lists this cluster's members only.")
        meeting.attendances.update_or_create(member_id=user_id, defaults={"mark": mark})
    meeting.register_taken_at = timezone.now()
    meeting.save(update_fields=["register_taken_at"])
    record(by, "meeting.register", meeting, f"{by} took the register", meeting.cluster)


def attendance_record(cluster: Cluster, plan: YearPlan | None) -> list[dict[str, Any]]:
    """Each member's marks over the year's meetings so far: a row per member."""
    members = [m for m in current_members(cluster) if m.role == Role.MEMBER]
    counts: dict[int, dict[str, int]] = {m.user_id: dict.fromkeys(Mark.values, 0) for m in members}
    if plan is not None:
        for member_id, mark in plan.register_marks():
            if member_id in counts:
                counts[member_id][mark] += 1
    return [{"member": m.user, **counts[m.user_id]} for m in members]
