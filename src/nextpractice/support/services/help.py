"""The safety net: asking for help, answering, resolving, and who could help best."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Cluster, Membership, Role
from nextpractice.directory.models import LeaderProfile, Topic, TopicChoice

from ..models import Experience, HelpReply, HelpRequest, Kind, Urgency
from .errors import SupportError, create_once
from .notifications import members_of, notify


def _log_cluster(request: HelpRequest) -> Any:
    """Where a help request's audit entries go. The cluster's activity page is read by its
    facilitator too, so a request not addressed to them is logged against no cluster (as a
    review with a chosen audience is): who is in difficulty, and who helps, stays with the
    people asked."""
    return request.cluster if request.to_facilitator else None


@transaction.atomic
def ask_for_help(
    cluster: Cluster,
    by: User,
    title: str,
    what_happened: str,
    topics: Sequence[Any],
    urgency: str,
    to_facilitator: bool = False,
    *,
    once_key: str = "",
) -> HelpRequest:
    """Ask the cluster (and the facilitator, when asked) for help; urgent requests email
    at once. ``once_key``: the form's one-time key, so a double submission asks once."""
    if urgency not in Urgency.values:
        raise SupportError("Say how urgent it is.")

    def create() -> HelpRequest:
        request = HelpRequest.objects.create(
            cluster=cluster,
            requester=by,
            title=title,
            what_happened=what_happened,
            urgency=urgency,
            to_facilitator=to_facilitator,
        )
        request.topics.set(topics)
        people = [u for u in _audience(request) if u.pk != by.pk]
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
        record(by, "help.asked", request, f"{by} asked for help", _log_cluster(request))
        return request

    return create_once(by, once_key, HelpRequest, create, cluster_id=cluster.pk)


def _audience(request: HelpRequest) -> list[User]:
    """Who a request reaches: the agreed members, and the facilitator only when asked."""
    return members_of(request.cluster, facilitator=request.to_facilitator)


def who_could_help(request: HelpRequest) -> list[dict[str, Any]]:
    """Members best placed to help, with why: a strength in the topic, answers to similar
    requests before, or having been through the same. Never the requester, and only people
    the request reaches (the facilitator when asked)."""
    topic_ids = set(request.topics.values_list("pk", flat=True))
    found = (
        Membership.objects.unscoped()
        .agreed()
        .filter(cluster_id=request.cluster_id)
        .exclude(user_id=request.requester_id)
        .select_related("user__profile")
    )
    if not request.to_facilitator:
        found = found.filter(role=Role.MEMBER)
    people = {m.user_id: m for m in found}
    reasons: dict[int, list[str]] = defaultdict(list)
    for user_id, topic in TopicChoice.objects.filter(
        profile__user_id__in=people, topic_id__in=topic_ids, kind=TopicChoice.STRENGTH
    ).values_list("profile__user_id", "topic__name"):
        reasons[user_id].append(f"strong in {topic}")
    # Read for the cluster as a whole, never shown: only who answered, not what.
    answered = (
        HelpReply.objects.unscoped()
        .filter(
            author_id__in=people,
            request__cluster_id=request.cluster_id,
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


def requester_phone(request: HelpRequest) -> str:
    """The asker's phone number from her profile, for the request page: only people the
    request reaches see that page, so it stays inside the cluster (never in an email)."""
    # Read through the requester (select_related by the page's access lookup: no query).
    profile: LeaderProfile | None = getattr(request.requester, "profile", None)
    return profile.phone if profile is not None else ""


@transaction.atomic
def answer_help(
    request: HelpRequest, by: User, text: str, *, calling: bool = False, once_key: str = ""
) -> HelpReply:
    """An answer, or "I'll call you" (urgent: emailed at once). With ``once_key`` a repeat of
    the same submission (a double click) returns the first answer and tells nobody again."""
    if not request.is_open:
        raise SupportError("This request is resolved.")
    if by.pk == request.requester_id and calling:
        raise SupportError("You cannot call yourself.")
    if not calling and not text.strip():
        raise SupportError("Write your answer first.")

    def create() -> HelpReply:
        reply = HelpReply.objects.create(
            request=request,
            author=by,
            kind=HelpReply.CALLING if calling else HelpReply.REPLY,
            text=text.strip(),
        )
        if by.pk != request.requester_id:
            HelpRequest.objects.unscoped().filter(pk=request.pk, first_answer_at=None).update(
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
        verb = "help.calling" if calling else "help.answered"
        summary = (
            f"{by} is calling about a help request" if calling else f"{by} answered a help request"
        )
        record(by, verb, request, summary, _log_cluster(request))
        return reply

    return create_once(by, once_key, HelpReply, create, request_id=request.pk)


@transaction.atomic
def resolve_help(request: HelpRequest, by: User, what_helped: str) -> None:
    if by.pk != request.requester_id:
        raise SupportError("Only the person who asked marks it resolved.")
    if not request.is_open:
        raise SupportError("This request is resolved.")
    if not what_helped.strip():
        raise SupportError("Write what helped: it is how the cluster learns.")
    request.resolved_at = timezone.now()
    request.what_helped = what_helped.strip()
    request.save(update_fields=["resolved_at", "what_helped"])
    record(
        by,
        "help.resolved",
        request,
        f"{by} marked a help request resolved",
        _log_cluster(request),
    )


def help_figures(user: User, cluster: Cluster) -> dict[str, Any]:
    """How many requests, and the median time to a first answer (for answered ones), of
    those the person may see (a facilitator does not learn of requests not made to them)."""
    rows = list(
        HelpRequest.objects.in_cluster(user, cluster.pk).values_list(
            "created_at", "first_answer_at"
        )
    )
    waits = [(a - c).total_seconds() / 60 for c, a in rows if a is not None]
    return {
        "count": len(rows),
        "answered": len(waits),
        "median_minutes": round(statistics.median(waits)) if waits else None,
    }


def urgent_for(user: User) -> list[HelpRequest]:
    """Urgent requests the person may see with no answer yet (the home page banner): never
    one not addressed to them as facilitator, nor any before they agree the ground rules."""
    return list(
        HelpRequest.objects.visible_to(user)
        .filter(urgency=Urgency.URGENT, resolved_at=None, first_answer_at=None)
        .exclude(requester=user)
        .select_related("requester", "cluster")
    )


# --- What leaders have been through (personal, of no cluster) -------------------------------


@transaction.atomic
def add_experience(user: User, topic: Topic, note: str = "", when: Any = None) -> Experience:
    return Experience.objects.create(user=user, topic=topic, note=note, when=when)


@transaction.atomic
def remove_experience(user: User, experience: Experience) -> None:
    if experience.user_id != user.pk:
        raise SupportError("That is not yours to remove.")
    experience.delete()
