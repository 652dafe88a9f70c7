from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nextpractice.accounts.models import Invitation, User
from nextpractice.core import memo
from nextpractice.core.types import AuthedHttpRequest

from . import gias, imports, services
from .access import get_area_for, get_claim_for, get_import_for, get_own_setting
from .forms import (
    ChooseSettingsForm,
    ClaimSettingForm,
    DecideForm,
    DirectorySearchForm,
    ImportForm,
    InviteLeadersForm,
    InviteUploadForm,
    LeadersOfSettingsForm,
    NextForm,
    PrivateDetailsForm,
    ProfileForm,
    SettingForm,
    WithdrawClaimForm,
)
from .models import Area, LeaderProfile, PrivateSettingDetails, Setting, SettingClaim


def _settings_to_choose(user: User) -> QuerySet[Setting]:
    """Settings a leader may ask to be confirmed for: open ones in the areas they are
    connected with (invited to, or a member of a cluster there). Nobody else's area."""
    area_ids = set(Invitation.objects.of(user).exclude(area=None).values_list("area_id", flat=True))
    area_ids |= set(user.memberships.current().values_list("cluster__area_id", flat=True))
    own = get_own_setting(user)
    if own is not None:
        area_ids.add(own.area_id)
    return Setting.objects.filter(is_open=True, area_id__in=area_ids).select_related("area")


def _next_url(request: HttpRequest, default: str) -> str:
    form = NextForm(request.POST if request.method == "POST" else request.GET)
    target = form.cleaned_data.get("next", "") if form.is_valid() else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return str(target)
    return default


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthedHttpRequest) -> HttpResponse:
    user: User = request.user
    profile = LeaderProfile.objects.filter(user=user).first() or LeaderProfile(user=user)
    form = ProfileForm(request.POST or None, instance=profile, user=user)
    if request.method == "POST" and form.is_valid():
        services.save_profile(user, form)
        messages.success(request, "Your profile is saved.")
        return redirect(_next_url(request, "/"))
    return render(
        request,
        "directory/profile_form.html",
        {
            "form": form,
            "next": _next_url(request, ""),
            "own_setting": get_own_setting(user),
            "claim": SettingClaim.objects.filter(user=user, state=SettingClaim.PENDING)
            .select_related("setting")
            .first(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def setting_claim(request: AuthedHttpRequest) -> HttpResponse:
    """ "I lead this setting": ask the area's coordinator to confirm it (or withdraw)."""
    user: User = request.user
    pending = (
        SettingClaim.objects.filter(user=user, state=SettingClaim.PENDING)
        .select_related("setting")
        .first()
    )
    form = ClaimSettingForm(request.POST or None, settings_qs=_settings_to_choose(user))
    if request.method == "POST" and pending is not None:
        if not WithdrawClaimForm(request.POST).is_valid():
            messages.error(request, "Your request is still waiting: withdraw it first.")
            return redirect("setting_claim")
        try:
            services.withdraw_claim(user)
        except services.DirectoryError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, "Your request is withdrawn.")
        return redirect("setting_claim")
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_setting(user, form.cleaned_data["setting"])
        except services.DirectoryError as e:
            form.add_error("setting", str(e))
        else:
            messages.success(
                request, "Your request has gone to the area's coordinator, who will confirm it."
            )
            return redirect("profile_edit")
    return render(
        request,
        "directory/setting_claim.html",
        {"form": form, "pending": pending, "own_setting": get_own_setting(user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def setting_edit(request: AuthedHttpRequest) -> HttpResponse:
    setting = get_own_setting(request.user)
    if setting is None:
        messages.info(
            request, "Ask to be confirmed as your setting's leader first: your coordinator decides."
        )
        return redirect("setting_claim")
    if setting.redacted:
        return _private_details_edit(request, setting)
    form = SettingForm(request.POST or None, instance=setting)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_setting(request.user, setting, form)
        except services.DirectoryError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Your setting's details are saved.")
            return redirect("home")
    return render(request, "directory/setting_form.html", {"form": form, "setting": setting})


def _private_details_edit(request: AuthedHttpRequest, setting: Setting) -> HttpResponse:
    """A childminder's setting, published without name or address: she gives them here,
    kept apart from the area's directory (her cluster sees them)."""
    details = PrivateSettingDetails.objects.of_leader(request.user).filter(setting=setting).first()
    initial = {"name": details.name, "postcode": details.postcode} if details else None
    form = PrivateDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_private_details(request.user, setting, form)
        except services.DirectoryError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Your setting's details are saved.")
            return redirect("home")
    return render(
        request,
        "directory/private_details_form.html",
        {"form": form, "setting": setting},
        status=400 if form.is_bound and form.errors else 200,
    )


PAGE_SIZE = 30
# Clusters are listed a page at a time too: the page stays small in a large area.
CLUSTER_PAGE_SIZE = 25


@login_required
@require_safe
def area_directory(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    """The coordinator's view: settings, leaders' names, cluster names and sizes only."""
    area = get_area_for(request.user, area_id)
    search = DirectorySearchForm(request.GET)
    if not search.is_valid():
        return HttpResponseBadRequest("Search for a name, URN or postcode of up to 100 letters.")
    # HTMX search-as-you-type swaps in just the table; without JavaScript the form reloads.
    template = "directory/_settings_table.html" if request.htmx else "directory/area.html"
    # Rendered once and kept until something it read is written (core.memo).
    response = memo.page(request, template, lambda: _directory_context(area, search.cleaned_data))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _directory_context(area: Area, asked: dict[str, Any]) -> dict[str, Any]:
    query = asked["q"] or ""
    settings_qs = area.settings.filter(is_open=True).prefetch_related(
        Prefetch("leaders", queryset=LeaderProfile.objects.select_related("user"))
    )
    if query:
        settings_qs = settings_qs.filter(
            Q(name__icontains=query)
            | Q(urn__iexact=query)
            | Q(ofsted_urn__iexact=query)
            | Q(postcode__istartswith=query)
        )
    page = Paginator(settings_qs, PAGE_SIZE).get_page(asked["page"])
    # Through the reverse relation: the directory sits under clusters.
    clusters = Paginator(area.clusters.with_sizes().order_by("name", "pk"), CLUSTER_PAGE_SIZE)
    cluster_page = clusters.get_page(asked["clusters"])
    return {
        "area": area,
        "page": page,
        "clusters": cluster_page,
        "query": query,
        # Unsearched, the paginator has counted them already.
        "setting_count": page.paginator.count
        if not query
        else area.settings.filter(is_open=True).count(),
        "claims": services.pending_claims(area),
        "decide_form": DecideForm(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def area_import(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    """Upload a GIAS file: checked at once, imported by the worker (a big file takes longer
    than a web request may), then the job's page shows progress and the report."""
    area = get_area_for(request.user, area_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.start(
                area, request.user, form.cleaned_data["file"], form.cleaned_data["register"]
            )
        except gias.ImportFileError as e:
            form.add_error("file", str(e))
        else:
            return redirect("area_import_job", area.pk, job.pk)
    return render(
        request,
        "directory/import.html",
        {"area": area, "form": form, "recent": area.imports.defer("data")[:5]},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
def area_import_job(request: AuthedHttpRequest, area_id: int, import_id: int) -> HttpResponse:
    """An import's progress, then its report; HTMX polls the progress part, and without
    JavaScript the page is reloaded."""
    area = get_area_for(request.user, area_id)
    job = get_import_for(area, import_id)
    template = "directory/_import_job.html" if request.htmx else "directory/import_job.html"
    response = render(request, template, {"area": area, "job": job})
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def area_invite(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    area = get_area_for(request.user, area_id)
    form = InviteLeadersForm(request.POST or None, area=area)
    sent: list[str] = []
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        for email in form.cleaned_data["emails"]:
            try:
                services.invite_to_platform(area, request.user, email, form.cleaned_data["setting"])
            except services.DirectoryError as e:
                problems.append(str(e))
            else:
                sent.append(email)
        if sent:
            messages.success(request, f"{len(sent)} invitation(s) sent.")
    return render(
        request,
        "directory/invite.html",
        {"area": area, "form": form, "sent": sent, "problems": problems},
    )


@login_required
@require_POST
def area_claim_decide(request: AuthedHttpRequest, area_id: int, claim_id: int) -> HttpResponse:
    """The coordinator approves or declines a leader's "I lead this setting"."""
    area = get_area_for(request.user, area_id)
    claim = get_claim_for(area, claim_id)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose to approve or decline the request.")
        return redirect("area_directory", area.pk)
    try:
        services.decide_claim(claim, request.user, form.cleaned_data["approve"])
    except services.DirectoryError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "Your answer is recorded, and the leader is told.")
    return redirect("area_directory", area.pk)


@login_required
@require_http_methods(["GET", "POST"])
def area_invite_settings(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    """The settings ticked in the directory: an address (and name) for each one's leader,
    then one invitation each, bound to its setting; all sent, or none."""
    area = get_area_for(request.user, area_id)
    choose = ChooseSettingsForm(
        request.POST if request.method == "POST" else request.GET, area=area
    )
    if not choose.is_valid():
        return render(
            request,
            "directory/invite_settings.html",
            {"area": area, "choose": choose, "form": None},
            status=400,
        )
    chosen: list[Setting] = choose.cleaned_data["setting"]
    form = LeadersOfSettingsForm(
        request.POST if request.method == "POST" else None, settings_chosen=chosen
    )
    if request.method == "POST" and form.is_valid():
        leaders = [
            services.LeaderToInvite(setting, email, name, row)
            for row, (setting, email, name) in enumerate(form.leaders(), start=1)
        ]
        try:
            services.invite_leaders(area, request.user, leaders)
        except services.BulkInviteError as e:
            for problem in e.problems:
                form.add_error(None, problem)
        else:
            messages.success(request, f"{len(leaders)} invitation(s) sent.")
            return redirect("area_directory", area.pk)
    return render(
        request,
        "directory/invite_settings.html",
        {"area": area, "choose": choose, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def area_invite_upload(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    """Invite leaders from a list of ``urn,email,name``; all sent, or none."""
    area = get_area_for(request.user, area_id)
    form = InviteUploadForm(request.POST or None, request.FILES or None, area=area)
    if request.method == "POST" and form.is_valid():
        leaders = [
            services.LeaderToInvite(setting, email, name, row)
            for row, setting, email, name in form.cleaned_data["file"]
        ]
        try:
            services.invite_leaders(area, request.user, leaders)
        except services.BulkInviteError as e:
            for problem in e.problems:
                form.add_error("file", problem)
        else:
            messages.success(request, f"{len(leaders)} invitation(s) sent.")
            return redirect("area_directory", area.pk)
    return render(
        request,
        "directory/invite_upload.html",
        {"area": area, "form": form},
        status=400 if form.is_bound else 200,
    )
