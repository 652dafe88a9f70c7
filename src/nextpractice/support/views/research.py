"""The research shelf: sharing a piece, taking something from it, raising it at a meeting."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from nextpractice.core.types import AuthedHttpRequest
from nextpractice.meetings import services as meeting_services

from .. import services
from ..access import cluster_access, get_research_for
from ..forms import ResearchForm, TakeawayForm
from ..models import ResearchPiece
from .common import page_of


@login_required
@require_http_methods(["GET", "POST"])
def research_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    form = ResearchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not access.can_share:
            raise PermissionDenied
        try:
            piece = services.share_research(access.cluster, request.user, **form.cleaned_data)
        except services.SupportError as e:
            form.add_error(None, str(e))
        else:
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
