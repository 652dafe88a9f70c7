"""Successes and shout-outs, and what a leader has achieved."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from nextpractice.core import memo
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.meetings import planner

from .. import services
from ..access import cluster_access
from ..forms import SpanForm, SuccessForm
from ..models import Success
from .common import page_of


@login_required
@require_http_methods(["GET", "POST"])
def successes(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    cluster = access.cluster
    if request.method != "POST":
        # Rendered once and kept until something it read is written (core.memo).
        return memo.page(
            request,
            "support/successes.html",
            lambda: _successes_context(request, access, _success_form(request, access)[0]),
        )
    if not access.can_record_success:
        raise PermissionDenied
    form, people, related = _success_form(request, access)
    if form.is_valid():
        about = next((p for p in people if p.pk == form.cleaned_data["about"]), request.user)
        link = related.get(form.cleaned_data["related"] or "", ("", {}))[1]
        try:
            services.record_success(
                cluster,
                request.user,
                about,
                form.cleaned_data["text"],
                once_key=form.once_key(),
                **link,
            )
        except services.SupportError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Recorded. Thank you for noticing.")
            return redirect("successes", cluster.pk)
    return render(
        request, "support/successes.html", _successes_context(request, access, form), status=400
    )


def _success_form(
    request: AuthedHttpRequest, access: Any
) -> tuple[SuccessForm, list[Any], dict[str, Any]]:
    people = services.members_of(access.cluster, facilitator=False)
    related = services.success_links(access.cluster, request.user)
    form = SuccessForm(
        request.POST or None,
        people=people,
        me=request.user,
        related=[(k, label) for k, (label, _) in related.items()],
    )
    return form, people, related


def _successes_context(
    request: AuthedHttpRequest, access: Any, form: SuccessForm
) -> dict[str, Any]:
    items = Success.objects.in_cluster(request.user, access.cluster.pk).select_related(
        "author", "about"
    )
    return {
        "cluster": access.cluster,
        "access": access,
        "form": form,
        "page": page_of(request, items),
    }


@login_required
@require_safe
@memo.kept_page
def achievements(request: AuthedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    span = SpanForm(request.GET).span()
    since = (
        services.term_start(today)
        if span == SpanForm.TERM
        else planner.academic_year(planner.academic_year_of(today)).start
    )
    return render(
        request,
        "support/achievements.html",
        {"since": since, "span": span, **services.achievements(request.user, since)},
    )
