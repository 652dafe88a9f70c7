"""Workflows between meetings. Every notice goes through ``notify``: an in-app notification,
and an email straight away, in a digest, or not at all, as each person prefers."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Cluster, Membership, Role
from nextpractice.core.mail import queue_email
from nextpractice.directory.access import get_own_setting
from nextpractice.directory.models import Setting, TopicChoice
from nextpractice.meetings.models import Action, ActionStatus, Meeting, MeetingStatus

from .models import (
    DEFAULT_MODE,
    AchievementEmail,
    Applying,
    Event,
    EventKind,
    Experience,
    Funding,
    HelpReply,
    HelpRequest,
    Idea,
    IdeaTrial,
    Kind,
    Mode,
    Notification,
    Participation,
    Preference,
    Success,
    Urgency,
    term_key,
)


class SupportError(Exception):
    """A step that cannot happen; the message is shown to the person."""


# --- Notifications -------------------------------------------------------------------------


def modes_for(users: Iterable[User], kind: str) -> dict[int, str]:
    users = list(users)
    chosen = dict(
        Preference.objects.filter(user__in=users, kind=kind).values_list("user_id", "mode")
    )
    return {u.pk: chosen.get(u.pk, DEFAULT_MODE[Kind(kind)]) for u in users}


def notify(
    users: Iterable[User],
    cluster: Cluster,
    kind: str,
    text: str,
    link: str,
    *,
    urgent: bool = False,
    email: tuple[str, dict[str, Any]] | None = None,
) -> None:
    """In-app notices for ``users``; email as each prefers. Urgent ones are emailed at once
    whatever the preference: a colleague in a crisis cannot be silenced."""
    users = [u for u in users if u.is_active]
    modes = modes_for(users, kind)
    for user in users:
        mode = Mode.IMMEDIATE if urgent else modes[user.pk]
        notice = Notification.objects.create(
            user=user,
            cluster=cluster,
            kind=kind,
            text=text[:300],
            link=link,
            urgent=urgent,
            digest=mode if mode in (Mode.DAILY, Mode.WEEKLY) else "",
        )
        if mode == Mode.IMMEDIATE and email is not None:
            template, context = email
            queue_email(
                user.email,
                template,
                {**context, "person": user, "cluster": cluster, "notice": notice},
            )
            notice.emailed_at = timezone.now()
            notice.save(update_fields=["emailed_at"])


def members_of(cluster: Cluster, *, facilitator: bool = True) -> list[User]:
    return [
        m.user
        for m in cluster.memberships.filter(left_at=None).select_related("user")
        if m.has_agreed and (facilitator or m.role == Role.MEMBER)
    ]


def send_digests(now: dt.datetime | None = None) -> int:
    """Daily digests from 7am, weekly ones on Mondays from 7am; each notice goes once."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < 7:
        return 0
    due = [Mode.DAILY] + ([Mode.WEEKLY] if local.weekday() == 0 else [])
    sent = 0
    pending = Notification.objects.filter(digest__in=due, emailed_at=None, created_at__lt=now)
    by_user: dict[int, list[int]] = defaultdict(list)
    for user_id, pk in pending.values_list("user_id", "pk"):
        by_user[user_id].append(pk)
    for user_id, pks in by_user.items():
        with transaction.atomic():
            # Claimed: only the worker whose update takes them sends the digest.
            claimed = Notification.objects.filter(pk__in=pks, emailed_at=None).update(
                emailed_at=now
            )
            if not claimed:
                continue
            user = User.objects.get(pk=user_id)
            notices = list(
                Notification.objects.filter(pk__in=pks)
                .select_related("cluster")
                .order_by("created_at")
            )
            queue_email(user.email, "emails/digest", {"person": user, "notices": notices})
            sent += 1
    return sent


def tell_cluster(
    cluster: Cluster, by: User, kind: str, text: str, what: str, title: str, link: str
) -> None:
    """Tell the rest of the cluster that a member shared something (research, an event,
    a funding opportunity)."""
    notify(
        [u for u in members_of(cluster) if u.pk != by.pk],
        cluster,
        kind,
        text,
        link,
        email=("emails/shared", {"what": what, "title": title, "by": by, "link": link}),
    )


# --- The safety net -----------------------------------------------------------------------


@transaction.atomic
def ask_for_help(
    cluster: Cluster,
    by: User,
    title: str,
    what_happened: str,
    topics: Sequence[Any],
    urgency: str,
    to_facilitator: bool = False,
) -> HelpRequest:
    if urgency not in Urgency.values:
        raise SupportError("Say how urgent it is.")
    request = HelpRequest.objects.create(
        cluster=cluster,
        requester=by,
        title=title,
        what_happened=what_happened,
        urgency=urgency,
        to_facilitator=to_facilitator,
    )
    request.topics.set(topics)
    people = [
        u
        for u in members_of(cluster)
        if u.pk != by.pk and (to_facilitator or not _is_facilitator(cluster, u))
    ]
    link = reverse("help_detail", args=[request.pk])
    notify(
        people,
        cluster,
        Kind.HELP,
        f"{by} needs help: {title}",
        link,
        urgent=urgency == Urgency.URGENT,
        email=("emails/help_request", {"help": request, "by": by}),
    )
    record(by, "help.asked", request, f"{by} asked for help", cluster)
    return request


def _is_facilitator(cluster: Cluster, user: User) -> bool:
    return Membership.objects.filter(
        cluster=cluster, user=user, left_at=None, role=Role.FACILITATOR
    ).exists()


def who_could_help(request: HelpRequest) -> list[dict[str, Any]]:
    """Members best placed to help, with why: a strength in the topic, answers to similar
    requests before, or having been through the same. Never the requester."""
    topic_ids = set(request.topics.values_list("pk", flat=True))
    people = {
        m.user_id: m
        for m in request.cluster.memberships.filter(left_at=None)
        .select_related("user__profile")
        .exclude(user=request.requester)
        if m.has_agreed and (request.to_facilitator or m.role == Role.MEMBER)
    }
    reasons: dict[int, list[str]] = defaultdict(list)
    for user_id, topic in TopicChoice.objects.filter(
        profile__user_id__in=people, topic_id__in=topic_ids, kind=TopicChoice.STRENGTH
    ).values_list("profile__user_id", "topic__name"):
        reasons[user_id].append(f"strong in {topic}")
    answered = (
        HelpReply.objects.filter(
            author_id__in=people,
            request__cluster=request.cluster,
            request__topics__in=topic_ids,
        )
        .exclude(request=request)
        .values_list("author_id", flat=True)
        .distinct()
    )
    for user_id in answered:
        reasons[user_id].append("has answered requests like this")
    for user_id, topic, when in Experience.objects.filter(
        user_id__in=people, topic_id__in=topic_ids
    ).values_list("user_id", "topic__name", "when"):
        reasons[user_id].append(
            f"has been through {topic.lower()}" + (f" ({when:%B %Y})" if when else "")
        )
    ranked = sorted(reasons.items(), key=lambda kv: (-len(kv[1]), people[kv[0]].user.full_name))
    result = []
    for user_id, why in ranked:
        user = people[user_id].user
        profile = getattr(user, "profile", None)
        result.append({"user": user, "why": why, "phone": profile.phone if profile else ""})
    return result


@transaction.atomic
def answer_help(request: HelpRequest, by: User, text: str, *, calling: bool = False) -> HelpReply:
    if not request.is_open:
        raise SupportError("This request is resolved.")
    if by.pk == request.requester_id and calling:
        raise SupportError("You cannot call yourself.")
    if not calling and not text.strip():
        raise SupportError("Write your answer first.")
    reply = HelpReply.objects.create(
        request=request,
        author=by,
        kind=HelpReply.CALLING if calling else HelpReply.REPLY,
        text=text.strip(),
    )
    if by.pk != request.requester_id:
        HelpRequest.objects.filter(pk=request.pk, first_answer_at=None).update(
            first_answer_at=reply.created_at
        )
        words = f"{by} is calling you now" if calling else f"{by} answered your request"
        notify(
            [request.requester],
            request.cluster,
            Kind.HELP_REPLY,
            f"{words}: {request.title}",
            reverse("help_detail", args=[request.pk]),
            urgent=calling,
            email=("emails/help_answer", {"help": request, "by": by, "reply": reply}),
        )
    return reply


@transaction.atomic
def resolve_help(request: HelpRequest, by: User, what_helped: str) -> None:
    if by.pk != request.requester_id:
        raise SupportError("Only the person who asked marks it resolved.")
    if not what_helped.strip():
        raise SupportError("Write what helped: it is how the cluster learns.")
    request.resolved_at = timezone.now()
    request.what_helped = what_helped.strip()
    request.save(update_fields=["resolved_at", "what_helped"])
    record(by, "help.resolved", request, f"{by} marked a help request resolved", request.cluster)


def help_figures(cluster: Cluster) -> dict[str, Any]:
    """How many requests, and the median time to a first answer (for answered ones)."""
    rows = list(
        HelpRequest.objects.filter(cluster=cluster).values_list("created_at", "first_answer_at")
    )
    waits = [(a - c).total_seconds() / 60 for c, a in rows if a is not None]
    return {
        "count": len(rows),
        "answered": len(waits),
        "median_minutes": round(statistics.median(waits)) if waits else None,
    }


def urgent_for(user: User) -> list[HelpRequest]:
    """Urgent requests in the person's clusters with no answer yet (the home page banner)."""
    cluster_ids = Membership.objects.filter(user=user, left_at=None).values("cluster_id")
    return list(
        HelpRequest.objects.filter(
            cluster_id__in=cluster_ids,
            urgency=Urgency.URGENT,
            resolved_at=None,
            first_answer_at=None,
        )
        .exclude(requester=user)
        .select_related("requester", "cluster")
    )


# --- Successes ----------------------------------------------------------------------------


@transaction.atomic
def record_success(cluster: Cluster, by: User, about: User, text: str, **links: Any) -> Success:
    if not text.strip():
        raise SupportError("Write what happened.")
    success = Success.objects.create(
        cluster=cluster, author=by, about=about, text=text.strip(), **links
    )
    if about.pk != by.pk:
        notify(
            [about],
            cluster,
            Kind.SUCCESS,
            f"{by} gave you a shout-out",
            reverse("achievements"),
            email=("emails/shout_out", {"by": by, "success": success}),
        )
    return success


def successes_since_last_meeting(meeting: Meeting) -> list[Success]:
    """For the agenda's standing item: successes recorded since the previous meeting."""
    previous = (
        Meeting.objects.filter(
            cluster_id=meeting.cluster_id,
            status=MeetingStatus.SCHEDULED,
            starts_at__lt=meeting.starts_at,
        )
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    found = Success.objects.filter(cluster_id=meeting.cluster_id, created_at__lt=meeting.starts_at)
    if previous is not None:
        found = found.filter(created_at__gte=previous)
    return list(found.select_related("author", "about")[:50])


def achievements(user: User, since: dt.date) -> dict[str, Any]:
    """What the person has achieved since a date: their successes, shout-outs received,
    actions completed, and strengths colleagues named in feedback. No counts compared."""
    from nextpractice.reviews.models import FocusAnswer

    start = timezone.make_aware(dt.datetime.combine(since, dt.time()))
    successes = list(
        Success.objects.filter(about=user, created_at__gte=start).select_related(
            "author", "cluster"
        )
    )
    return {
        "own": [s for s in successes if not s.is_shout_out],
        "shout_outs": [s for s in successes if s.is_shout_out],
        "actions": list(
            Action.objects.filter(owner=user, status=ActionStatus.DONE, closed_at__gte=start)
            .select_related("cluster")
            .order_by("-closed_at")
        ),
        "strengths": list(
            FocusAnswer.objects.filter(
                feedback__request__requester=user,
                feedback__submitted_at__gte=start,
            )
            .exclude(strengths="")
            .select_related("feedback__reviewer", "focus", "feedback__request")
            .order_by("-feedback__submitted_at")
        ),
    }


def term_start(day: dt.date) -> dt.date:
    key = term_key(day).split("-")[1]
    year = day.year
    if key == "autumn":
        return dt.date(year, 9, 1)
    if key == "spring":
        return dt.date(year, 1, 1)
    return dt.date(year, 4, 1)


def send_termly_achievements(now: dt.datetime | None = None) -> int:
    """In the last week of each term (December, March, July), each leader's "What you've
    achieved" email, once per term."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last_weeks = {12: 14, 3: 22, 7: 14}  # the day of the month from which it goes
    if today.month not in last_weeks or today.day < last_weeks[today.month]:
        return 0
    term = term_key(today)
    since = term_start(today)
    sent = 0
    leaders = User.objects.filter(
        memberships__left_at=None, memberships__role=Role.MEMBER, is_active=True
    ).distinct()
    for user in leaders.exclude(
        pk__in=AchievementEmail.objects.filter(term=term).values("user_id")
    ):
        with transaction.atomic():
            _, made = AchievementEmail.objects.get_or_create(user=user, term=term)
            if not made:
                continue
            found = achievements(user, since)
            queue_email(
                user.email, "emails/achievements", {"person": user, "since": since, **found}
            )
            sent += 1
    return sent


# --- Events and training -----------------------------------------------------------------


@transaction.atomic
def set_numbers(
    event: Event, setting: Setting, by: User, children: int, adults: int
) -> Participation:
    if event.kind == EventKind.TRAINING:
        raise SupportError("For a training day, book places instead.")
    part, _ = Participation.objects.update_or_create(
        event=event,
        setting=setting,
        defaults={
            "children": children,
            "adults": adults,
            "updated_by": by,
            "updated_at": timezone.now(),
        },
    )
    return part


@transaction.atomic
def book_places(event: Event, setting: Setting, by: User, wanted: int) -> Participation:
    """Book places on a training day; beyond its capacity the rest wait for a place."""
    if event.kind != EventKind.TRAINING:
        raise SupportError("Only training days take bookings.")
    Event.objects.select_for_update().filter(pk=event.pk).first()
    others = sum(
        Participation.objects.filter(event=event)
        .exclude(setting=setting)
        .values_list("places", flat=True)
    )
    free = max(0, (event.capacity or 0) - others) if event.capacity else wanted
    places = min(wanted, free)
    part, _ = Participation.objects.update_or_create(
        event=event,
        setting=setting,
        defaults={
            "places": places,
            "waiting": wanted - places,
            "updated_by": by,
            "updated_at": timezone.now(),
        },
    )
    _promote_waiting(event)
    part.refresh_from_db()
    return part


def _promote_waiting(event: Event) -> None:
    """Freed places go to those waiting, first come first served."""
    if not event.capacity:
        return
    parts = list(Participation.objects.filter(event=event).order_by("updated_at", "pk"))
    free = event.capacity - sum(p.places for p in parts)
    for p in parts:
        if free <= 0:
            break
        if p.waiting:
            move = min(free, p.waiting)
            p.places += move
            p.waiting -= move
            free -= move
            p.save(update_fields=["places", "waiting"])


# --- Ideas and funding -------------------------------------------------------------------


def try_idea(idea: Idea, by: User, result: str, note: str = "") -> IdeaTrial:
    if idea.author_id == by.pk:
        raise SupportError("This is your own idea: others try it.")
    trial, _ = IdeaTrial.objects.update_or_create(
        idea=idea,
        user=by,
        defaults={
            "result": result,
            "note": note,
            "setting": get_own_setting(by),
            "updated_at": timezone.now(),
        },
    )
    return trial


def funding_reminders(now: dt.datetime | None = None) -> int:
    """Two weeks and three days before a deadline, every member is reminded (once each)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    for stamp, days in (("reminded_14_at", 14), ("reminded_3_at", 3)):
        due = Funding.objects.filter(
            **{stamp: None}, deadline__gte=today, deadline__lte=today + dt.timedelta(days=days)
        ).select_related("cluster")
        for funding in due:
            with transaction.atomic():
                if not Funding.objects.filter(pk=funding.pk, **{stamp: None}).update(
                    **{stamp: now}
                ):
                    continue
                notify(
                    members_of(funding.cluster),
                    funding.cluster,
                    Kind.FUNDING,
                    f"{funding.funder}: deadline {funding.deadline:%-d %B}",
                    reverse("funding_list", args=[funding.cluster_id]),
                    email=("emails/funding_reminder", {"funding": funding, "days": days}),
                )
                sent += 1
    return sent


def applying(funding: Funding, by: User, on: bool, review: Any = None) -> None:
    """Mark (or unmark) that the member is applying; a draft bid shared for feedback can be
    attached."""
    if on:
        entry, _ = Applying.objects.get_or_create(funding=funding, user=by)
        if review is not None:
            entry.review = review
            entry.save(update_fields=["review"])
    else:
        Applying.objects.filter(funding=funding, user=by).delete()


def success_links(cluster: Cluster, user: User) -> dict[str, tuple[str, dict[str, Any]]]:
    """What a success can point to: the person's completed actions, their review requests,
    and the cluster's events."""
    from nextpractice.reviews.models import ReviewRequest

    links: dict[str, tuple[str, dict[str, Any]]] = {}
    for action in Action.objects.filter(cluster=cluster, owner=user, status=ActionStatus.DONE)[:20]:
        links[f"action-{action.pk}"] = (f"Action done: {action.title}", {"action": action})
    for review in ReviewRequest.objects.filter(cluster=cluster, requester=user)[:20]:
        links[f"review-{review.pk}"] = (f"Feedback on: {review.title}", {"review": review})
    for event in Event.objects.filter(cluster=cluster).order_by("-starts_at")[:20]:
        links[f"event-{event.pk}"] = (f"Event: {event.title}", {"event": event})
    return links


def search(cluster: Cluster, user: User, q: str) -> list[dict[str, Any]]:
    """One box across the cluster's help requests, ideas, research, events, meeting notes
    and the reviews this person may see. PostgreSQL full-text search where it runs, a
    case-insensitive match on SQLite."""
    from django.db import connection

    from nextpractice.meetings.models import AgendaItem, Note
    from nextpractice.reviews.models import ReviewRequest

    from .models import ResearchPiece

    q = q.strip()
    if len(q) < 2:
        return []
    sources: list[tuple[str, Any, list[str], Any]] = [
        (
            "Help request",
            HelpRequest.objects.filter(cluster=cluster),
            ["title", "what_happened", "what_helped"],
            lambda o: reverse("help_detail", args=[o.pk]),
        ),
        (
            "Idea",
            Idea.objects.filter(cluster=cluster),
            ["title", "what_we_did", "what_happened"],
            lambda o: reverse("idea_detail", args=[o.pk]),
        ),
        (
            "Research",
            ResearchPiece.objects.filter(cluster=cluster),
            ["title", "summary", "questions"],
            lambda o: reverse("research_detail", args=[o.pk]),
        ),
        (
            "Event",
            Event.objects.filter(cluster=cluster),
            ["title", "aim"],
            lambda o: reverse("event_detail", args=[o.pk]),
        ),
        (
            "Agenda item",
            AgendaItem.objects.filter(meeting__cluster=cluster),
            ["title", "detail"],
            lambda o: reverse("meeting_detail", args=[o.meeting_id]),
        ),
        (
            "Meeting note",
            Note.objects.filter(meeting__cluster=cluster),
            ["text"],
            lambda o: reverse("meeting_detail", args=[o.meeting_id]),
        ),
        (
            "Review",
            ReviewRequest.objects.in_cluster(user, cluster.pk),
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
