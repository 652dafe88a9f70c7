"""Who reads what of the impact figures.

- A check-in, and the trend drawn from it, is its person's alone (``CheckIn.objects.of``).
- A cluster's health is read by its agreed members and facilitator: ``clusters.access``
  (404 for everyone else, the coordinator and the researcher included).
- An area's overview and figures: its coordinators (anyone else 404, as the directory);
  the programme's figures: researchers and administrators (others 403, as the research
  page). Both see counts and means about at least five people, never a cluster's content.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from nextpractice.clusters.access import ClusterAccess, get_access_for, require
from nextpractice.directory.access import get_area_for
from nextpractice.directory.models import Area

from .models import CheckIn


def open_check_in(user: Any) -> CheckIn | None:
    """The person's oldest unanswered check-in (the baseline before any termly one)."""
    return CheckIn.objects.of(user).open().order_by("-is_baseline", "invited_at").first()


def cluster_health_access(user: Any, cluster_id: int) -> ClusterAccess:
    access = get_access_for(user, cluster_id)
    require(access.can_read, "Agree to the cluster's ground rules first")
    return access


def can_mark_outcome(access: ClusterAccess) -> bool:
    """Members mark their own successes (the facilitator records none)."""
    return access.can_read and not access.membership.is_facilitator


def area_for_figures(user: Any, area_id: int) -> Area:
    return get_area_for(user, area_id)


def can_see_programme(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_researcher or user.is_superuser))


def require_programme(user: Any) -> None:
    if not can_see_programme(user):
        raise PermissionDenied("For the programme's researchers")
