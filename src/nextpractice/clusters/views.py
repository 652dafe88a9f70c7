from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nextpractice.accounts.models import User
from nextpractice.audit.models import AuditEntry
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.directory.models import TopicChoice
from nextpractice.meetings.models import Meeting, MeetingStatus
from nextpractice.support.models import Success

from . import services
from .access import get_cluster_for, get_membership_for
from .forms import GroundRulesForm, InviteForm, RemovalForm, StartClusterForm
from .models import JoinRequest, Membership, RemovalProposal, Role


@login_required
@require_http_methods(["GET", "POST"])
def cluster_new(request: AuthedHttpRequest) -> HttpResponse:
    form = StartClusterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cluster = services.start_cluster(
            request.user,
            form.cleaned_data["name"],
            form.cleaned_data["area"],
        )
        messages.success(request, "Your cluster is started. Now invite the leaders you want in it.")
        return redirect("cluster_detail", cluster.pk)
    return render(request, "clusters/new.html", {"form": form})


@login_required
@require_safe
def cluster_detail(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    membership = get_membership_for(request.user, cluster_id)
    cluster = membership.cluster
    if not membership.has_agreed:
        return render(
            request, "clusters/agree.html", {"cluster": cluster, "membership": membership}
        )
    topics = TopicChoice.objects.select_related("topic").order_by("topic__position")
    members = list(
        cluster.memberships.filter(left_at=None)
        .select_related("user", "user__profile", "user__profile__setting")
        .prefetch_related(Prefetch("user__profile__topics", queryset=topics))
        .order_by("role", "user__full_name")
    )
    proposals = list(
        RemovalProposal.objects.filter(cluster=cluster, state=RemovalProposal.OPEN)
        .select_related("subject", "proposed_by")
        .prefetch_related("votes")
    )
    size = sum(1 for m in members if m.role == Role.MEMBER)
    join_requests = list(
        JoinRequest.objects.filter(cluster=cluster, state=JoinRequest.PENDING).select_related(
            "user__profile__setting"
        )
    )
    pending = list(cluster.invitations.pending())
    next_meeting = (
        Meeting.objects.filter(
            cluster=cluster, status=MeetingStatus.SCHEDULED, starts_at__gte=timezone.now()
        )
        .select_related("host_setting")
        .first()
    )
    return render(
        request,
        "clusters/detail.html",
        {
            "cluster": cluster,
            "membership": membership,
            "members": members,
            "proposals": proposals,
            "size": size,
            "pending": pending,
            "too_small": size < cluster.area.min_cluster_size,
            "invite_form": InviteForm(),
            "join_requests": join_requests,
            "next_meeting": next_meeting,
            "recent_successes": list(
                Success.objects.filter(cluster=cluster).select_related("author", "about")[:5]
            ),
        },
    )


@login_required
@require_POST
def agree(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    membership = get_membership_for(request.user, cluster_id)
    if request.POST.get("agree") != "yes":
        messages.error(request, "Tick the box to say you agree to the ground rules.")
        return redirect("cluster_detail", cluster_id)
    services.agree_ground_rules(membership)
    messages.success(request, "Welcome to the cluster.")
    return redirect("cluster_detail", cluster_id)


@login_required
@require_http_methods(["GET", "POST"])
def ground_rules_edit(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    form = GroundRulesForm(request.POST or None, initial={"ground_rules": cluster.ground_rules})
    if request.method == "POST" and form.is_valid():
        services.change_ground_rules(cluster, request.user, form.cleaned_data["ground_rules"])
        messages.success(
            request, "The ground rules are changed. Every member will be asked to agree again."
        )
        return redirect("cluster_detail", cluster_id)
    return render(request, "clusters/ground_rules_form.html", {"cluster": cluster, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite(
                cluster,
                request.user,
                form.cleaned_data["email"],
                form.cleaned_data["role"],
                form.cleaned_data["message"],
            )
        except services.ClusterError as e:
            form.add_error("email", str(e))
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("cluster_detail", cluster_id)
    return render(request, "clusters/invite.html", {"cluster": cluster, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def leave(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    membership = get_membership_for(request.user, cluster_id)
    if request.method == "POST":
        services.leave(membership)
        messages.success(request, f"You have left {membership.cluster}.")
        return redirect("home")
    return render(request, "clusters/leave.html", {"cluster": membership.cluster})


@login_required
@require_http_methods(["GET", "POST"])
def propose_removal(request: AuthedHttpRequest, cluster_id: int, user_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    subject_membership = (
        Membership.objects.filter(cluster=cluster, user_id=user_id, left_at=None)
        .select_related("user")
        .first()
    )
    if subject_membership is None:
        raise Http404("No such member")
    if subject_membership.user_id == request.user.pk:
        raise PermissionDenied("Use Leave to leave the cluster")
    subject: User = subject_membership.user
    form = RemovalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.propose_removal(cluster, request.user, subject, form.cleaned_data["reason"])
        except services.ClusterError as e:
            form.add_error("reason", str(e))
        else:
            messages.success(request, "Your proposal is put to the other members.")
            return redirect("cluster_detail", cluster_id)
    return render(
        request, "clusters/remove.html", {"cluster": cluster, "subject": subject, "form": form}
    )


@login_required
@require_POST
def removal_vote(request: AuthedHttpRequest, cluster_id: int, proposal_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    proposal = RemovalProposal.objects.filter(pk=proposal_id, cluster=cluster).first()
    if proposal is None:
        raise Http404("No such proposal")
    if proposal.subject_id == request.user.pk:
        raise PermissionDenied("You cannot vote on your own removal")
    try:
        services.vote(proposal, request.user, request.POST.get("agrees") == "yes")
    except services.ClusterError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "Your vote is recorded.")
    return redirect("cluster_detail", cluster_id)


@login_required
@require_safe
def activity(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    entries = AuditEntry.objects.filter(cluster=cluster).select_related("actor")[:200]
    return render(request, "clusters/activity.html", {"cluster": cluster, "entries": entries})


@login_required
@require_POST
def join_decide(request: AuthedHttpRequest, cluster_id: int, request_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    join_request = JoinRequest.objects.filter(pk=request_id, cluster=cluster).first()
    if join_request is None:
        raise Http404("No such request")
    try:
        services.decide_join(join_request, request.user, request.POST.get("accept") == "yes")
    except services.ClusterError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "Your answer is sent.")
    return redirect("cluster_detail", cluster_id)
