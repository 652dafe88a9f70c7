from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nextpractice.accounts.models import Invitation, User
from nextpractice.audit.models import AuditEntry
from nextpractice.core import memo
from nextpractice.core.forms import is_id
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.core.year import Year, by_term, gather
from nextpractice.directory.models import TopicChoice

from . import aims as aim_services
from . import services
from .access import (
    ClusterAccess,
    get_access_for,
    get_aim_for,
    get_join_request_for,
    get_proposal_for,
    require,
)
from .forms import (
    AgreeForm,
    AimForm,
    GroundRulesForm,
    InviteForm,
    JoinDecisionForm,
    RemovalForm,
    RenameForm,
    StartClusterForm,
    VoteForm,
    YearChoiceForm,
)
from .models import Aim, JoinRequest, Membership, RemovalProposal, Role


@login_required
@require_http_methods(["GET", "POST"])
def cluster_new(request: AuthedHttpRequest) -> HttpResponse:
    form = StartClusterForm(request.POST or None)
    # Said before the form is filled in, not after: who may start a cluster is bounded.
    try:
        area = services.check_can_start(request.user)
        refusal = ""
    except services.ClusterError as e:
        area, refusal = None, str(e)
    if request.method == "POST" and form.is_valid():
        try:
            cluster = services.start_cluster(request.user, form.cleaned_data["name"])
        except services.ClusterError as e:
            form.add_error(None, str(e))
        else:
            messages.success(
                request, "Your cluster is started. Now invite the leaders you want in it."
            )
            return redirect("cluster_detail", cluster.pk)
    return render(request, "clusters/new.html", {"form": form, "area": area, "refusal": refusal})


@login_required
@require_safe
def cluster_detail(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = get_access_for(request.user, cluster_id)
    cluster = access.cluster
    if not access.can_read:
        return render(
            request,
            "clusters/agree.html",
            {"cluster": cluster, "membership": access.membership, "access": access},
        )
    # Rendered once and kept until something it read is written (core.memo).
    return memo.page(
        request,
        "clusters/detail.html",
        lambda: _detail_context(request.user, access),
    )


def _detail_context(user: Any, access: ClusterAccess) -> dict[str, Any]:
    cluster = access.cluster
    topics = TopicChoice.objects.select_related("topic").order_by("topic__position")
    members = list(
        Membership.objects.in_cluster(user, cluster.pk)
        .select_related("user", "user__profile", "user__profile__setting__private")
        .prefetch_related(Prefetch("user__profile__topics", queryset=topics))
        .order_by("role", "user__full_name")
    )
    proposals = list(
        RemovalProposal.objects.in_cluster(user, cluster.pk)
        .filter(state=RemovalProposal.OPEN)
        .select_related("subject", "proposed_by")
    )
    size = sum(1 for m in members if m.role == Role.MEMBER)
    join_requests = list(
        JoinRequest.objects.in_cluster(user, cluster.pk)
        .filter(state=JoinRequest.PENDING)
        .select_related("user__profile__setting")
    )
    pending = Invitation.objects.in_cluster(user, cluster.pk).pending().count()
    renamed = (
        AuditEntry.objects.in_cluster(user, cluster.pk)
        .filter(verb=services.RENAMED)
        .select_related("actor")
        .order_by("-created_at")
        .first()
    )
    # What the apps above clusters show here (the next meeting, recent successes) comes
    # through settings.CLUSTER_PANELS: clusters sits under them and imports none.
    panels = {
        name: import_string(path)(cluster, user) for name, path in settings.CLUSTER_PANELS.items()
    }
    return {
        "cluster": cluster,
        "access": access,
        "membership": access.membership,
        "member_rows": [(m, access.can_propose_removal_of(m.user_id)) for m in members],
        "proposal_rows": [(p, access.can_vote_on(p)) for p in proposals],
        "size": size,
        "pending": pending,
        "renamed": renamed,
        "too_small": size < cluster.area.min_cluster_size,
        "join_requests": join_requests,
        **panels,
    }


@login_required
@require_POST
def agree(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = get_access_for(request.user, cluster_id)
    form = AgreeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tick the box to say you agree to the ground rules.")
        return redirect("cluster_detail", cluster_id)
    if services.agree_ground_rules(access.membership):
        messages.success(request, "Welcome to the cluster.")
    else:
        messages.info(request, "You have already agreed to the ground rules: nothing more to do.")
    return redirect("cluster_detail", cluster_id)


@login_required
@require_http_methods(["GET", "POST"])
def rename(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = get_access_for(request.user, cluster_id)
    require(access.can_rename, "Agree to the cluster's ground rules first")
    cluster = access.cluster
    form = RenameForm(request.POST or None, initial={"name": cluster.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.rename(cluster, request.user, form.cleaned_data["name"])
        except services.ClusterError as e:
            form.add_error("name", str(e))
        else:
            messages.success(request, "The cluster is renamed; every member sees who renamed it.")
            return redirect("cluster_detail", cluster_id)
    return render(request, "clusters/rename.html", {"cluster": cluster, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def ground_rules_edit(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = get_access_for(request.user, cluster_id)
    require(access.can_edit_ground_rules, "Agree to the cluster's ground rules first")
    cluster = access.cluster
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
    access = get_access_for(request.user, cluster_id)
    require(access.can_invite, "Agree to the cluster's ground rules first")
    cluster = access.cluster
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
    access = get_access_for(request.user, cluster_id)
    require(access.can_leave, "You cannot leave this cluster")
    if request.method == "POST":
        services.leave(access.membership)
        messages.success(request, f"You have left {access.cluster}.")
        return redirect("home")
    return render(request, "clusters/leave.html", {"cluster": access.cluster})


@login_required
@require_http_methods(["GET", "POST"])
def propose_removal(request: AuthedHttpRequest, cluster_id: int, user_id: int) -> HttpResponse:
    access = get_access_for(request.user, cluster_id)
    require(access.can_propose_removal, "Agree to the cluster's ground rules first")
    cluster = access.cluster
    subject_membership = (
        Membership.objects.in_cluster(request.user, cluster.pk)
        .filter(user_id=user_id)
        .select_related("user")
        .first()
        if is_id(user_id)
        else None
    )
    if subject_membership is None:
        raise Http404("No such member")
    require(access.can_propose_removal_of(subject_membership.user_id), "Use Leave to leave")
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
    access = get_access_for(request.user, cluster_id)
    require(access.can_vote, "Agree to the cluster's ground rules first")
    proposal = get_proposal_for(access, proposal_id)
    require(access.can_vote_on(proposal), "You cannot vote on your own removal")
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say whether you agree to the proposal.")
        return redirect("cluster_detail", cluster_id)
    try:
        services.vote(proposal, request.user, form.cleaned_data["agrees"])
    except services.ClusterError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "Your vote is recorded.")
    return redirect("cluster_detail", cluster_id)


@login_required
@require_safe
@memo.kept_page
def activity(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = get_access_for(request.user, cluster_id)
    require(access.can_see_activity, "Agree to the cluster's ground rules first")
    entries = AuditEntry.objects.in_cluster(request.user, access.cluster.pk).select_related(
        "actor"
    )[:200]
    return render(
        request, "clusters/activity.html", {"cluster": access.cluster, "entries": entries}
    )


@login_required
@require_POST
def join_decide(request: AuthedHttpRequest, cluster_id: int, request_id: int) -> HttpResponse:
    access = get_access_for(request.user, cluster_id)
    require(access.can_decide_join, "Agree to the cluster's ground rules first")
    join_request = get_join_request_for(access, request_id)
    form = JoinDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose to welcome them or not.")
        return redirect("cluster_detail", cluster_id)
    try:
        services.decide_join(join_request, request.user, form.cleaned_data["accept"])
    except services.ClusterError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "Your answer is sent.")
    return redirect("cluster_detail", cluster_id)


# --- Shared aims ---------------------------------------------------------------------


@login_required
@require_safe
@memo.kept_page
def aims(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = get_access_for(request.user, cluster_id)
    require(access.can_read, "Agree to the cluster's ground rules first")
    found = Aim.objects.in_cluster(request.user, access.cluster.pk)
    open_ = list(found.open())
    return render(
        request,
        "clusters/aims.html",
        {
            "cluster": access.cluster,
            "access": access,
            "open_aims": open_,
            "closed_aims": list(found.closed().order_by("-closed_at")[: aim_services.CLOSED_SHOWN]),
            "room": len(open_) < Aim.MAX_OPEN,
            "max_open": Aim.MAX_OPEN,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def aim_new(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = get_access_for(request.user, cluster_id)
    require(access.can_edit_aims, "Agree to the cluster's ground rules first")
    form = AimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            aim_services.propose_aim(access.cluster, request.user, **form.cleaned_data)
        except aim_services.AimError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "The aim is on the cluster's page for every member.")
            return redirect("cluster_aims", cluster_id)
    return render(
        request, "clusters/aim_form.html", {"cluster": access.cluster, "form": form, "aim": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def aim_edit(request: AuthedHttpRequest, cluster_id: int, aim_id: int) -> HttpResponse:
    access = get_access_for(request.user, cluster_id)
    require(access.can_edit_aims, "Agree to the cluster's ground rules first")
    aim = get_aim_for(access, aim_id)
    initial = {
        name: getattr(aim, name)
        for name in ("title", "why", "how_we_know", "review_on", "status", "reflection")
    }
    form = AimForm(request.POST or None, initial=initial, closing=True)
    if request.method == "POST" and form.is_valid():
        try:
            changed = aim_services.change_aim(aim, request.user, **form.cleaned_data)
        except aim_services.AimError as e:
            form.add_error(None, str(e))
        else:
            if changed:
                messages.success(request, "The aim is saved; the activity log says who changed it.")
            else:
                messages.info(request, "Nothing was changed.")
            return redirect("cluster_aims", cluster_id)
    return render(
        request, "clusters/aim_form.html", {"cluster": access.cluster, "form": form, "aim": aim}
    )


# --- Our year --------------------------------------------------------------------------


#: The years the chooser offers: a cluster's story is told for the years it has had.
YEARS_SHOWN = 10


@login_required
@require_safe
@memo.kept_page
def our_year(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = get_access_for(request.user, cluster_id)
    require(access.can_read_the_year, "Agree to the cluster's ground rules first")
    cluster = access.cluster
    this_year = Year.of(timezone.localdate()).start_year
    first = max(
        Year.of(timezone.localdate(cluster.created_at)).start_year, this_year - YEARS_SHOWN + 1
    )
    years = list(range(this_year, first - 1, -1))
    form = YearChoiceForm(request.GET)
    start_year = this_year
    if form.is_valid() and form.cleaned_data["year"] is not None:
        start_year = form.cleaned_data["year"]
        if start_year not in years:
            messages.info(
                request,
                f"The cluster has no story for {Year(start_year).name}: here is "
                f"{Year(this_year).name}.",
            )
            start_year = this_year
    elif not form.is_valid():
        messages.error(request, f"There is no year like that: here is {Year(this_year).name}.")
    year = Year(start_year)
    sections = gather(cluster, request.user, year)
    terms, whole = by_term(sections, year, timezone.localdate())
    return render(
        request,
        "clusters/our_year.html",
        {
            "cluster": cluster,
            "year": year,
            "years": [Year(y) for y in years],
            "sections": sections,
            "terms": terms,
            "whole": whole,
        },
    )
