"""Funding opportunities and who is applying."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from nextpractice.core.types import AuthedHttpRequest
from nextpractice.reviews.models import ReviewRequest

from .. import services
from ..access import cluster_access, get_funding_for
from ..forms import ApplyingForm, FundingForm
from ..models import Applying, Funding
from .common import page_of


def _my_draft_bids(request: AuthedHttpRequest, cluster_id: int) -> QuerySet[ReviewRequest]:
    """The person's own document reviews in the cluster: what a bid can be attached from."""
    return ReviewRequest.objects.in_cluster(request.user, cluster_id).filter(
        requester=request.user, kind="document"
    )


@login_required
@require_http_methods(["GET", "POST"])
def funding_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    cluster = access.cluster
    form = FundingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not access.can_share:
            raise PermissionDenied
        try:
            services.share_funding(cluster, request.user, **form.cleaned_data)
        except services.SupportError as e:
            form.add_error("deadline", str(e))
        else:
            return redirect("funding_list", cluster.pk)
    today = timezone.localdate()
    items = (
        Funding.objects.in_cluster(request.user, cluster_id)
        .select_related("shared_by")
        .prefetch_related(
            Prefetch("applicants", queryset=Applying.objects.unscoped().select_related("user"))
        )
    )
    return render(
        request,
        "support/funding_list.html",
        {
            "cluster": cluster,
            "access": access,
            "form": form,
            "page": page_of(request, items.filter(deadline__gte=today)),
            "past": list(items.filter(deadline__lt=today).order_by("-deadline")[:10]),
            "my_reviews": list(_my_draft_bids(request, cluster_id).order_by("-created_at")[:20]),
            "applying_ids": set(
                Applying.objects.in_cluster(request.user, cluster_id)
                .filter(user=request.user)
                .values_list("funding_id", flat=True)
            ),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def funding_applying(request: AuthedHttpRequest, funding_id: int) -> HttpResponse:
    funding, _ = get_funding_for(request.user, funding_id)
    form = ApplyingForm(request.POST, reviews=_my_draft_bids(request, funding.cluster_id))
    if form.is_valid():
        services.applying(funding, request.user, form.applying, form.cleaned_data["review"])
    else:
        messages.error(request, "Choose one of your own draft bids shared in this cluster.")
    return redirect(f"{reverse('funding_list', args=[funding.cluster_id])}#funding-{funding.pk}")
