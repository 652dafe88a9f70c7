from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, prefetch_related_objects
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.views.decorators.http import require_safe

from nextpractice import disclosure
from nextpractice.accounts.models import Invitation
from nextpractice.clusters.models import (
    Cluster,
    ClusterStatus,
    Membership,
    RemovalProposal,
    Role,
    current_memberships,
)
from nextpractice.core import health, memo, needs
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.directory.models import Area, LeaderProfile
from nextpractice.meetings import services as meeting_services

# Figures about fewer people (or clusters) than this are never shown to researchers.
MIN_GROUP = disclosure.THRESHOLD


def can_see_research(user: Any) -> bool:
    """The programme's anonymised figures: researchers (and administrators)."""
    return bool(user.is_authenticated and (user.is_researcher or user.is_superuser))


@dataclass(frozen=True)
class HomeAccess:
    """What the home page offers this person. A leader (someone with a leader's profile,
    or a member of a cluster) is asked to complete their profile and may look for a
    cluster; a coordinator, a researcher, a facilitator or a deputy is not."""

    is_leader: bool
    profile_incomplete: bool

    @property
    def can_complete_profile(self) -> bool:
        return self.is_leader and self.profile_incomplete

    @property
    def can_look_for_cluster(self) -> bool:
        return self.is_leader


@functools.cache
def _needs_sources() -> list[needs.Source]:
    return [import_string(path) for path in settings.NEEDS_YOU_SOURCES]


def needs_of(user: Any, clusters: list[int]) -> list[needs.Need]:
    """Everything that needs the person, urgent first, then in the registry's order."""
    found = [need for source in _needs_sources() for need in source(user, clusters)]
    return sorted(found, key=lambda need: not need.urgent)


def _home_context(user: Any, clusters: list[int]) -> dict[str, Any]:
    """What the home page shows the person: their clusters and fellow members, what needs
    them, what is coming up."""
    fellows = (
        Membership.objects.fellows_of(user)
        .select_related(
            "user", "user__profile", "user__profile__setting", "user__profile__setting__private"
        )
        .order_by("role", "user__full_name")
    )
    memberships = list(current_memberships(user))
    prefetch_related_objects(
        memberships, Prefetch("cluster__memberships", queryset=fellows, to_attr="current")
    )
    upcoming = meeting_services.upcoming_for(user, limit=4, clusters=clusters)
    # Read with the person at the start of the request (accounts.backends), setting too.
    profile: LeaderProfile | None = getattr(user, "profile", None)
    return {
        "memberships": memberships,
        "profile": profile,
        "access": HomeAccess(
            is_leader=profile is not None or any(m.role == Role.MEMBER for m in memberships),
            profile_incomplete=profile is None or profile.completed_at is None,
        ),
        "can_see_research": can_see_research(user),
        "next_meeting": upcoming[0] if upcoming else None,
        "upcoming": upcoming[1:],
        "to_vote": list(
            RemovalProposal.objects.visible_to(user)
            .filter(cluster_id__in=clusters, state=RemovalProposal.OPEN)
            .exclude(subject=user)
            .exclude(votes__voter=user)
            .select_related("cluster", "subject")
        ),
        "invitations": list(
            Invitation.objects.of(user)
            .pending()
            .exclude(cluster_id__in=[m.cluster_id for m in memberships])
            .select_related("cluster", "invited_by")
        ),
        # is_coordinator was asked (and kept) by the second-factor middleware: most people
        # coordinate no area and need no query for it.
        "areas": list(Area.objects.filter(coordinators=user)) if user.is_coordinator else [],
        "needs": needs_of(user, clusters),
    }


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "site/welcome.html")
    user = request.user
    # The clusters whose content the person reads: every part of the page below looks only
    # there (by id), so its cost follows the person, not the size of the network.
    clusters = [m.cluster_id for m in current_memberships(user) if m.has_agreed]
    # Rendered once and kept until something it read is written (core.memo); the minute,
    # because what is coming up and what is due change with the time.
    return memo.page(request, "site/home.html", lambda: _home_context(user, clusters))


@login_required
@require_safe
def research(request: AuthedHttpRequest) -> HttpResponse:
    """Anonymised aggregates: counts only, through disclosure.protect, so that no figure
    about fewer than MIN_GROUP leaders or clusters is shown nor can be worked out from the
    totals and the other figures."""
    if not can_see_research(request.user):
        raise PermissionDenied
    statuses = list(ClusterStatus)
    leaders = "n_leaders"  # annotations named at run time: read back with getattr
    areas = list(
        Area.objects.order_by("name").annotate(
            **{leaders: Count("settings__leaders", distinct=True)},
            **{
                f"n_{status.value}": Count(
                    "clusters", filter=Q(clusters__status=status), distinct=True
                )
                for status in statuses
            },
        )
    )
    by_status = disclosure.protect(
        [[getattr(a, f"n_{s.value}") for s in statuses] for a in areas], MIN_GROUP
    )
    # Active clusters by size: the same clusters as the "Active" column above, so the two
    # tables share that total, and a total hidden in one is hidden in the other.
    active = statuses.index(ClusterStatus.ACTIVE)
    if by_status.column_totals:
        active_total_hidden = by_status.column_totals[active] is None
    else:  # one area (or none): the column is its one figure
        active_total_hidden = bool(areas) and by_status.cells[0][active] is None
    # Counted, never read: aggregates across every cluster are nobody's view of one.
    sizes = Cluster.objects.filter(status=ClusterStatus.ACTIVE).with_sizes()
    size_counts: dict[int, int] = {}
    # "size" is with_sizes' annotation, which the type checker cannot see.
    for n in sizes.values_list("size", flat=True):  # type: ignore[misc]
        size_counts[n] = size_counts.get(n, 0) + 1
    size_labels = sorted(size_counts)
    tables = [
        _figures(
            "Leaders with a profile, by local authority",
            "Local authority",
            [a.name for a in areas],
            ["Leaders"],
            disclosure.protect([[getattr(a, leaders)] for a in areas], MIN_GROUP),
        ),
        _figures(
            "Clusters by local authority and status",
            "Local authority",
            [a.name for a in areas],
            [s.label for s in statuses],
            by_status,
        ),
        _figures(
            "Active clusters by number of members",
            "Members",
            [str(n) for n in size_labels],
            ["Active clusters"],
            disclosure.protect(
                [[size_counts[n]] for n in size_labels], MIN_GROUP, hide_total=active_total_hidden
            ),
        ),
    ]
    return render(request, "site/research.html", {"tables": tables, "min_group": MIN_GROUP})


def _figures(
    caption: str,
    row_header: str,
    row_labels: list[str],
    column_labels: list[str],
    table: disclosure.ProtectedTable,
) -> dict[str, Any]:
    """A protected table laid out for core/research.html: None is a hidden figure, "" an
    empty cell. A one-row table shows its total as a last column, a one-column table as a
    last row; a table with both prints row and column totals."""
    one_row = len(row_labels) == 1 and len(column_labels) > 1
    columns = [*column_labels, "Total"] if table.row_totals or one_row else column_labels
    rows = []
    for i, label in enumerate(row_labels):
        cells: list[int | str | None] = list(table.cells[i])
        if table.row_totals:
            cells.append(table.row_totals[i])
        elif one_row:
            cells.append(table.total)
        rows.append({"label": label, "cells": cells})
    totals: list[int | str | None] = []
    if not one_row:
        totals = (
            [*table.column_totals, table.total]
            if table.row_totals
            else [""] * (len(columns) - 1) + [table.total]
        )
    return {
        "caption": caption,
        "row_header": row_header,
        "columns": columns,
        "rows": rows,
        "totals": totals,
    }


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """For the load balancer: the process is up and the database answers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """For load balancers (the status: 200 or 503) and monitoring (the JSON: database,
    cache, the workers' heartbeat, the outbox); see core.health for what each means."""
    status, report = health.readiness()
    return JsonResponse(report, status=status)
