"""The one rule for reading anything that belongs to a cluster, as a mechanism.

``core`` sits under every feature app and imports none of them, yet its own cluster-owned
rows (notifications) must read through the same rule as everyone else's. So the queryset
lives here and the rule itself (who may read which clusters) is given to it by the
``clusters`` app when its models load (``set_audience``): the mechanism below, the policy
above, and one class for the static scan in ``tests/test_trust_boundary.py`` to look for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models

M = TypeVar("M", bound=models.Model)

#: ``audience(user)``: the clusters (as a ``values("cluster")`` queryset) whose content the
#: user may read now.
Audience = Callable[[Any], models.QuerySet[Any]]

_audience: list[Audience] = []


def set_audience(audience: Audience) -> None:
    """Given once, by ``clusters.models``: the rule of who reads a cluster's content."""
    _audience[:] = [audience]


def readable_clusters(user: Any) -> models.QuerySet[Any]:
    if not _audience:  # pragma: no cover - clusters is always installed with core
        raise ImproperlyConfigured("No cluster audience rule: is nextpractice.clusters installed?")
    return _audience[0](user)


class ClusterScopedQuerySet(models.QuerySet[M], Generic[M]):
    """The one rule for reading anything that belongs to a cluster.

    Every read of a cluster-owned model goes through ``visible_to(user)``: the members and
    facilitator of the cluster who have agreed to its ground rules see it; a model with a
    narrower audience (a help request not addressed to the facilitator, a review for chosen
    members, a deputy's one meeting) narrows it further by overriding ``visible_to``.
    Background work that is nobody's read (reminders, digests, the demo) says so with
    ``unscoped()``. ``tests/test_trust_boundary.py`` fails on a query that does neither.
    """

    #: The lookup from this model to its cluster.
    cluster_path = "cluster"

    def visible_to(self, user: Any) -> Self:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(**{f"{self.cluster_path}__in": readable_clusters(user)})

    def in_cluster(self, user: Any, cluster_id: int) -> Self:
        """``visible_to`` narrowed to one cluster (a cluster's own pages)."""
        return self.visible_to(user).filter(**{f"{self.cluster_path}_id": cluster_id})

    def unscoped(self) -> Self:
        """Every row, for work that is nobody's read: periodic jobs that then address each
        member through ``Membership.objects.agreed()``, the demo loader, the admin."""
        return self.all()
