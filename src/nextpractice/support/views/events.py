"""Shared events and training days, and the setting's CPD record from them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nextpractice.clusters.access import require
from nextpractice.clusters.aims import open_aims
from nextpractice.clusters.models import Cluster, Membership
from nextpractice.core import memo
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.directory.access import get_own_setting
from nextpractice.directory.models import Setting
from nextpractice.meetings import planner

from .. import services
from ..access import cluster_access, get_event_for
from ..forms import (
    BookingForm,
    EventCancelForm,
    EventEditForm,
    EventForm,
    NumbersForm,
    TaskForm,
    TaskToggleForm,
)
from ..models import Event, EventKind, EventTask, Participation
from .common import page_of


def _cluster_settings(cluster: Cluster) -> list[Setting]:
    """The settings led by the cluster's current members: the possible hosts."""
    members = Membership.objects.unscoped().current().filter(cluster=cluster).values("user")
    return list(Setting.objects.filter(leaders__user__in=members).distinct().order_by("name"))


@login_required
@require_http_methods(["GET", "POST"])
def event_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    cluster = access.cluster
    settings_ = _cluster_settings(cluster)
    aims_ = open_aims(cluster, request.user)
    form = EventForm(request.POST or None, settings_=settings_, aims_=aims_)
    if request.method == "POST" and form.is_valid():
        if not access.can_share:
            raise PermissionDenied
        d = form.cleaned_data
        try:
            event = services.create_event(
                cluster,
                request.user,
                kind=d["kind"],
                title=d["title"],
                starts_at=planner.local_datetime(d["day"], d["start"]),
                ends_at=planner.local_datetime(d["day"], d["end"]),
                host_setting=next((s for s in settings_ if s.pk == d["host_setting"]), None),
                venue=d["venue"],
                for_children=d["for_children"],
                for_staff=d["for_staff"],
                for_families=d["for_families"],
                aim=d["aim"],
                served_aim=next((a for a in aims_ if a.pk == d["served_aim"]), None),
                capacity=d["capacity"],
                contacts=d["contacts"],
                once_key=form.once_key(),
            )
        except services.SupportError as e:
            form.add_error(None, str(e))
        else:
            return redirect("event_detail", event.pk)
    now = timezone.now()
    items = Event.objects.in_cluster(request.user, cluster_id).select_related("host_setting")
    return render(
        request,
        "support/event_list.html",
        {
            "cluster": cluster,
            "access": access,
            "form": form,
            "coming": list(items.filter(ends_at__gte=now)[:50]),
            "page": page_of(request, items.filter(ends_at__lt=now).order_by("-starts_at")),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
@memo.kept_page
def event_detail(request: AuthedHttpRequest, event_id: int) -> HttpResponse:
    access = get_event_for(request.user, event_id)
    event, own = access.event, access.own_setting
    parts = list(event.participations.select_related("setting"))
    mine = next((p for p in parts if own and p.setting_id == own.pk), None)
    people = services.members_of(event.cluster)
    return render(
        request,
        "support/event_detail.html",
        {
            "event": event,
            "cluster": access.cluster,
            "access": access,
            "parts": parts,
            "own": own,
            "mine": mine,
            "totals": {
                "children": sum(p.children for p in parts),
                "adults": sum(p.adults for p in parts),
                "places": sum(p.places for p in parts),
                "waiting": sum(p.waiting for p in parts),
            },
            "tasks": list(event.tasks.select_related("owner")),
            "contacts": list(event.contacts.all()),
            "people": people,
            "numbers_form": NumbersForm(
                initial={
                    "children": mine.children if mine else 0,
                    "adults": mine.adults if mine else 0,
                }
            ),
            "booking_form": BookingForm(
                initial={"places": (mine.places + mine.waiting) if mine else 1}
            ),
        },
    )


@login_required
@require_POST
def event_numbers(request: AuthedHttpRequest, event_id: int) -> HttpResponse:
    access = get_event_for(request.user, event_id)
    event, own = access.event, access.own_setting
    if own is None:
        messages.error(request, "Add your setting to your profile first.")
        return redirect("event_detail", event.pk)
    if access.can_book:
        form: Any = BookingForm(request.POST)
        if form.is_valid():
            part = services.book_places(event, own, request.user, form.cleaned_data["places"])
            messages.success(
                request,
                f"{part.places} place(s) booked"
                + (f", {part.waiting} on the waiting list." if part.waiting else "."),
            )
        else:
            messages.error(request, "Give the number of places as a whole number from 0 to 100.")
    elif access.can_give_numbers:
        form = NumbersForm(request.POST)
        if form.is_valid():
            services.set_numbers(
                event, own, request.user, form.cleaned_data["children"], form.cleaned_data["adults"]
            )
            messages.success(request, "Your setting's numbers are saved.")
        else:
            messages.error(
                request, "Give the numbers of children (0 to 500) and adults (0 to 200)."
            )
    else:  # pragma: no cover - with a setting, one of the two always applies
        raise PermissionDenied
    return redirect("event_detail", event.pk)


@login_required
@require_POST
def event_task(request: AuthedHttpRequest, event_id: int) -> HttpResponse:
    access = get_event_for(request.user, event_id)
    event = access.event
    if not access.can_manage_tasks:
        raise PermissionDenied
    # One form per button: "Mark done" posts the task to toggle, "Add the task" its text.
    if "toggle" in request.POST:
        tasks = EventTask.objects.in_cluster(request.user, event.cluster_id).filter(event=event)
        toggle = TaskToggleForm(request.POST, tasks=tasks)
        if toggle.is_valid():
            services.toggle_task(toggle.cleaned_data["toggle"], request.user)
        else:
            messages.error(request, "That task is not on this event.")
    else:
        form = TaskForm(request.POST, people=services.members_of(event.cluster))
        if form.is_valid():
            try:
                services.add_task(
                    event, request.user, form.cleaned_data["text"], form.chosen_owner()
                )
            except services.SupportError as e:
                messages.error(request, str(e))
        else:
            messages.error(request, "Write the task first (up to 200 characters).")
    return redirect(f"{reverse('event_detail', args=[event.pk])}#tasks")


def _edit_initial(event: Event) -> dict[str, Any]:
    start, end = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    return {
        "title": event.title,
        "day": start.date(),
        "start": start.time(),
        "end": end.time(),
        "host_setting": event.host_setting_id,
        "venue": event.venue,
        "aim": event.aim,
        "served_aim": event.served_aim_id,
        "sequence": event.sequence,
    }


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: AuthedHttpRequest, event_id: int) -> HttpResponse:
    access = get_event_for(request.user, event_id)
    event = access.event
    if event.is_cancelled:
        messages.info(request, "This event is cancelled: it is kept as it was.")
        return redirect("event_detail", event.pk)
    require(access.can_change, "Only people in the cluster change its events.")
    settings_ = _cluster_settings(event.cluster)
    # The cluster's open aims, and the one the event serves even if closed since.
    aims_ = open_aims(event.cluster, request.user)
    if event.served_aim is not None and event.served_aim not in aims_:
        aims_.append(event.served_aim)
    form = EventEditForm(
        request.POST or None, initial=_edit_initial(event), settings_=settings_, aims_=aims_
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            changed = services.edit_event(
                event,
                request.user,
                title=d["title"],
                starts_at=planner.local_datetime(d["day"], d["start"]),
                ends_at=planner.local_datetime(d["day"], d["end"]),
                host_setting=next((s for s in settings_ if s.pk == d["host_setting"]), None),
                venue=d["venue"],
                aim=d["aim"],
                sequence=d["sequence"],
                served_aim=next((a for a in aims_ if a.pk == d["served_aim"]), None),
            )
        except services.SupportError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, "The event is changed." if changed else "Nothing changed.")
        return redirect("event_detail", event.pk)
    return render(
        request,
        "support/event_edit.html",
        {"event": event, "cluster": access.cluster, "access": access, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_cancel(request: AuthedHttpRequest, event_id: int) -> HttpResponse:
    access = get_event_for(request.user, event_id)
    event = access.event
    if event.is_cancelled:
        # A second click on "Cancel the event" lands here: say so, send nothing.
        messages.info(request, "This event is already cancelled.")
        return redirect("event_detail", event.pk)
    require(access.can_change, "Only people in the cluster change its events.")
    form = EventCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_event(event, request.user, form.cleaned_data["reason"])
        except services.SupportError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, "The event is cancelled, and everyone has been told.")
        return redirect("event_detail", event.pk)
    return render(
        request,
        "support/event_cancel.html",
        {"event": event, "cluster": access.cluster, "access": access, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
@memo.kept_page
def cpd(request: AuthedHttpRequest) -> HttpResponse:
    """The setting's professional development from shared training days: places booked,
    in the clusters the person may read now."""
    own = get_own_setting(request.user)
    bookings = (
        Participation.objects.visible_to(request.user)
        .filter(setting=own, event__kind=EventKind.TRAINING, places__gt=0)
        .select_related("event", "event__cluster")
        .order_by("-event__starts_at")
        if own
        else Participation.objects.unscoped().none()
    )
    return render(request, "support/cpd.html", {"own": own, "page": page_of(request, bookings)})
