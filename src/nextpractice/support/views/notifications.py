"""Each person's notifications, and how they are emailed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from nextpractice.core import memo
from nextpractice.core.types import AuthedHttpRequest

from .. import services
from ..forms import PreferencesForm
from ..models import Notification
from .common import page_of


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: AuthedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.mark_all_read(request.user)
        return redirect("notifications")
    mine = Notification.objects.visible_to(request.user).select_related("cluster")
    # Rendered once and kept until something it read is written (core.memo).
    return memo.page(
        request,
        "support/notifications.html",
        lambda: {"page": page_of(request, mine), "unread": mine.filter(read_at=None).count()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def notification_prefs(request: AuthedHttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, current=services.current_preferences(request.user))
    if request.method == "POST" and form.is_valid():
        services.save_preferences(request.user, form.cleaned_data)
        messages.success(request, "Saved. Urgent help requests still reach you at once.")
        return redirect("notification_prefs")
    return render(
        request, "support/preferences.html", {"form": form}, status=400 if form.is_bound else 200
    )
