"""What happens to each kind of row that points at a person, when they export or erase.

The export walks every foreign key (and many-to-many field) to the user model that Django
knows of, so a model added later is exported by construction. Erasure cannot be generic in
the same way (deleting a cluster because its creator left would be wrong), so every such
field is classified here, with the reason; ``tests/test_privacy.py`` fails on a field that
is not, so whoever adds a model decides what erasure does to it.
"""

from __future__ import annotations

from enum import StrEnum


class Treatment(StrEnum):
    #: About the person alone (their profile, preferences, sign-in methods): deleted.
    PERSONAL = "personal"
    #: What they wrote inside a cluster: kept for the cluster's record, shown as written by
    #: "a former member", unless they ask for it to go too; then deleted.
    CONTRIBUTION = "contribution"
    #: A pointer kept for the record (who created, decided, chaired); it then points at the
    #: anonymised account, shown as "A former member".
    RECORD = "record"


ERASURE: dict[str, tuple[Treatment, str]] = {
    # core
    "core.OutboundEmail.report_to": (
        Treatment.RECORD,
        "emails they caused for others (invitations); emails to them are purged by address",
    ),
    "core.DigestSent.user": (Treatment.PERSONAL, "which digests they were sent"),
    "core.Preference.user": (Treatment.PERSONAL, "their email choices"),
    "core.Notification.user": (Treatment.PERSONAL, "their notifications"),
    "core.OnceKey.user": (Treatment.PERSONAL, "their one-time form keys"),
    # accounts
    "accounts.Invitation.invited_by": (
        Treatment.RECORD,
        "who invited someone else; invitations to their own address are purged",
    ),
    # directory
    "directory.Area.coordinators": (Treatment.PERSONAL, "the coordinator's role ends"),
    "directory.LeaderProfile.user": (Treatment.PERSONAL, "their profile, phone and strengths"),
    "directory.SettingClaim.user": (Treatment.PERSONAL, "their claims to lead a setting"),
    "directory.SettingClaim.decided_by": (Treatment.RECORD, "who decided someone's claim"),
    "directory.SettingsImport.uploaded_by": (Treatment.RECORD, "who imported an area's list"),
    # clusters
    "clusters.Cluster.created_by": (Treatment.RECORD, "the cluster outlives its creator"),
    "clusters.Membership.user": (
        Treatment.RECORD,
        "they leave every cluster; the membership stays as a former member's",
    ),
    "clusters.RemovalProposal.subject": (Treatment.RECORD, "the cluster's decision"),
    "clusters.RemovalProposal.proposed_by": (Treatment.CONTRIBUTION, "their proposal"),
    "clusters.RemovalVote.voter": (Treatment.CONTRIBUTION, "their vote"),
    "clusters.JoinRequest.user": (Treatment.PERSONAL, "their requests to join"),
    "clusters.JoinRequest.decided_by": (Treatment.RECORD, "who answered someone's request"),
    "clusters.Aim.proposed_by": (Treatment.RECORD, "the cluster's aim outlives who proposed it"),
    # audit
    "audit.AuditEntry.actor": (
        Treatment.RECORD,
        "the audit log keeps who did what, as a former member; names in summaries are replaced",
    ),
    # formation
    "formation.FormationRound.created_by": (Treatment.RECORD, "the round outlives its creator"),
    "formation.Placement.user": (Treatment.PERSONAL, "their place in a proposed grouping"),
    "formation.RoundWish.leader": (Treatment.PERSONAL, "wishes recorded about them"),
    "formation.RoundWish.other": (Treatment.PERSONAL, "wishes naming them"),
    "formation.OptIn.user": (Treatment.PERSONAL, "their answer to a formation round"),
    # meetings
    "meetings.YearPlan.created_by": (Treatment.RECORD, "the plan outlives its maker"),
    "meetings.Meeting.chair": (Treatment.RECORD, "who chaired"),
    "meetings.Meeting.note_taker": (Treatment.RECORD, "who took notes"),
    "meetings.Attendance.member": (Treatment.RECORD, "the register"),
    "meetings.Attendance.deputy": (Treatment.RECORD, "the register"),
    "meetings.AgendaItem.raised_by": (Treatment.CONTRIBUTION, "items they raised"),
    "meetings.Note.author": (Treatment.CONTRIBUTION, "notes they wrote"),
    "meetings.NoteDraft.author": (Treatment.PERSONAL, "notes they were typing, never saved"),
    "meetings.Action.owner": (Treatment.RECORD, "an action of the cluster's, owned by them"),
    "meetings.Action.created_by": (Treatment.CONTRIBUTION, "actions they set"),
    "meetings.ActionUpdate.author": (Treatment.CONTRIBUTION, "progress they reported"),
    "meetings.CalendarFeed.user": (Treatment.PERSONAL, "their calendar address"),
    # reviews
    "reviews.ReviewRequest.requester": (Treatment.CONTRIBUTION, "what they asked feedback on"),
    "reviews.ReviewRequest.audience": (Treatment.RECORD, "who was asked"),
    "reviews.DocumentVersion.uploaded_by": (Treatment.RECORD, "part of their own request"),
    "reviews.Feedback.reviewer": (Treatment.CONTRIBUTION, "feedback they gave"),
    "reviews.Reply.author": (Treatment.CONTRIBUTION, "their replies"),
    "reviews.Exemplar.shared_by": (Treatment.CONTRIBUTION, "documents they shared"),
    "reviews.AccessEntry.user": (Treatment.PERSONAL, "when they opened a document"),
    # support
    "support.Event.created_by": (Treatment.CONTRIBUTION, "events they set up"),
    "support.EventTask.owner": (Treatment.RECORD, "a task of the cluster's event"),
    "support.Participation.updated_by": (Treatment.RECORD, "who last updated the numbers"),
    "support.Funding.shared_by": (Treatment.CONTRIBUTION, "opportunities they shared"),
    "support.Applying.user": (Treatment.PERSONAL, "that they are applying"),
    "support.HelpRequest.requester": (Treatment.CONTRIBUTION, "help they asked for"),
    "support.HelpReply.author": (Treatment.CONTRIBUTION, "help they gave"),
    "support.Experience.user": (Treatment.PERSONAL, "what they have been through"),
    "support.Idea.author": (Treatment.CONTRIBUTION, "ideas they shared"),
    "support.IdeaTrial.user": (Treatment.CONTRIBUTION, "how an idea went for them"),
    "support.ResearchPiece.added_by": (Treatment.CONTRIBUTION, "research they shared"),
    "support.Takeaway.author": (Treatment.CONTRIBUTION, "what they took from research"),
    "support.Success.author": (Treatment.CONTRIBUTION, "successes they recorded"),
    "support.Success.about": (Treatment.CONTRIBUTION, "successes and shout-outs about them"),
    "support.AchievementEmail.user": (Treatment.PERSONAL, "which termly emails they had"),
    "support.NewHead.user": (
        Treatment.PERSONAL,
        "that they told a cluster they are new to headship, their buddying and checklist",
    ),
    "support.Buddy.buddy": (
        Treatment.PERSONAL,
        "being a new head's buddy (leaving the cluster has already ended it)",
    ),
    "support.Buddy.ended_by": (Treatment.RECORD, "who ended a buddying"),
    "support.InductionStep.added_by": (
        Treatment.CONTRIBUTION,
        "first steps they added to the cluster's checklist for new heads",
    ),
    "support.Tick.ticked_by": (Treatment.RECORD, "who ticked a step of a new head's checklist"),
    # impact
    "impact.CheckIn.user": (Treatment.PERSONAL, "their check-in answers"),
    "impact.Outcome.marked_by": (Treatment.RECORD, "who marked a success as an outcome"),
    "impact.AreaSummaryEmail.user": (Treatment.PERSONAL, "which termly summaries they had"),
    # Django and allauth
    "admin.LogEntry.user": (Treatment.PERSONAL, "an administrator's own admin history"),
    "account.EmailAddress.user": (Treatment.PERSONAL, "their email addresses"),
    "mfa.Authenticator.user": (Treatment.PERSONAL, "their authenticator and recovery codes"),
    "usersessions.UserSession.user": (Treatment.PERSONAL, "where they are signed in"),
}

# Fields whose rows are not in the download, with the reason. Everything else that points
# at the person is.
NOT_EXPORTED: dict[str, str] = {
    "core.OnceKey.user": "random keys that stop a form being sent twice; nothing about them",
    "usersessions.UserSession.user": "session keys are credentials; the account page lists "
    "where they are signed in",
    "admin.LogEntry.user": "the administration site's own history of changes to other "
    "records, not about the person",
    "core.OutboundEmail.report_to": "emails to other people (the invitations they sent), "
    "whose bodies can hold the invitee's single-use link; emails to them are exported by "
    "address",
    "reviews.ReviewRequest.audience": "other members' requests they were asked to review: "
    "those members' documents, not theirs (a former member must not take them away); the "
    "feedback they gave is exported",
}

# Columns never written into the download: credentials, or secrets that would let anyone
# holding the file act as the person.
SECRET_COLUMNS = frozenset(
    {
        "accounts.User.password",
        "accounts.Invitation.token_hash",
        "mfa.Authenticator.data",
        "meetings.CalendarFeed.token",
        "usersessions.UserSession.session_key",
        "core.OnceKey.key",
        "core.OutboundEmail.message_id",
    }
)
