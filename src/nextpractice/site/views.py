from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from nextpractice.accounts.models import Invitation
from nextpractice.clusters.models import Cluster, ClusterStatus, Membership, RemovalProposal
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.directory.models import Area, LeaderProfile
from nextpractice.meetings import services as meeting_services
from nextpractice.meetings.models import Action
from nextpractice.support import services as support_services

# Figures about fewer people than this are never shown to researchers.
MIN_GROUP = 5


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "site/welcome.html")
    user = request.user
    members = (
        Membership.objects.filter(left_at=None)
        .select_related("user", "user__profile", "user__profile__setting")
        .order_by("role", "user__full_name")
    )
    memberships = list(
        Membership.objects.filter(user=user, left_at=None)
        .select_related("cluster", "cluster__area")
        .prefetch_related(Prefetch("cluster__memberships", queryset=members, to_attr="current"))
    )
    cluster_ids = [m.cluster_id for m in memberships]
    agreed_ids = [m.cluster_id for m in memberships if m.has_agreed]
    to_vote = list(
        RemovalProposal.objects.filter(cluster_id__in=agreed_ids, state=RemovalProposal.OPEN)
        .exclude(subject=user)
        .exclude(votes__voter=user)
        .select_related("cluster", "subject")
    )
    invitations = list(
        Invitation.objects.pending()
        .filter(email__iexact=user.email)
        .exclude(cluster_id__in=cluster_ids)
        .select_related("cluster", "invited_by")
    )
    profile = LeaderProfile.objects.filter(user=user).first()
    areas = list(Area.objects.filter(coordinators=user))
    upcoming = meeting_services.upcoming_for(user)
    urgent = support_services.urgent_for(user)
    open_actions = Action.objects.open().filter(owner=user, cluster_id__in=agreed_ids).count()
    return render(
        request,
        "site/home.html",
        {
            "memberships": memberships,
            "to_vote": to_vote,
            "invitations": invitations,
            "profile": profile,
            "areas": areas,
            "upcoming": upcoming,
            "urgent": urgent,
            "open_actions": open_actions,
        },
    )


@login_required
@require_safe
def research(request: AuthedHttpRequest) -> HttpResponse:
    """Anonymised aggregates: counts only, and none about a group smaller than MIN_GROUP."""
    if not (request.user.is_researcher or request.user.is_superuser):
        raise PermissionDenied
    rows = []
    for area in Area.objects.annotate(
        leaders=Count("settings__leaders", distinct=True),
        active=Count("clusters", filter=Q(clusters__status=ClusterStatus.ACTIVE), distinct=True),
        forming=Count("clusters", filter=Q(clusters__status=ClusterStatus.FORMING), distinct=True),
    ):
        rows.append(
            {
                "area": area.name,
                "leaders": area.leaders if area.leaders >= MIN_GROUP else None,
                "active": area.active,
                "forming": area.forming,
            }
        )
    sizes = Cluster.objects.annotate(
        n=Count("memberships", filter=Q(memberships__left_at=None, memberships__role="member"))
    ).values_list("n", flat=True)
    size_counts: dict[int, int] = {}
    for n in sizes:
        size_counts[n] = size_counts.get(n, 0) + 1
    size_rows = [(n, c if c >= MIN_GROUP else None) for n, c in sorted(size_counts.items())]
    return render(
        request,
        "site/research.html",
        {"rows": rows, "size_rows": size_rows, "min_group": MIN_GROUP},
    )


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """For the load balancer: the process is up and the database answers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
