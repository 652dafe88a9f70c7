"""The one rule for reading anything that belongs to a cluster, as a mechanism.

``core`` sits under every feature app and imports none of them, yet its own cluster-owned
rows (notifications) must read through the same rule as everyone else's. So the queryset
lives here and the rule itself (who may read which clusters) is given to it by the
``clusters`` app when its models load (``set_audience``): the mechanism below, the policy
above, and one class for the static scan in ``tests/test_trust_boundary.py`` to look for.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, Self, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")

#: ``audience(user)``: the clusters (as a ``values("cluster")`` queryset) whose content the
#: user may read now.
Audience = Callable[[Any], models.QuerySet[Any]]
#: ``audience_for_filter(user)``: the same clusters for a ``cluster__in=`` filter: their ids
#: where this request already knows them (``remembered``), else the subquery.
AudienceForFilter = Callable[[Any], "models.QuerySet[Any] | list[int]"]

_audience: list[tuple[Audience, AudienceForFilter]] = []


def set_audience(audience: Audience, audience_for_filter: AudienceForFilter) -> None:
    """Given once, by ``clusters.models``: the rule of who reads a cluster's content."""
    _audience[:] = [(audience, audience_for_filter)]


def _rule() -> tuple[Audience, AudienceForFilter]:
    if not _audience:  # pragma: no cover - clusters is always installed with core
        raise ImproperlyConfigured("No cluster audience rule: is nextpractice.clusters installed?")
    return _audience[0]


def readable_clusters(user: Any) -> models.QuerySet[Any]:
    """The clusters ``user`` reads, as a subquery (read afresh by the database)."""
    return _rule()[0](user)


# --- What a request reads once -------------------------------------------------------------
#
# A page asks "which clusters does this person read?" in nearly every query it makes (every
# ``visible_to``), and Django builds and compiles that subquery each time (building and
# compiling queries was most of the home page's own time). Within one request the answer,
# the person's memberships (``clusters.models.current_memberships``), is read once and
# reused, under two guards that keep it exact: anything written to the database (any
# statement but a SELECT: joining, leaving, agreeing, a session save) forgets everything
# remembered, and inside a transaction opened during the request nothing is remembered nor
# reused (a rolled-back write must not leave a remembered answer behind). Outside a request
# (commands, the worker, tests calling querysets directly) nothing is remembered at all.


@dataclass
class _Memo:
    depth: int  # transactions open when the request began (tests run inside one)
    values: dict[Hashable, Any] = field(default_factory=dict)

    def forget_on_write(
        self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: Any
    ) -> Any:
        # Anything but a plain SELECT (a write, a savepoint, composed SQL) forgets all.
        if not (isinstance(sql, str) and sql.lstrip()[:6].upper() == "SELECT"):
            self.values.clear()
        return execute(sql, params, many, context)


_memo: ContextVar[_Memo | None] = ContextVar("nextpractice_request_memo", default=None)


@contextmanager
def remembering() -> Iterator[None]:
    """Within: ``remembered`` values are computed once (``core.middleware`` wraps each
    request in this)."""
    memo = _Memo(depth=len(connection.atomic_blocks))
    token = _memo.set(memo)
    try:
        with connection.execute_wrapper(memo.forget_on_write):
            yield
    finally:
        _memo.reset(token)


def _usable() -> _Memo | None:
    memo = _memo.get()
    return memo if memo is not None and len(connection.atomic_blocks) == memo.depth else None


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per request for the same ``key`` until something is written;
    computed afresh every time outside a request or inside a transaction."""
    memo = _usable()
    if memo is None:
        return compute()
    if key not in memo.values:
        memo.values[key] = compute()
    return memo.values[key]


def recall(key: Hashable) -> Any | None:
    """What ``remembered`` holds for ``key`` now, without computing it; None if nothing."""
    memo = _usable()
    return None if memo is None else memo.values.get(key)


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
        return self.filter(**{f"{self.cluster_path}__in": _rule()[1](user)})

    def in_cluster(self, user: Any, cluster_id: int) -> Self:
        """``visible_to`` narrowed to one cluster (a cluster's own pages)."""
        return self.in_clusters(user, [cluster_id])

    def in_clusters(self, user: Any, cluster_ids: Sequence[int]) -> Self:
        """``visible_to`` narrowed to some clusters (the person's own, on their home page)."""
        return self.visible_to(user).filter(**{f"{self.cluster_path}_id__in": cluster_ids})

    def unscoped(self) -> Self:
        """Every row, for work that is nobody's read: periodic jobs that then address each
        member through ``Membership.objects.agreed()``, the demo loader, the admin."""
        return self.all()
