"""The research shelf and ideas: sharing, taking something away, trying an idea."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from nextpractice.core.types import AuthedHttpRequest
from nextpractice.meetings import services as meeting_services

from .. import services
from ..access import cluster_access, get_idea_for, get_research_for
from ..forms import IdeaForm, ResearchForm, TakeawayForm, TrialForm
from ..models import Idea, IdeaTrial, ResearchPiece
from .common import page_of


@login_required
@require_http_methods(["GET", "POST"])
def research_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    form = ResearchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not access.can_share:
            raise PermissionDenied
        piece = services.share_research(access.cluster, request.user, **form.cleaned_data)
        return redirect("research_detail", piece.pk)
    items = (
        ResearchPiece.objects.in_cluster(request.user, cluster_id)
        .select_related("added_by")
        .prefetch_related("topics")
    )
    return render(
        request,
        "support/research_list.html",
        {
            "cluster": access.cluster,
            "access": access,
            "form": form,
            "page": page_of(request, items),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def research_detail(request: AuthedHttpRequest, piece_id: int) -> HttpResponse:
    piece, access = get_research_for(request.user, piece_id)
    form = TakeawayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_takeaway(piece, request.user, form.cleaned_data["text"])
        except services.SupportError as e:
            form.add_error("text", str(e))
        else:
            return redirect("research_detail", piece.pk)
    next_meeting = meeting_services.next_meeting(piece.cluster_id, open_notes=True)
    return render(
        request,
        "support/research_detail.html",
        {
            "piece": piece,
            "cluster": access.cluster,
            "access": access,
            "form": form,
            "next_meeting": next_meeting,
            "takeaways": list(piece.takeaways.select_related("author")),
            "topics": list(piece.topics.all()),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def research_to_agenda(request: AuthedHttpRequest, piece_id: int) -> HttpResponse:
    piece, _ = get_research_for(request.user, piece_id)
    try:
        meeting, _item = services.research_to_agenda(piece, request.user)
    except services.SupportError as e:
        messages.error(request, str(e))
        return redirect("research_detail", piece.pk)
    messages.success(
        request, f"On the agenda for {meeting.local_start:%-d %B} as a research prompt."
    )
    return redirect("meeting_detail", meeting.pk)


@login_required
@require_http_methods(["GET", "POST"])
def idea_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    form = IdeaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not access.can_share:
            raise PermissionDenied
        idea = services.share_idea(access.cluster, request.user, **form.cleaned_data)
        return redirect("idea_detail", idea.pk)
    items = (
        Idea.objects.in_cluster(request.user, cluster_id)
        .select_related("author")
        .prefetch_related(
            Prefetch("trials", queryset=IdeaTrial.objects.unscoped().select_related("setting"))
        )
    )
    return render(
        request,
        "support/idea_list.html",
        {
            "cluster": access.cluster,
            "access": access,
            "form": form,
            "page": page_of(request, items),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def idea_detail(request: AuthedHttpRequest, idea_id: int) -> HttpResponse:
    access = get_idea_for(request.user, idea_id)
    idea = access.idea
    mine = (
        IdeaTrial.objects.in_cluster(request.user, idea.cluster_id)
        .filter(idea=idea, user=request.user)
        .first()
    )
    form = TrialForm(request.POST or None, initial={"result": mine.result if mine else "trying"})
    if request.method == "POST":
        if not access.can_try:
            raise PermissionDenied("This is your own idea: others try it.")
        if form.is_valid():
            services.try_idea(
                idea, request.user, form.cleaned_data["result"], form.cleaned_data["note"]
            )
            messages.success(request, "Thank you: the idea's travels are updated.")
            return redirect("idea_detail", idea.pk)
    return render(
        request,
        "support/idea_detail.html",
        {
            "idea": idea,
            "cluster": access.cluster,
            "access": access,
            "form": form,
            "mine": mine,
            "trials": list(idea.trials.select_related("user", "setting")),
        },
        status=400 if form.is_bound else 200,
    )
