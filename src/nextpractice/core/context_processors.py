from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from . import memo


def site(request: HttpRequest) -> dict[str, Any]:
    placeholder = memo.csrf_placeholder()
    if placeholder is not None:
        # A page drawn to be kept (core.memo) carries a placeholder for the CSRF token,
        # replaced by the person's own each time it is served. After Django's own csrf
        # processor, so this one's value is the one templates see.
        return {"SITE_NAME": "Next Practice", "csrf_token": placeholder}
    return {"SITE_NAME": "Next Practice"}
