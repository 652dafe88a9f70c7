from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator

from nextpractice.core.types import AuthedHttpRequest

from ..forms import PageForm

PAGE = 20


def page_of(request: AuthedHttpRequest, queryset: Any) -> Page[Any]:
    return Paginator(queryset, PAGE).get_page(PageForm(request.GET).number())
