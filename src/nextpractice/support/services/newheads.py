"""Support for a new head: saying one is new to headship (and, later, no longer new), a
buddy who volunteers (never assigned: members are equals), and the induction checklist.

Every write locks the new head's row, validates, saves, records to the audit log and
notifies in one transaction. What is shown to the whole cluster (that she is new, who her
buddy is) is audited with the cluster; her checklist, which only she and her buddy see, is
audited without it, so the cluster's activity page does not show it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Cluster, Membership, Role
from nextpractice.core.forms import is_id
from nextpractice.core.words import possessive
from nextpractice.directory.models import ClosureDay, LeaderProfile
from nextpractice.meetings import planner
from nextpractice.meetings.models import AgendaItem, Attendance
from nextpractice.reviews.models import Feedback, ReviewKind, ReviewRequest

from .. import induction
from ..models import Buddy, InductionStep, Kind, NewHead, Tick
from .errors import SupportError
from .notifications import members_of, notify


def _is_member(cluster: Cluster, user: Any) -> bool:
    """A member proper who may read the cluster now (the facilitator is not a head there)."""
    return (
        Membership.objects.unscoped()
        .agreed()
        .members()
        .filter(cluster=cluster, user=user.pk)
        .exists()
    )


def _locked(new_head: NewHead) -> NewHead:
    """The row, locked: two clicks, or two members at once, are taken one after the other."""
    return (
        NewHead.objects.unscoped()  # reached through the caller's access object
        .select_for_update()
        .select_related("cluster", "user")
        .get(pk=new_head.pk)
    )


def current_buddy(new_head: NewHead) -> Buddy | None:
    return (
        Buddy.objects.unscoped()  # the new head's own pairing, reached through her row
        .current()
        .filter(new_head=new_head)
        .select_related("buddy", "buddy__profile")
        .first()
    )


# --- New to headship ---------------------------------------------------------------------


@transaction.atomic
def say_new(cluster: Cluster, user: User, *, new: bool) -> bool:
    """She tells the cluster she is new to headship (``new``), or that she no longer is.
    Saying what is already so changes nothing and records nothing: False."""
    if not _is_member(cluster, user):
        raise SupportError("Only a member of the cluster can say they are new to headship.")
    created = False
    found = NewHead.objects.unscoped().filter(cluster=cluster, user=user).first()  # her own
    if found is None:
        if not new:
            # "Not new" from someone who never said she was (the welcome's question
            # answered): kept so she is not asked again; nothing to tell or record.
            NewHead.objects.unscoped().get_or_create(
                cluster=cluster, user=user, defaults={"ended_at": timezone.now()}
            )
            return False
        try:
            with transaction.atomic():
                found = NewHead.objects.create(cluster=cluster, user=user)
                created = True
        except IntegrityError:  # the same click twice at once: the other made the row
            found = NewHead.objects.unscoped().get(cluster=cluster, user=user)
    row = _locked(found)
    if not created and row.is_current == new:
        return False
    if not new:
        row.ended_at = timezone.now()
        row.save(update_fields=["ended_at"])
        _end_pairing(row, by=user, why="no_longer_new")
        record(user, "new_head.ended", row, f"{user} is no longer new to headship", cluster)
        return True
    row.ended_at = None
    row.since = timezone.now()
    row.save(update_fields=["ended_at", "since"])
    link = reverse("new_heads", args=[cluster.pk])
    notify(
        [u for u in members_of(cluster, facilitator=False) if u.pk != user.pk],
        cluster,
        Kind.NEW_HEAD,
        f"{user} is new to headship: would you be {possessive(user.get_short_name())} buddy?",
        link,
        email=("emails/new_head", {"new_head": user, "link": link}),
    )
    record(user, "new_head.said", row, f"{user} is new to headship", cluster)
    return True


# --- A buddy -----------------------------------------------------------------------------


@transaction.atomic
def volunteer(new_head: NewHead, by: User) -> Buddy:
    """``by`` offers to be her buddy. One buddy at a time: a second click by the same
    person is the same buddy (nothing sent twice); anyone else is told she has one."""
    row = _locked(new_head)
    if by.pk == row.user_id:
        raise SupportError("A buddy is someone else: a colleague will offer.")
    if not row.is_current:
        raise SupportError(f"{row.user} is no longer new to headship.")
    if not _is_member(row.cluster, by):
        raise SupportError("A buddy is a fellow member of the cluster.")
    existing = current_buddy(row)
    if existing is not None:
        if existing.buddy_id == by.pk:
            return existing
        raise SupportError(f"{row.user} already has a buddy: {existing.buddy}.")
    try:
        with transaction.atomic():
            pairing = Buddy.objects.create(new_head=row, buddy=by)
    except IntegrityError:  # pragma: no cover - the lock above serialises volunteers
        raise SupportError(f"{row.user} already has a buddy.") from None
    link = reverse("new_head_detail", args=[row.pk])
    head: Any = row.user
    notify(
        [head],
        row.cluster,
        Kind.BUDDY,
        f"{by} will be your buddy",
        link,
        email=("emails/buddy_found", {"buddy": by, "new_head": head, "link": link}),
    )
    notify(
        [by],
        row.cluster,
        Kind.BUDDY,
        f"You are {possessive(head.get_short_name())} buddy",
        link,
        email=("emails/buddy_welcome", {"buddy": by, "new_head": head, "link": link}),
    )
    record(by, "buddy.started", pairing, f"{by} is {possessive(str(head))} buddy", row.cluster)
    return pairing


@transaction.atomic
def end_buddy(new_head: NewHead, by: User) -> bool:
    """Either of the two ends it, without giving a reason. False: it had already ended."""
    row = _locked(new_head)
    pairing = current_buddy(row)
    if pairing is None:
        return False
    if by.pk not in {row.user_id, pairing.buddy_id}:
        raise SupportError("Only the new head or their buddy can end it.")
    _end_pairing(row, by=by, why="ended")
    return True


def _end_pairing(row: NewHead, *, by: User | None, why: str, leaver: int | None = None) -> None:
    """End her current pairing, if any; tell whichever of the two did not end it (or did
    not leave the cluster: ``leaver``)."""
    pairing = current_buddy(row)
    if pairing is None:
        return
    pairing.ended_at = timezone.now()
    pairing.ended_by = by
    pairing.save(update_fields=["ended_at", "ended_by"])
    head: Any = row.user
    buddy: Any = pairing.buddy
    if why == "left":
        other = buddy if leaver == head.pk else head
    else:
        other = buddy if by is not None and by.pk == head.pk else head
    if why == "left":
        text = (
            f"{buddy} has left the cluster, so is no longer your buddy"
            if other.pk == head.pk
            else f"{head} has left the cluster, so you are no longer their buddy"
        )
    elif why == "no_longer_new":
        text = f"{head} is no longer new to headship: thank you for being their buddy"
    elif other.pk == head.pk:
        text = f"{buddy} is no longer your buddy"
    else:
        text = f"{head} ended your buddying: thank you for it"
    notify(
        [other],
        row.cluster,
        Kind.BUDDY,
        text,
        reverse("new_heads", args=[row.cluster_id]),
        email=("emails/buddy_ended", {"text": text, "new_head": head, "buddy": buddy}),
    )
    record(
        by,
        "buddy.ended",
        pairing,
        f"{buddy} is no longer {possessive(str(head))} buddy",
        row.cluster,
    )


def membership_ended(membership: Membership) -> None:
    """Leaving (or being removed from) a cluster ends being new there and any buddying in
    it, at once: a former member is nobody's buddy, and nobody buddies a former member
    (``settings.MEMBERSHIP_ENDED``, called by ``clusters.services`` in its transaction)."""
    rows = (
        NewHead.objects.unscoped()  # the leaver's own rows and the pairings they are in
        .select_for_update()
        .filter(cluster_id=membership.cluster_id)
        .filter(
            Q(user=membership.user_id)
            | Exists(
                Buddy.objects.unscoped()
                .current()
                .filter(new_head=OuterRef("pk"), buddy=membership.user_id)
            )
        )
        .select_related("cluster", "user")
    )
    for row in rows:
        _end_pairing(row, by=None, why="left", leaver=membership.user_id)
        if row.user_id == membership.user_id and row.is_current:
            row.ended_at = timezone.now()
            row.save(update_fields=["ended_at"])


# --- Who is new, for the cluster's pages ------------------------------------------------


#: A member who joined this recently, and has not said whether she is new to headship, is
#: asked on the cluster's page (her welcome); after that the question is a link.
WELCOME_DAYS = 90


@dataclass(frozen=True)
class HeadRow:
    """A colleague new to headship as one viewer sees her: the template asks these, never
    compares ids itself."""

    new_head: NewHead
    buddy: Buddy | None
    is_me: bool
    i_am_buddy: bool
    may_offer: bool

    @property
    def may_see_checklist(self) -> bool:
        return self.is_me or self.i_am_buddy


@dataclass(frozen=True)
class Panel:
    """What the cluster's page says about new heads: each with her buddy, if any, and
    whether the viewer may offer; the viewer's own row; whether to ask her (``welcome``)."""

    heads: list[HeadRow]
    mine: NewHead | None
    may_say_new: bool
    welcome: bool = False


def new_heads_in(cluster: Cluster, user: User) -> Panel:
    """Current new heads of the cluster with their buddies (three queries)."""
    rows = list(
        NewHead.objects.in_cluster(user, cluster.pk)
        .select_related("user", "user__profile")
        .prefetch_related(
            Prefetch(
                "buddies",
                queryset=Buddy.objects.visible_to(user).current().select_related("buddy"),
                to_attr="current_buddies",
            )
        )
    )
    joined = (
        Membership.objects.of(user)
        .agreed()
        .filter(cluster=cluster, role=Role.MEMBER)
        .values_list("joined_at", flat=True)
        .first()
    )
    is_member = joined is not None
    heads = []
    for row in rows:
        if not row.is_current:
            continue
        buddy = row.current_buddies[0] if row.current_buddies else None  # type: ignore[attr-defined]
        is_me = row.user_id == user.pk
        heads.append(
            HeadRow(
                row,
                buddy,
                is_me=is_me,
                i_am_buddy=buddy is not None and buddy.buddy_id == user.pk,
                may_offer=is_member and buddy is None and not is_me,
            )
        )
    mine = next((r for r in rows if r.user_id == user.pk), None)
    welcome = (
        joined is not None
        and mine is None
        and joined >= timezone.now() - dt.timedelta(days=WELCOME_DAYS)
    )
    return Panel(heads, mine, is_member, welcome)


def in_my_clusters(user: User) -> list[tuple[Cluster, NewHead | None]]:
    """Each cluster the person is an agreed member of, with whether she told it she is new
    to headship (two queries), for her own account page."""
    memberships = list(
        Membership.objects.of(user).agreed().members().select_related("cluster").order_by("pk")
    )
    rows = {
        row.cluster_id: row
        for row in NewHead.objects.visible_to(user).filter(user=user, ended_at=None)
    }
    return [(m.cluster, rows.get(m.cluster_id)) for m in memberships]


def panel(cluster: Cluster, user: Any) -> Panel:
    """``settings.CLUSTER_PANELS``: the new heads of the cluster, for its page."""
    return new_heads_in(cluster, user)


# --- The induction checklist --------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One line of her checklist: ``done`` from real data (``auto``) or a tick."""

    key: str  # a standard key, or "own-<id>" for the cluster's own
    text: str
    done: bool
    auto: bool
    link: str = ""
    own: InductionStep | None = None


def _done_automatically(row: NewHead) -> set[str]:
    """The standard steps her own data shows as done. Facts about her in this cluster,
    read for her checklist (which she and her buddy see as ticks, never the content): one
    query, whatever the size of the cluster or the network."""
    head, cluster = OuterRef("user"), OuterRef("cluster")
    year = planner.academic_year(planner.academic_year_of(timezone.localdate()))
    facts = {
        "ground_rules": Membership.objects.unscoped().agreed().filter(cluster=cluster, user=head),
        "profile": LeaderProfile.objects.filter(user=head, completed_at__isnull=False),
        "inset": ClosureDay.objects.filter(setting__leaders__user=head, date__gte=year.start),
        "answer": Attendance.objects.unscoped()
        .filter(meeting__cluster=cluster, member=head)
        .exclude(response=""),
        "agenda": AgendaItem.objects.unscoped().filter(meeting__cluster=cluster, raised_by=head),
        "feedback": ReviewRequest.objects.unscoped()
        .filter(cluster=cluster, requester=head)
        .exclude(kind=ReviewKind.WALK),
        "walk_host": ReviewRequest.objects.unscoped().filter(
            cluster=cluster, kind=ReviewKind.WALK, requester=head
        ),
        "walk_visit": Feedback.objects.unscoped().filter(
            request__cluster=cluster,
            request__kind=ReviewKind.WALK,
            reviewer=head,
            submitted_at__isnull=False,
        ),
    }
    found = (
        NewHead.objects.unscoped()  # her row, reached through the caller's access object
        .filter(pk=row.pk)
        .values(**{key: Exists(query) for key, query in facts.items()})
        .first()
    ) or {}
    done = {key for key, value in found.items() if value}
    if done & {"walk_host", "walk_visit"}:
        done.add("walk")
    return done


def checklist(row: NewHead, user: User) -> list[Step]:
    """Her checklist: the standard steps, then the cluster's own, each done or not."""
    auto = _done_automatically(row)
    ticks = list(Tick.objects.visible_to(user).filter(new_head=row))
    by_hand = {t.standard for t in ticks if t.standard}
    own_ticked = {t.step_id for t in ticks if t.step_id}
    steps = []
    for standard in induction.STANDARD:
        link = ""
        if standard.where:
            link = reverse(standard.where, args=[row.cluster_id] if standard.per_cluster else [])
        steps.append(
            Step(
                standard.key,
                standard.text,
                standard.key in auto if standard.auto else standard.key in by_hand,
                standard.auto,
                link,
            )
        )
    for own in InductionStep.objects.in_cluster(user, row.cluster_id):
        steps.append(Step(f"own-{own.pk}", own.text, own.pk in own_ticked, False, "", own))
    return steps


@transaction.atomic
def tick(row: NewHead, by: User, key: str, *, done: bool) -> bool:
    """Tick (or untick) a step by hand: the new head or her buddy. False: already so."""
    row = _locked(row)
    buddy = current_buddy(row)
    if by.pk != row.user_id and (buddy is None or buddy.buddy_id != by.pk):
        raise SupportError("Only the new head and their buddy tick the checklist.")
    if not row.is_current:
        raise SupportError(f"{row.user} is no longer new to headship.")
    where: dict[str, Any]
    if key.startswith("own-") and is_id(key[4:]):
        own = (
            InductionStep.objects.unscoped().filter(cluster=row.cluster_id, pk=int(key[4:])).first()
        )
        if own is None:
            raise SupportError("That step is no longer on the checklist.")
        where, text = {"step": own}, own.text
    elif induction.by_hand(key):
        where, text = {"standard": key}, induction.BY_KEY[key].text
    else:
        raise SupportError("That step ticks itself when it is done.")
    existing = Tick.objects.unscoped().filter(new_head=row, **where)
    if done == existing.exists():
        return False
    if done:
        Tick.objects.create(new_head=row, ticked_by=by, **where)
    else:
        existing.delete()
    # Without the cluster: her checklist is hers and her buddy's, not the cluster's news.
    record(
        by,
        "induction.ticked" if done else "induction.unticked",
        row,
        f"{'Ticked' if done else 'Unticked'} \u201c{text[:100]}\u201d",
    )
    return True


@transaction.atomic
def add_step(cluster: Cluster, by: User, text: str) -> InductionStep:
    text = " ".join(text.split())
    if not text:
        raise SupportError("Write the step.")
    Cluster.objects.select_for_update().filter(pk=cluster.pk).first()
    if InductionStep.objects.unscoped().filter(cluster=cluster).count() >= induction.MAX_OWN_STEPS:
        raise SupportError(
            f"A checklist is short: the cluster has {induction.MAX_OWN_STEPS} steps of its "
            "own already. Remove one first."
        )
    if InductionStep.objects.unscoped().filter(cluster=cluster, text__iexact=text).exists():
        raise SupportError("That step is on the checklist already.")
    step = InductionStep.objects.create(cluster=cluster, text=text, added_by=by)
    record(by, "induction.step_added", step, f"{by} added a first step for new heads", cluster)
    return step


@transaction.atomic
def remove_step(step: InductionStep, by: User) -> None:
    record(
        by, "induction.step_removed", step, f"{by} removed a first step for new heads", step.cluster
    )
    step.delete()
