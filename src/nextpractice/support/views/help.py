"""The safety net: asking for help, answering it, and what leaders have been through."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nextpractice.core import memo
from nextpractice.core.once import new_key
from nextpractice.core.types import AuthedHttpRequest

from .. import services
from ..access import cluster_access, get_help_for
from ..forms import (
    ExperienceForm,
    HelpForm,
    RemoveExperienceForm,
    ReplyForm,
    ResolveForm,
    SearchForm,
)
from ..models import Experience, HelpRequest
from .common import page_of


@login_required
@require_safe
def help_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    search = SearchForm(request.GET)
    if search.errors:
        return render(
            request, "support/help_list.html", _help_context(request, access, search), status=400
        )
    # Rendered once and kept until something it read is written (core.memo).
    return memo.page(
        request,
        "support/help_list.html",
        lambda: _help_context(request, access, search),
    )


def _help_context(request: AuthedHttpRequest, access: Any, search: SearchForm) -> dict[str, Any]:
    visible = HelpRequest.objects.in_cluster(request.user, access.cluster.pk)
    q = search.query()
    library = visible.filter(resolved_at__isnull=False)
    if q:
        library = (
            library.filter(title__icontains=q)
            | library.filter(what_happened__icontains=q)
            | library.filter(what_helped__icontains=q)
        )
    return {
        "cluster": access.cluster,
        "access": access,
        "search": search,
        "open": list(visible.filter(resolved_at=None).select_related("requester")[:50]),
        "library": page_of(request, library.select_related("requester").order_by("-resolved_at")),
        "q": q,
        "figures": services.help_figures(request.user, access.cluster),
    }


@login_required
@require_http_methods(["GET", "POST"])
def help_new(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    if not access.can_ask_for_help:
        raise PermissionDenied
    form = HelpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            help_request = services.ask_for_help(
                access.cluster,
                request.user,
                data["title"],
                data["what_happened"],
                data["topics"],
                data["urgency"],
                data["to_facilitator"],
                once_key=form.once_key(),
            )
        except services.SupportError as e:
            form.add_error(None, str(e))
        else:
            # The same words for a repeat of the same form: it was sent, once.
            messages.success(
                request,
                "Sent to everyone in the cluster now."
                if data["urgency"] == "urgent"
                else "Sent to the cluster.",
            )
            return redirect("help_detail", help_request.pk)
    return render(
        request,
        "support/help_new.html",
        {"cluster": access.cluster, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
def help_detail(request: AuthedHttpRequest, help_id: int) -> HttpResponse:
    access = get_help_for(request.user, help_id)
    help_request = access.help
    services.mark_read(request.user, reverse("help_detail", args=[help_id]))
    return render(
        request,
        "support/help_detail.html",
        {
            "help": help_request,
            "cluster": access.cluster,
            "access": access,
            "replies": list(help_request.replies.select_related("author")),
            "topics": list(help_request.topics.all()),
            "helpers": services.who_could_help(help_request),
            "requester_phone": services.requester_phone(help_request),
            "resolve_form": ResolveForm(),
            # One-time keys for the two answer forms drawn by hand in the template: a
            # double click on "I'll call you" tells the person once.
            "call_key": new_key(),
            "reply_key": new_key(),
        },
    )


@login_required
@require_POST
def help_reply(request: AuthedHttpRequest, help_id: int) -> HttpResponse:
    access = get_help_for(request.user, help_id)
    if not access.can_reply:
        messages.error(request, "This request is resolved.")
        return redirect("help_detail", help_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write your answer in up to 5,000 characters.")
        return redirect("help_detail", help_id)
    try:
        services.answer_help(
            access.help,
            request.user,
            form.cleaned_data["text"],
            calling=form.calling,
            once_key=form.once_key(),
        )
    except services.SupportError as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request,
            f"{access.help.requester.get_short_name()} has been told you are calling."
            if form.calling
            else "Your answer is posted.",
        )
    return redirect("help_detail", help_id)


@login_required
@require_POST
def help_resolve(request: AuthedHttpRequest, help_id: int) -> HttpResponse:
    access = get_help_for(request.user, help_id)
    if not access.can_resolve:
        raise PermissionDenied("Only the person who asked marks it resolved")
    form = ResolveForm(request.POST)
    if form.is_valid():
        services.resolve_help(access.help, request.user, form.cleaned_data["what_helped"])
        messages.success(
            request, "Resolved, and added to the cluster's library. We hope it went well."
        )
    else:
        messages.error(
            request, "Write what helped (up to 3,000 characters): it is how the cluster learns."
        )
    return redirect("help_detail", help_id)


@login_required
@require_http_methods(["GET", "POST"])
def experiences(request: AuthedHttpRequest) -> HttpResponse:
    form = ExperienceForm()
    status = 200
    if request.method == "POST":
        if "delete" in request.POST:
            remove = RemoveExperienceForm(request.POST, user=request.user)
            if remove.is_valid():
                services.remove_experience(request.user, remove.cleaned_data["delete"])
            return redirect("experiences")
        form = ExperienceForm(request.POST)
        if form.is_valid():
            services.add_experience(request.user, **form.cleaned_data)
            messages.success(request, "Recorded: colleagues in the same spot will find you.")
            return redirect("experiences")
        status = 400
    return render(
        request,
        "support/experiences.html",
        {
            "form": form,
            "items": list(Experience.objects.filter(user=request.user).select_related("topic")),
        },
        status=status,
    )
