"""The server error page, which must not fail in turn.

Django's own 500 handler renders with no request, so a signed-in person met a header that
offered "Sign in", as if the error had signed them out. This one shows the signed-in header
when the request already knows who is signed in, and reads nothing to find out: the error
may be the database itself, so nothing here touches it (no session load, no user lookup,
no messages, no profile), and if the page cannot be drawn a plain line is sent instead."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _SignedIn:
    """What the header needs of a person, without the database (no profile link)."""

    is_authenticated: bool = True
    profile: None = None


def server_error(request: HttpRequest) -> HttpResponse:
    # Set by AuthenticationMiddleware only once something asked who is signed in: if the
    # view never did, the header offers "Sign in" rather than risk a query now.
    user = getattr(request, "_cached_user", None)
    signed_in = bool(user is not None and getattr(user, "is_authenticated", False))
    try:
        # With the request for the sign-out form's CSRF token (read from the cookie); the
        # user and messages given here stand in for the context processors' lazy ones.
        html = render_to_string(
            "500.html",
            {"user": _SignedIn() if signed_in else None, "messages": []},
            request=request,
        )
    except Exception:  # the page itself failed: say it plainly
        log.exception("The error page could not be drawn")
        return HttpResponseServerError(
            "Sorry, something went wrong. Nothing you entered has been half-saved.",
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponseServerError(html)
