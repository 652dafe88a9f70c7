"""Funding opportunities: sharing one, reminders before its deadline, and who is applying."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Cluster

from ..models import Applying, Funding, Kind
from .errors import SupportError
from .notifications import members_of, notify, tell_cluster


@transaction.atomic
def share_funding(
    cluster: Cluster,
    by: User,
    *,
    funder: str,
    what: str,
    deadline: dt.date,
    amount: str = "",
    eligibility: str = "",
    link: str = "",
) -> Funding:
    if deadline < timezone.localdate():
        raise SupportError("That deadline has passed")
    funding = Funding.objects.create(
        cluster=cluster,
        shared_by=by,
        funder=funder,
        what=what,
        deadline=deadline,
        amount=amount,
        eligibility=eligibility,
        link=link,
    )
    tell_cluster(
        cluster,
        by,
        Kind.FUNDING,
        f"Funding: {funding.funder}, deadline {funding.deadline:%-d %B}",
        "a funding opportunity",
        funding.funder,
        reverse("funding_list", args=[cluster.pk]),
    )
    record(by, "funding.shared", funding, f"{by} shared funding: {funding.funder}", cluster)
    return funding


def funding_reminders(now: dt.datetime | None = None) -> int:
    """Two weeks and three days before a deadline, every member is reminded (once each)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    for stamp, days in (("reminded_14_at", 14), ("reminded_3_at", 3)):
        due = (
            Funding.objects.unscoped()
            .filter(
                **{stamp: None}, deadline__gte=today, deadline__lte=today + dt.timedelta(days=days)
            )
            .select_related("cluster")
        )
        for funding in due:
            with transaction.atomic():
                if (
                    not Funding.objects.unscoped()
                    .filter(pk=funding.pk, **{stamp: None})
                    .update(**{stamp: now})
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


@transaction.atomic
def applying(funding: Funding, by: User, on: bool, review: Any = None) -> None:
    """Mark (or unmark) that the member is applying; a draft bid shared for feedback can be
    attached (one of their own, in the same cluster)."""
    if review is not None and (
        review.requester_id != by.pk or review.cluster_id != funding.cluster_id
    ):
        raise SupportError("Attach one of your own draft bids from this cluster.")
    mine = Applying.objects.unscoped().filter(funding=funding, user=by)
    if on:
        entry, made = Applying.objects.unscoped().get_or_create(funding=funding, user=by)
        if review is not None:
            entry.review = review
            entry.save(update_fields=["review"])
        if made or review is not None:
            record(by, "funding.applying", entry, f"{by} is applying to {funding}", funding.cluster)
    else:
        found = mine.first()
        if found is not None:
            record(
                by,
                "funding.not_applying",
                found,
                f"{by} is not applying to {funding}",
                funding.cluster,
            )
            found.delete()
