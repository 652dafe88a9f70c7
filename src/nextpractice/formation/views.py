from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nextpractice.clusters import services as cluster_services
from nextpractice.clusters.models import Cluster
from nextpractice.core.forms import is_id
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.directory.access import get_area_for
from nextpractice.directory.models import LeaderProfile

from . import services
from .forms import JoinClusterForm, MoveForm, OptInForm, PublishForm, RoundForm, WishForm
from .models import FormationRound, RoundStatus

MENU_LIMIT = 12


def get_round_for(request: AuthedHttpRequest, area_id: int, round_id: int) -> FormationRound:
    """A round of an area the user coordinates; anyone else gets 404."""
    area = get_area_for(request.user, area_id)
    round_ = (
        FormationRound.objects.filter(pk=round_id, area=area).select_related("area").first()
        if is_id(round_id)
        else None
    )
    if round_ is None:
        raise Http404("No such round")
    return round_


@login_required
@require_http_methods(["GET", "POST"])
def rounds(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    area = get_area_for(request.user, area_id)
    form = RoundForm(request.POST or None, initial={"name": f"{area} clusters"})
    if request.method == "POST" and form.is_valid():
        round_ = services.create_round(area, request.user, form)
        return redirect("formation_round", area.pk, round_.pk)
    return render(
        request,
        "formation/rounds.html",
        {
            "area": area,
            "form": form,
            "rounds": FormationRound.objects.filter(area=area),
        },
    )


@login_required
@require_safe
def round_detail(request: AuthedHttpRequest, area_id: int, round_id: int) -> HttpResponse:
    round_ = get_round_for(request, area_id, round_id)
    show = round_.status in {RoundStatus.PROPOSED, RoundStatus.PUBLISHED}
    # The pool, with its ratings and topics, is read once and serves every part of the page.
    profiles = list(services.pool(round_))
    view = services.overview(round_, profiles) if show else None
    return render(
        request,
        "formation/round.html",
        {
            "round": round_,
            "area": round_.area,
            "view": view,
            "groups": view.groups if view else [],
            "movable": [g for g in view.groups if not g.locked] if view else [],
            # A menu of every cluster beside every leader is fine for a few clusters; for an
            # authority's 300 it would be 450,000 options: then one form per cluster.
            "menus": view is not None and len(view.groups) <= MENU_LIMIT,
            "pool_size": len(profiles),
            "flagged": services.flagged(profiles),
            "approximate": services.approximately_located(profiles),
            "experience_note": services.experience_note(round_, profiles),
            "opt_ins": {
                "joining": round_.opt_ins.filter(joining=True).count(),
                "not_joining": round_.opt_ins.filter(joining=False).count(),
                "leaders": services.area_leaders(round_).count(),
            },
            "wishes": round_.wishes.select_related("leader", "other"),
            "wish_form": WishForm(pool=services.pool(round_).prefetch_related(None)),
            "answers": services.invitation_answers(round_)
            if round_.status == RoundStatus.PUBLISHED
            else None,
        },
    )


@login_required
@require_safe
def round_progress(request: AuthedHttpRequest, area_id: int, round_id: int) -> HttpResponse:
    round_ = get_round_for(request, area_id, round_id)
    response = render(request, "formation/_progress.html", {"round": round_})
    if not round_.is_running:
        response["HX-Refresh"] = "true"  # finished or stopped: show the proposal or why
    return response


def _act(
    request: AuthedHttpRequest, round_: FormationRound, action: object, done: str
) -> HttpResponse:
    try:
        action()  # type: ignore[operator]
    except services.FormationError as e:
        messages.error(request, str(e))
    else:
        if done:
            messages.success(request, done)
    return redirect("formation_round", round_.area_id, round_.pk)


@login_required
@require_POST
def round_run(request: AuthedHttpRequest, area_id: int, round_id: int) -> HttpResponse:
    round_ = get_round_for(request, area_id, round_id)
    return _act(request, round_, lambda: services.start(round_, request.user), "")


@login_required
@require_POST
def round_move(request: AuthedHttpRequest, area_id: int, round_id: int) -> HttpResponse:
    round_ = get_round_for(request, area_id, round_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a leader and a cluster to move them to.")
        return redirect("formation_round", area_id, round_id)
    return _act(
        request,
        round_,
        lambda: services.move(
            round_,
            request.user,
            form.cleaned_data["user"],
            form.cleaned_data["group"],
            number=form.cleaned_data["number"],
        ),
        "Moved.",
    )


@login_required
@require_POST
def round_lock(request: AuthedHttpRequest, area_id: int, round_id: int, group: int) -> HttpResponse:
    round_ = get_round_for(request, area_id, round_id)
    return _act(request, round_, lambda: services.toggle_lock(round_, request.user, group), "")


@login_required
@require_safe
def round_publish_confirm(request: AuthedHttpRequest, area_id: int, round_id: int) -> HttpResponse:
    """What publishing will do, and the one button that does it."""
    round_ = get_round_for(request, area_id, round_id)
    context: dict[str, object] = {"round": round_, "area": round_.area}
    if round_.status == RoundStatus.PROPOSED:
        view = services.overview(round_, list(services.pool(round_)))
        context |= {
            "view": view,
            "summary": services.publish_summary(round_, view),
            "form": PublishForm(initial={"proposal": view.fingerprint}),
        }
    return render(request, "formation/publish.html", context)


@login_required
@require_POST
def round_publish(request: AuthedHttpRequest, area_id: int, round_id: int) -> HttpResponse:
    round_ = get_round_for(request, area_id, round_id)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Read the summary and confirm from there.")
        return redirect("formation_publish_confirm", area_id, round_id)
    try:
        services.publish(round_, request.user, seen=form.cleaned_data["proposal"])
    except services.FormationError as e:
        round_.refresh_from_db(fields=["status"])
        if round_.status == RoundStatus.PUBLISHED:
            # A second click (or a second tab) after the first published: nothing more
            # happened, and the coordinator is told it is done, not that it failed.
            messages.info(request, "This round is already published; nothing was sent twice.")
        else:
            messages.error(request, str(e))
            return redirect("formation_publish_confirm", area_id, round_id)
    else:
        messages.success(
            request,
            "Published: the invitations are in the outbox and go out over the next few minutes.",
        )
    return redirect("formation_round", area_id, round_id)


@login_required
@require_POST
def round_wish(request: AuthedHttpRequest, area_id: int, round_id: int) -> HttpResponse:
    round_ = get_round_for(request, area_id, round_id)
    form = WishForm(request.POST, pool=services.pool(round_))
    if not form.is_valid():
        messages.error(request, "Choose two leaders and what the first one wishes.")
        return redirect("formation_round", area_id, round_id)
    return _act(
        request,
        round_,
        lambda: services.add_wish(
            round_,
            request.user,
            form.cleaned_data["leader"].user_id,
            form.cleaned_data["other"].user_id,
            form.cleaned_data["kind"],
        ),
        "The wish is recorded; it counts from the next run.",
    )


@login_required
@require_POST
def round_wish_delete(
    request: AuthedHttpRequest, area_id: int, round_id: int, wish_id: int
) -> HttpResponse:
    round_ = get_round_for(request, area_id, round_id)
    if not is_id(wish_id):
        raise Http404("No such wish")
    return _act(request, round_, lambda: services.delete_wish(round_, request.user, wish_id), "")


@login_required
@require_http_methods(["GET", "POST"])
def find_cluster(request: AuthedHttpRequest) -> HttpResponse:
    """ "Find me a cluster": clusters of my area with room, best fit first; ask to join."""
    profile = (
        LeaderProfile.objects.filter(user=request.user).select_related("setting__area").first()
    )
    if profile is None or profile.completed_at is None or profile.setting is None:
        messages.info(
            request,
            "Fill in your profile, and ask your coordinator to confirm your setting, "
            "to be matched.",
        )
        return redirect("profile_edit")
    fits = services.clusters_with_room(profile)
    if request.method == "POST":
        offered = Cluster.objects.filter(pk__in=[f.cluster.pk for f in fits if not f.requested])
        form = JoinClusterForm(request.POST, offered=offered)
        if not form.is_valid() and "cluster" in form.errors:
            # Not one the page offered (full, one's own, another area's): as if none.
            raise Http404("No such cluster with room")
        if not form.is_valid():
            messages.error(request, "Choose a cluster with room, and keep the note short.")
            return redirect("find_cluster")
        try:
            cluster_services.ask_to_join(
                form.cleaned_data["cluster"], request.user, form.cleaned_data["message"]
            )
        except cluster_services.ClusterError as e:
            messages.error(request, str(e))
        else:
            messages.success(
                request, f"Your request has gone to the members of {form.cleaned_data['cluster']}."
            )
        return redirect("find_cluster")
    return render(
        request,
        "formation/find.html",
        {"fits": fits, "area": profile.setting.area, "min_described": services.MIN_DESCRIBED},
    )


@login_required
@require_POST
def round_invite(request: AuthedHttpRequest, area_id: int, round_id: int) -> HttpResponse:
    round_ = get_round_for(request, area_id, round_id)

    def send() -> None:
        count = services.invite_to_opt_in(round_, request.user)
        messages.success(request, f"{count} leader{'s' if count != 1 else ''} invited to opt in.")

    return _act(request, round_, send, "")


@login_required
@require_http_methods(["GET", "POST"])
def opt_in(request: AuthedHttpRequest, round_id: int) -> HttpResponse:
    """A leader of the round's area says whether to be matched."""
    round_ = (
        FormationRound.objects.filter(pk=round_id, area__settings__leaders__user=request.user)
        .select_related("area")
        .first()
        if is_id(round_id)
        else None
    )
    if round_ is None or round_.opt_in_by is None:
        raise Http404("No such round")
    if request.method == "POST":
        form = OptInForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say whether you want to be matched.")
            return redirect("formation_opt_in", round_id)
        try:
            services.answer_opt_in(round_, request.user, form.cleaned_data["joining"])
        except services.FormationError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, "Thank you: your answer is recorded.")
        return redirect("formation_opt_in", round_id)
    answer = round_.opt_ins.filter(user=request.user).first()
    profile = LeaderProfile.objects.filter(user=request.user).first()
    return render(
        request,
        "formation/opt_in.html",
        {
            "round": round_,
            "answer": answer,
            "profile_done": profile is not None and profile.completed_at is not None,
        },
    )
