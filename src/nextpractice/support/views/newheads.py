"""Support for a new head: the cluster's page of new heads, her buddy and checklist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from nextpractice.clusters.access import require
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.core.words import possessive

from .. import induction, services
from ..access import (
    NewHeadAccess,
    cluster_access,
    get_induction_step_for,
    get_new_head_for,
)
from ..forms import InductionStepForm, NewHeadForm, TickForm
from ..models import InductionStep
from ..services import newheads


def _page(
    request: AuthedHttpRequest,
    cluster_id: int,
    *,
    me: NewHeadForm | None = None,
    step_form: InductionStepForm | None = None,
    status: int = 200,
) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    panel = newheads.new_heads_in(access.cluster, request.user)
    return render(
        request,
        "support/new_heads.html",
        {
            "cluster": access.cluster,
            "access": access,
            "panel": panel,
            "me": me or NewHeadForm(),
            "step_form": step_form or InductionStepForm(),
            "own_steps": list(
                InductionStep.objects.in_cluster(request.user, cluster_id).select_related(
                    "added_by"
                )
            ),
            "standard": induction.STANDARD,
            "max_own": induction.MAX_OWN_STEPS,
        },
        status=status,
    )


@login_required
@require_safe
def new_heads(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    response = _page(request, cluster_id)
    services.mark_read(request.user, request.path)
    return response


@login_required
@require_POST
def new_head_me(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    require(access.can_say_new, "A facilitator is not a head in the cluster")
    form = NewHeadForm(request.POST)
    if not form.is_valid():
        return _page(request, cluster_id, me=form, status=400)
    try:
        changed = services.say_new(access.cluster, request.user, new=form.is_new())
    except services.SupportError as e:
        form.add_error(None, str(e))
        return _page(request, cluster_id, me=form, status=400)
    if form.is_new():
        messages.success(
            request,
            "Your cluster knows you are new to headship: a colleague can offer to be your buddy."
            if changed
            else "Your cluster already knows you are new to headship.",
        )
    elif changed:
        messages.success(request, "Noted: you are no longer new to headship. Congratulations.")
    else:
        messages.success(request, "Noted. If that changes, say so on the cluster's page.")
    if not changed and not form.is_new():
        return redirect("cluster_detail", access.cluster.pk)
    return redirect("new_heads", access.cluster.pk)


@login_required
@require_POST
def new_head_step_add(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    require(access.can_edit_induction, "Agree the ground rules first")
    form = InductionStepForm(request.POST)
    if not form.is_valid():
        return _page(request, cluster_id, step_form=form, status=400)
    try:
        services.add_step(access.cluster, request.user, form.cleaned_data["text"])
    except services.SupportError as e:
        form.add_error("text", str(e))
        return _page(request, cluster_id, step_form=form, status=400)
    messages.success(request, "Added to every new head's checklist.")
    return redirect("new_heads", access.cluster.pk)


@login_required
@require_POST
def new_head_step_remove(request: AuthedHttpRequest, cluster_id: int, step_id: int) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    require(access.can_edit_induction, "Agree the ground rules first")
    step = get_induction_step_for(access, step_id)
    services.remove_step(step, request.user)
    messages.success(request, "Removed from the checklist.")
    return redirect("new_heads", access.cluster.pk)


@login_required
@require_safe
def new_head_detail(request: AuthedHttpRequest, new_head_id: int) -> HttpResponse:
    access = get_new_head_for(request.user, new_head_id)
    require(access.can_see_checklist, "A new head's checklist is for them and their buddy")
    services.mark_read(request.user, request.path)
    return _detail(request, access)


def _detail(request: AuthedHttpRequest, access: NewHeadAccess, status: int = 200) -> HttpResponse:
    return render(
        request,
        "support/new_head_detail.html",
        {
            "cluster": access.cluster,
            "access": access,
            "new_head": access.new_head,
            "buddy": access.buddy,
            "steps": newheads.checklist(access.new_head, request.user),
        },
        status=status,
    )


@login_required
@require_POST
def new_head_buddy(request: AuthedHttpRequest, new_head_id: int) -> HttpResponse:
    access = get_new_head_for(request.user, new_head_id)
    head = access.new_head.user
    if access.is_buddy:  # a second click: already done, calmly
        messages.success(request, f"You are {possessive(head.get_short_name())} buddy already.")
        return redirect("new_head_detail", access.new_head.pk)
    require(
        not access.is_new_head and not access.is_facilitator,
        "A buddy is a fellow member of the cluster",
    )
    try:
        services.volunteer(access.new_head, request.user)
    except services.SupportError as e:
        messages.error(request, str(e))
        return redirect("new_heads", access.cluster.pk)
    messages.success(
        request,
        f"Thank you: you are {possessive(head.get_short_name())} buddy. "
        f"{head.get_short_name()} has been told.",
    )
    return redirect("new_head_detail", access.new_head.pk)


@login_required
@require_POST
def new_head_buddy_end(request: AuthedHttpRequest, new_head_id: int) -> HttpResponse:
    access = get_new_head_for(request.user, new_head_id)
    require(access.can_end_buddy or access.buddy is None, "Only the two of them can end it")
    try:
        ended = services.end_buddy(access.new_head, request.user)
    except services.SupportError as e:  # pragma: no cover - the access check above says it
        messages.error(request, str(e))
        ended = False
    else:
        messages.success(request, "Ended." if ended else "That had already ended.")
    if access.is_new_head:
        return redirect("new_head_detail", access.new_head.pk)
    return redirect("new_heads", access.cluster.pk)


@login_required
@require_POST
def new_head_tick(request: AuthedHttpRequest, new_head_id: int) -> HttpResponse:
    access = get_new_head_for(request.user, new_head_id)
    require(access.can_see_checklist, "A new head's checklist is for them and their buddy")
    form = TickForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a step to tick.")
        return _detail(request, access, status=400)
    try:
        services.tick(
            access.new_head,
            request.user,
            form.cleaned_data["step"],
            done=form.cleaned_data["done"] == "yes",
        )
    except services.SupportError as e:
        messages.error(request, str(e))
        return _detail(request, access, status=400)
    return redirect("new_head_detail", access.new_head.pk)
