"""Input no form of ours can accept, refused before any view reads it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

Handler = Callable[[HttpRequest], HttpResponse]


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())


def reject_nul_characters(get_response: Handler) -> Handler:
    """A NUL character in the address, the query string or a form's fields: 400.

    No one types a NUL, and PostgreSQL refuses it in text: a NUL that reached a query or a
    save (a search box, a hand-read token, a field a form did not check) was a 500 there and
    nothing on SQLite. Django's CharField refuses it already; this is the backstop for the
    rest, the same on both databases. Uploaded files are not looked into (PDFs hold NULs).
    The value is never logged: it may be anything a person typed.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if (
            "\x00" in request.path
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            return render(request, "400.html", status=400)
        return get_response(request)

    return middleware
