"""Next practice: sharing an idea, and another setting trying it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Cluster
from nextpractice.directory.access import get_own_setting

from ..models import Idea, IdeaTrial, TrialResult
from .errors import SupportError, create_once


@transaction.atomic
def share_idea(
    cluster: Cluster,
    by: User,
    *,
    title: str,
    what_we_did: str,
    what_happened: str,
    evidence: str,
    once_key: str = "",
) -> Idea:
    def create() -> Idea:
        idea = Idea.objects.create(
            cluster=cluster,
            author=by,
            title=title,
            what_we_did=what_we_did,
            what_happened=what_happened,
            evidence=evidence,
        )
        record(by, "idea.shared", idea, f"{by} shared an idea: {idea.title}", cluster)
        return idea

    return create_once(by, once_key, Idea, create, cluster_id=cluster.pk)


@transaction.atomic
def try_idea(idea: Idea, by: User, result: str, note: str = "") -> IdeaTrial:
    if idea.author_id == by.pk:
        raise SupportError("This is your own idea: others try it.")
    if result not in TrialResult.values:
        raise SupportError("Say how it went.")
    trial, _ = IdeaTrial.objects.unscoped().update_or_create(
        idea=idea,
        user=by,
        defaults={
            "result": result,
            "note": note,
            "setting": get_own_setting(by),
            "updated_at": timezone.now(),
        },
    )
    record(by, "idea.tried", trial, f"{by} reported trying an idea: {idea.title}", idea.cluster)
    return trial
