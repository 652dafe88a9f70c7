"""The privacy notice, "Download my data" and "Delete my account"."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from nextpractice.core.types import AuthedHttpRequest

from . import export, retention, services
from .forms import CONFIRM_WORD, EraseForm, ExportForm


@require_safe
def notice(request: HttpRequest) -> HttpResponse:
    days = retention.periods()
    return render(
        request,
        "privacy/notice.html",
        {"retention": [(kind.label, days[kind.key]) for kind in retention.KINDS]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_data(request: AuthedHttpRequest) -> HttpResponse:
    form = ExportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        content = export.build_zip(request.user)
        services.record_export(request.user)
        response = HttpResponse(content, content_type="application/zip")
        name = f"next-practice-my-data-{timezone.localdate().isoformat()}.zip"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "privacy/my_data.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: AuthedHttpRequest) -> HttpResponse:
    form = EraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.erase(
                    request.user,
                    remove_contributions=form.cleaned_data["remove_contributions"],
                )
            except services.ErasureError as e:
                form.add_error(None, str(e))
            else:
                logout(request)
                return redirect("privacy_deleted")
        status = 400
    else:
        status = 200
    return render(
        request,
        "privacy/delete.html",
        {"form": form, "confirm_word": CONFIRM_WORD, "periods": retention.periods()},
        status=status,
    )


@require_safe
def deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/deleted.html")
