from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from nextpractice.accounts.models import Invitation, User
from nextpractice.audit.models import record
from nextpractice.clusters import services
from nextpractice.clusters.models import Cluster, Role
from nextpractice.core.types import AuthedHttpRequest

from . import gias
from .access import get_area_for, get_own_setting
from .forms import ImportForm, InviteLeadersForm, ProfileForm, SettingForm
from .models import LeaderProfile, Setting


def _settings_to_choose(user: User) -> QuerySet[Setting]:
    """Settings in the areas this person is connected with (or all, if none yet)."""
    area_ids = set(
        Invitation.objects.filter(email__iexact=user.email)
        .exclude(area=None)
        .values_list("area_id", flat=True)
    )
    area_ids |= set(Cluster.objects.for_member(user).values_list("area_id", flat=True))
    profile = LeaderProfile.objects.filter(user=user).select_related("setting").first()
    if profile and profile.setting:
        area_ids.add(profile.setting.area_id)
    qs = Setting.objects.filter(is_open=True)
    return qs.filter(area_id__in=area_ids) if area_ids else qs


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthedHttpRequest) -> HttpResponse:
    user: User = request.user
    profile = LeaderProfile.objects.filter(user=user).first() or LeaderProfile(user=user)
    form = ProfileForm(
        request.POST or None, instance=profile, user=user, settings_qs=_settings_to_choose(user)
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            record(user, "profile.updated", form.instance, f"{user} updated their profile")
        messages.success(request, "Your profile is saved.")
        return redirect(_next_url(request, "/"))
    return render(
        request, "directory/profile_form.html", {"form": form, "next": _next_url(request, "")}
    )


@login_required
@require_http_methods(["GET", "POST"])
def setting_edit(request: AuthedHttpRequest) -> HttpResponse:
    setting = get_own_setting(request.user)
    if setting is None:
        messages.info(request, "Choose your setting on your profile first.")
        return redirect("profile_edit")
    form = SettingForm(request.POST or None, instance=setting)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            record(request.user, "setting.updated", setting, f"{request.user} updated {setting}")
        messages.success(request, "Your setting's details are saved.")
        return redirect("home")
    return render(request, "directory/setting_form.html", {"form": form, "setting": setting})


PAGE_SIZE = 50


@login_required
@require_safe
def area_directory(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    """The coordinator's view: settings, leaders' names, cluster names and sizes only."""
    area = get_area_for(request.user, area_id)
    query = request.GET.get("q", "").strip()
    settings_qs = area.settings.filter(is_open=True).prefetch_related(
        Prefetch("leaders", queryset=LeaderProfile.objects.select_related("user"))
    )
    if query:
        settings_qs = settings_qs.filter(
            Q(name__icontains=query) | Q(urn__iexact=query) | Q(postcode__istartswith=query)
        )
    page = Paginator(settings_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    clusters = area.clusters.annotate(
        size=Count(
            "memberships", filter=Q(memberships__left_at=None, memberships__role=Role.MEMBER)
        )
    ).order_by("name")
    # HTMX search-as-you-type swaps in just the table; without JavaScript the form reloads.
    template = "directory/_settings_table.html" if request.htmx else "directory/area.html"
    response = render(
        request,
        template,
        {
            "area": area,
            "page": page,
            "clusters": clusters,
            "query": query,
            "setting_count": area.settings.filter(is_open=True).count(),
        },
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def area_import(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    area = get_area_for(request.user, area_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = gias.import_gias(form.cleaned_data["file"].read(), area=area)
        except gias.ImportFileError as e:
            form.add_error("file", str(e))
        else:
            record(
                request.user,
                "settings.imported",
                area,
                f"Imported {report.created} new and {report.updated} updated settings",
            )
    return render(request, "directory/import.html", {"area": area, "form": form, "report": report})


@login_required
@require_http_methods(["GET", "POST"])
def area_invite(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    area = get_area_for(request.user, area_id)
    form = InviteLeadersForm(request.POST or None)
    sent: list[str] = []
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        for email in form.cleaned_data["emails"]:
            try:
                services.invite_to_platform(area, request.user, email)
            except services.ClusterError as e:
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
