"""One search box across a cluster (what it finds is decided in ``services.search``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from nextpractice.core import memo
from nextpractice.core.types import AuthedHttpRequest

from .. import services
from ..access import cluster_access
from ..forms import SearchForm


@login_required
@require_safe
@memo.kept_page
def cluster_search(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    access = cluster_access(request.user, cluster_id)
    search = SearchForm(request.GET)
    q = search.query()
    return render(
        request,
        "support/search.html",
        {
            "cluster": access.cluster,
            "search": search,
            "q": q,
            "results": services.search(access.cluster, request.user, q),
        },
        status=400 if search.errors else 200,
    )
