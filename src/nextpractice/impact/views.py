"""Check-ins, a person's own trend, a cluster's health, the coordinator's overview and the
area's figures. Thin: access from access.py, input through forms, writes through services,
figures from figures.py."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nextpractice.clusters.access import require
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.directory.models import Area

from . import figures, services
from .access import (
    area_for_figures,
    can_mark_outcome,
    cluster_health_access,
    open_check_in,
    require_programme,
)
from .forms import CheckInForm, OutcomeForm, ScheduleForm, TermDateForm
from .models import CheckInDate, CheckInSchedule, term_label


@login_required
@require_http_methods(["GET", "POST"])
def check_in(request: AuthedHttpRequest) -> HttpResponse:
    current = open_check_in(request.user)
    if current is None:
        return render(request, "impact/check_in_none.html")
    form = CheckInForm(request.POST or None, check_in=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer(
                current,
                request.user,
                form.scores(),
                form.helped(),
                bool(form.cleaned_data.get("share_helped")),
            )
        except services.ImpactError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Thank you. Your answers are saved.")
            return redirect("check_in_trend")
    return render(
        request,
        "impact/check_in.html",
        {"check_in": current, "form": form, "term": term_label(current.term)},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
def check_in_trend(request: AuthedHttpRequest) -> HttpResponse:
    trend = figures.own_trend(request.user)
    for row in trend["measures"]:
        row["svg"] = mark_safe(row["svg"])  # noqa: S308 - charts.py escapes every text
    return render(request, "impact/trend.html", {**trend, "open": open_check_in(request.user)})


@login_required
@require_safe
def cluster_health(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_health_access(request.user, cluster_id)
    return _health_page(request, access, OutcomeForm(successes=_own_successes(access)))


def _own_successes(access: Any) -> list[Any]:
    if not can_mark_outcome(access):
        return []
    return figures.successes_to_mark(access.cluster, access.user)


def _health_page(request: AuthedHttpRequest, access: Any, form: OutcomeForm) -> HttpResponse:
    health = figures.cluster_health(access.cluster, request.user)
    return render(
        request,
        "impact/health.html",
        {
            "cluster": access.cluster,
            "access": access,
            "can_mark": can_mark_outcome(access) and bool(form.successes),
            "form": form,
            "min_group": figures.MIN_GROUP,
            **health,
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def cluster_outcome(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_health_access(request.user, cluster_id)
    require(can_mark_outcome(access), "Members mark their own successes")
    form = OutcomeForm(request.POST, successes=_own_successes(access))
    if form.is_valid():
        try:
            services.mark_outcome(
                access.cluster, request.user, form.chosen(), form.cleaned_data["kind"]
            )
        except services.ImpactError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Marked as an outcome of the cluster's work.")
            return redirect("cluster_health", access.cluster.pk)
    return _health_page(request, access, form)


@login_required
@require_safe
def area_overview(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    area = area_for_figures(request.user, area_id)
    return render(
        request,
        "impact/overview.html",
        {"area": area, "min_group": figures.MIN_GROUP, **figures.area_overview(area)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def area_check_ins(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    area = area_for_figures(request.user, area_id)
    schedule = CheckInSchedule.objects.filter(area=area).first()
    today = timezone.localdate()
    form = ScheduleForm(
        request.POST or None,
        initial={"weeks_into_term": schedule.weeks_into_term if schedule else 6},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_schedule(area, request.user, form.cleaned_data["weeks_into_term"])
        except services.ImpactError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Saved.")
            return redirect("area_check_ins", area.pk)
    return _schedule_page(request, area, form, TermDateForm(today=today))


def _schedule_page(
    request: AuthedHttpRequest, area: Area, form: ScheduleForm, date_form: TermDateForm
) -> HttpResponse:
    today = timezone.localdate()
    terms = [t for t, _ in date_form.fields["term"].choices]  # type: ignore[attr-defined]
    chosen = {d.term: d.date for d in CheckInDate.objects.filter(area=area, term__in=terms)}
    upcoming = [
        {"term": term_label(t), "date": services.opens_on(area, t), "chosen": t in chosen}
        for t in terms
    ]
    return render(
        request,
        "impact/schedule.html",
        {"area": area, "form": form, "date_form": date_form, "upcoming": upcoming, "today": today},
        status=400 if form.is_bound or date_form.is_bound else 200,
    )


@login_required
@require_POST
def area_check_in_date(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    area = area_for_figures(request.user, area_id)
    date_form = TermDateForm(request.POST, today=timezone.localdate())
    if date_form.is_valid():
        try:
            services.set_term_date(
                area, request.user, date_form.cleaned_data["term"], date_form.cleaned_data["date"]
            )
        except services.ImpactError as e:
            date_form.add_error("date", str(e))
        else:
            messages.success(request, "Saved.")
            return redirect("area_check_ins", area.pk)
    return _schedule_page(request, area, ScheduleForm(), date_form)


def _all_areas() -> list[Area]:
    return list(Area.objects.order_by("name"))


def _scope(areas: list[Area], area: Area) -> int:
    return next(i for i, a in enumerate(areas) if a.pk == area.pk)


@login_required
@require_safe
def area_impact(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    area = area_for_figures(request.user, area_id)
    areas = _all_areas()
    return _figures_page(request, figures.area_figures(areas, _scope(areas, area)), area)


@login_required
@require_safe
def research_impact(request: AuthedHttpRequest) -> HttpResponse:
    require_programme(request.user)
    return _figures_page(request, figures.area_figures(_all_areas(), None), None)


def _figures_page(
    request: AuthedHttpRequest, found: dict[str, Any], area: Area | None
) -> HttpResponse:
    found["chart"] = mark_safe(found["chart"])  # noqa: S308 - charts.py escapes every text
    return render(
        request,
        "impact/figures.html",
        {"area": area, "min_group": figures.MIN_GROUP, **found},
    )


@login_required
@require_safe
def area_impact_csv(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    area = area_for_figures(request.user, area_id)
    areas = _all_areas()
    return _csv(figures.area_figures(areas, _scope(areas, area)), f"impact-{area.pk}.csv")


@login_required
@require_safe
def research_impact_csv(request: AuthedHttpRequest) -> HttpResponse:
    require_programme(request.user)
    return _csv(figures.area_figures(_all_areas(), None), "impact-programme.csv")


HIDDEN = "[c]"  # the ONS mark for a figure withheld to protect confidentiality


class _SafeWriter:
    """A csv writer that keeps a spreadsheet from reading a name (an area's, typed in the
    admin) as a formula: text starting with = + - @ is quoted with a leading apostrophe."""

    def __init__(self, out: io.StringIO) -> None:
        self.writer = csv.writer(out)

    def writerow(self, row: list[Any]) -> None:
        self.writer.writerow(
            [f"'{v}" if isinstance(v, str) and v[:1] in {"=", "+", "-", "@"} else v for v in row]
        )


def _csv(found: dict[str, Any], name: str) -> HttpResponse:
    """The same suppressed tables as the page: ``[c]`` where the page says "not shown"."""
    out = io.StringIO()
    writer = _SafeWriter(out)
    writer.writerow(["table", "row", "column", "value"])
    tables = [*found["count_tables"], found["responses"], found["outcomes"]]
    for t in tables:
        if not t:
            continue
        for row in t["rows"]:
            for column, v in zip(t["columns"], row["cells"], strict=True):
                writer.writerow([t["caption"], row["label"], column, HIDDEN if v is None else v])
        for column, v in zip(t["columns"], t["totals"], strict=False):
            writer.writerow([t["caption"], "Total", column, HIDDEN if v is None else v])
    writer.writerow([])
    writer.writerow(
        [
            "local authority",
            "clusters of 5 or more",
            "meetings held",
            "attendance %",
            "help requests answered",
            "median hours to a first answer",
        ]
    )
    for r in found["activity"]:
        writer.writerow(
            [
                r["area"],
                r["clusters"],
                r["meetings"],
                "" if r["attendance"] is None else r["attendance"],
                r["answered"],
                "" if r["median_hours"] is None else round(r["median_hours"], 1),
            ]
        )
    writer.writerow([])
    writer.writerow(["measure", "group", "leaders", "mean change", "95% low", "95% high"])
    for c in found["overall"]:
        writer.writerow([c["label"], "All", c["n"], *_three(c)])
    for b in found["breakdowns"]:
        for g in b["groups"]:
            for spec in found["specs"]:
                c = g["changes"].get(spec.key)
                n = HIDDEN if g["n"] is None else g["n"]
                if c is None:
                    writer.writerow([spec.label, g["label"], n, HIDDEN, HIDDEN, HIDDEN])
                else:
                    writer.writerow([spec.label, g["label"], c["n"], *_three(c)])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _three(c: dict[str, Any]) -> list[float]:
    # Numbers, not text: a negative change must stay a number in a spreadsheet.
    return [round(c["mean"], 2), round(c["low"], 2), round(c["high"], 2)]
