"""Ideas: what a setting tried, and another setting trying it and reporting back."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from nextpractice.core.types import AuthedHttpRequest

from .. import services
from ..access import cluster_access, get_idea_for
from ..forms import IdeaForm, TrialForm
from ..models import Idea, IdeaTrial
from .common import page_of


@login_required
@require_http_methods(["GET", "POST"])
def idea_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    form = IdeaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not access.can_share:
            raise PermissionDenied
        try:
            idea = services.share_idea(access.cluster, request.user, **form.cleaned_data)
        except services.SupportError as e:
            form.add_error(None, str(e))
        else:
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
