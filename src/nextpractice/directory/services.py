"""Workflows over the directory: a leader's profile, the setting they lead, and how a leader
comes to lead a setting.

A leader's link to a setting is never self-asserted. It is established either by a
coordinator's invitation from the area directory (accepting binds the leader to the
setting, see ``clusters.services.accept``) or by the leader's request ("I lead this
setting") that the area's coordinator approves. Only then may the leader edit the setting,
whose address becomes a meeting venue in other members' calendars and whose closure days
become clashes in their plans.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from nextpractice.accounts.models import Invitation, User
from nextpractice.audit.models import record
from nextpractice.core.mail import queue_email
from nextpractice.core.words import possessive

from . import locations
from .models import (
    Area,
    ClosureDay,
    LeaderProfile,
    PrivateSettingDetails,
    Setting,
    SettingClaim,
)


class DirectoryError(Exception):
    """A step that cannot happen; the message is shown to the person."""


def link_leader(user: User, setting: Setting, *, by: Any, how: str) -> LeaderProfile:
    """Establish ``user`` as a leader of ``setting`` (inside the caller's transaction).

    Any other claim of theirs still waiting is withdrawn: one established link at a time.
    """
    profile = LeaderProfile.objects.filter(user=user).first() or LeaderProfile(user=user)
    profile.setting = setting
    profile.save()
    SettingClaim.objects.filter(user=user, state=SettingClaim.PENDING).exclude(
        setting=setting
    ).update(state=SettingClaim.WITHDRAWN, decided_at=timezone.now())
    record(
        by,
        "setting.leader_linked",
        setting,
        f"{user} was confirmed as a leader of {setting} (by {how})",
    )
    return profile


@transaction.atomic
def claim_setting(user: User, setting: Setting) -> SettingClaim:
    """The leader says "I lead this setting"; the area's coordinator decides."""
    if not setting.is_open:
        raise DirectoryError(f"{setting} is closed.")
    profile = LeaderProfile.objects.filter(user=user).first()
    if profile is not None and profile.setting_id == setting.pk:
        raise DirectoryError(f"You are already confirmed as a leader of {setting}.")
    try:
        with transaction.atomic():
            claim = SettingClaim.objects.create(user=user, setting=setting)
    except IntegrityError:
        raise DirectoryError(
            "You have already asked to be confirmed for a setting; wait for the coordinator's "
            "answer, or withdraw it first."
        ) from None
    coordinators = list(setting.area.coordinators.all())
    for coordinator in coordinators:
        queue_email(
            coordinator.email,
            "emails/setting_claim",
            {
                "claim": claim,
                "person": user,
                "setting": setting,
                "area": setting.area,
                "reader": coordinator,
            },
        )
    record(user, "setting.claimed", claim, f"{user} asked to be confirmed as leading {setting}")
    return claim


@transaction.atomic
def withdraw_claim(user: User) -> None:
    updated = SettingClaim.objects.filter(user=user, state=SettingClaim.PENDING).update(
        state=SettingClaim.WITHDRAWN, decided_at=timezone.now()
    )
    if not updated:
        raise DirectoryError("You have no request waiting.")
    record(user, "setting.claim_withdrawn", user, f"{user} withdrew their request")


@transaction.atomic
def decide_claim(claim: SettingClaim, by: User, approve: bool) -> None:
    """The area's coordinator approves or declines; the leader is told either way."""
    claim = (
        SettingClaim.objects.select_for_update()
        .select_related("user", "setting", "setting__area")
        .get(pk=claim.pk)
    )
    if not claim.setting.area.coordinators.filter(pk=by.pk).exists():
        raise DirectoryError("Only the area's coordinator can answer this request.")
    if claim.state != SettingClaim.PENDING:
        raise DirectoryError("This request has already been answered.")
    claim.state = SettingClaim.APPROVED if approve else SettingClaim.DECLINED
    claim.decided_by, claim.decided_at = by, timezone.now()
    claim.save(update_fields=["state", "decided_by", "decided_at"])
    if approve:
        link_leader(claim.user, claim.setting, by=by, how="the coordinator's approval")
    queue_email(
        claim.user.email,
        "emails/setting_claim_answer",
        {"person": claim.user, "setting": claim.setting, "approved": approve},
    )
    verb = "approved" if approve else "declined"
    record(
        by,
        f"setting.claim_{verb}",
        claim,
        f"{by} {verb} {possessive(str(claim.user))} request to be confirmed as leading "
        f"{claim.setting}",
    )


@transaction.atomic
def save_profile(user: User, form: Any) -> LeaderProfile:
    """Save the profile form (which never carries the setting: see the module's docstring)."""
    profile: LeaderProfile = form.save()
    record(user, "profile.updated", profile, f"{user} updated their profile")
    return profile


@transaction.atomic
def update_setting(user: User, setting: Setting, form: Any) -> Setting:
    """A confirmed leader edits their own setting's details and closure days."""
    if not LeaderProfile.objects.filter(user=user, setting=setting).exists():
        raise DirectoryError("Only a confirmed leader of this setting can change it.")
    saved: Setting = form.save(commit=False)
    if "postcode" in form.changed_data:
        locations.relocate_one(saved)
    saved.save()
    days: dict[dt.date, str] = dict(form.cleaned_data["closure_days_text"])
    setting.closure_days.all().delete()
    ClosureDay.objects.bulk_create(
        [ClosureDay(setting=saved, date=d, reason=r) for d, r in days.items()]
    )
    record(user, "setting.updated", saved, f"{user} updated {saved}")
    return saved


def pending_claims(area: Area) -> list[SettingClaim]:
    """Requests waiting for the area's coordinator."""
    return list(
        SettingClaim.objects.filter(setting__area=area, state=SettingClaim.PENDING).select_related(
            "user", "setting"
        )
    )


@transaction.atomic
def invite_to_platform(
    area: Area, by: User, email: str, setting: Setting | None = None, name: str = ""
) -> Invitation:
    """A coordinator invites a leader to join and fill in their profile (no cluster yet);
    with ``setting`` (of this area), accepting confirms them as that setting's leader."""
    email = email.strip().lower()
    problem = _invitation_problem(area, email, setting)
    if problem:
        raise DirectoryError(problem)
    invitation, token = Invitation.issue(
        email, invited_by=by, area=area, setting=setting, name=name.strip()[:150]
    )
    queue_email(
        email,
        "emails/platform_invitation",
        {"invitation": invitation, "area": area, "inviter": by, "token": token},
        forget_body=True,
        report_to=by,  # told if it never arrives
    )
    record(
        by,
        "invitation.sent",
        invitation,
        f"{by} invited a leader to {area}" + (f" as a leader of {setting}" if setting else ""),
    )
    return invitation


def _invitation_problem(area: Area, email: str, setting: Setting | None) -> str:
    if setting is not None and (setting.area_id != area.pk or not setting.is_open):
        return f"{setting} is not an open setting of {area}."
    if User.objects.filter(email__iexact=email).exists():
        return f"{email} already has an account."
    if Invitation.objects.unscoped().pending().filter(email=email, cluster=None).exists():
        return f"{email} has already been invited."
    return ""


MAX_BULK_INVITES = 200


@dataclass(frozen=True)
class LeaderToInvite:
    setting: Setting
    email: str
    name: str
    row: int  # the line of the upload (the header is 1), or the setting's place in the list


class BulkInviteError(DirectoryError):
    """Nothing was sent; each problem names its row."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@transaction.atomic
def invite_leaders(area: Area, by: User, leaders: list[LeaderToInvite]) -> list[Invitation]:
    """Invite each setting's leader (from the chosen settings, or an uploaded list), binding
    each invitation to its setting. All or nothing: one bad row and none is sent."""
    if not leaders:
        raise BulkInviteError(["Nobody to invite."])
    if len(leaders) > MAX_BULK_INVITES:
        raise BulkInviteError([f"At most {MAX_BULK_INVITES} leaders at a time."])
    problems: list[str] = []
    seen: dict[str, int] = {}
    for leader in leaders:
        email = leader.email.strip().lower()
        if email in seen:
            problems.append(f"Row {leader.row}: {email} is also on row {seen[email]}")
            continue
        seen[email] = leader.row
        problem = _invitation_problem(area, email, leader.setting)
        if problem:
            problems.append(f"Row {leader.row}: {problem}")
    if problems:
        raise BulkInviteError(problems)
    invitations = [
        invite_to_platform(area, by, leader.email, leader.setting, leader.name)
        for leader in leaders
    ]
    record(by, "invitation.bulk_sent", area, f"{by} invited {len(invitations)} leaders to {area}")
    return invitations


@transaction.atomic
def save_private_details(user: User, setting: Setting, form: Any) -> PrivateSettingDetails:
    """A childminder (published as REDACTED) gives her setting's name and postcode: kept
    apart from the setting, for her cluster only (see PrivateSettingDetails)."""
    if not setting.redacted:
        raise DirectoryError("Only a setting published without its details keeps them apart.")
    if not LeaderProfile.objects.filter(user=user, setting=setting).exists():
        raise DirectoryError("Only a confirmed leader of this setting can change it.")
    details = PrivateSettingDetails.objects.filter(setting=setting).first()
    details = details or PrivateSettingDetails(setting=setting)
    details.name = form.cleaned_data["name"]
    details.postcode = form.cleaned_data["postcode"]
    details.save()
    # No name or postcode in the audit entry: the log is read by administrators.
    record(user, "setting.private_details_saved", setting, f"{user} saved their setting's details")
    return details
