"""Who may see what between meetings: everything here belongs to one cluster, and only its
members (who have agreed to the ground rules) see it; a help request reaches the
facilitator only when the member asked them too. Everyone else gets 404."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.http import Http404

from nextpractice.clusters.models import Membership, Role

from .models import HelpRequest

M = TypeVar("M", bound=models.Model)


def get_in_cluster(user: Any, model: type[M], pk: int, *related: str) -> tuple[M, Membership]:
    """An object of one of the user's clusters (found by its ``cluster`` field), or 404."""
    if not user.is_authenticated:
        raise Http404("Not found")
    obj = model._default_manager.select_related("cluster", *related).filter(pk=pk).first()
    if obj is None:
        raise Http404("Not found")
    cluster_id = getattr(obj, "cluster_id")  # noqa: B009 - every model here has one
    membership = (
        Membership.objects.filter(cluster_id=cluster_id, user=user, left_at=None)
        .select_related("cluster")
        .first()
    )
    if membership is None or not membership.has_agreed:
        raise Http404("Not found")
    return obj, membership


def get_help_for(user: Any, pk: int) -> tuple[HelpRequest, Membership]:
    request, membership = get_in_cluster(user, HelpRequest, pk, "requester")
    if membership.role == Role.FACILITATOR and not request.to_facilitator:
        raise Http404("Not found")
    return request, membership
