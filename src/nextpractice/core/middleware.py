"""Responses are never kept by browsers or shared caches.

Nearly every page is somebody's: a cluster's notes, a leader's profile, the calendar feed
whose address is its only key, the join page whose token names the cluster. A shared cache
(a school's proxy) or the browser's back button on a shared staff-room computer must not
hand them to the next person, so every response made by a view says
``Cache-Control: private, no-store``, anonymous pages included: the rule is then the same
for every page and nobody has to remember it when adding one.

Static files never reach this middleware: WhiteNoise, earlier in the list, answers them
with its own long-lived caching headers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import SESSION_KEY, get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from . import memo
from .scoping import remembering

Handler = Callable[[HttpRequest], HttpResponse]

PRIVATE = "private, no-store"


def private_responses(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        # Replaces whatever a view set (the calendar feed asked for max-age=900): one rule,
        # decided here.
        response["Cache-Control"] = PRIVATE
        if "Expires" in response:
            del response["Expires"]
        return response

    return middleware


def read_once_per_request(get_response: Handler) -> Handler:
    """What a page asks of every query (whose clusters the person reads) is worked out once
    per request and reused; ``core.scoping.remembering`` says when it is forgotten."""

    def middleware(request: HttpRequest) -> HttpResponse:
        # Parts of the page kept between requests (core.memo) depend on what the request
        # read before them, too.
        try:
            with remembering(), memo.recording():
                return get_response(request)
        finally:
            # Before the answer leaves: what the request wrote is retired for the next.
            memo.flush_all()

    return middleware


def kept_ahead(get_response: Handler) -> Handler:
    """As a signed-in GET begins, once the session says who it is and before anything else
    is read: the tokens kept values are filed under, and what every page asks of the cache
    (who the person is, their clusters, the page as kept for them), in one round trip
    (core.memo.snapshot). Anything else (a POST) keeps and is served nothing kept."""

    def middleware(request: HttpRequest) -> HttpResponse:
        try:
            pk = get_user_model()._meta.pk.to_python(request.session[SESSION_KEY])
        except (KeyError, ValidationError):
            return get_response(request)
        if request.method not in ("GET", "HEAD"):
            # A change reads everything afresh, its access check included: nothing kept.
            return get_response(request)
        now = memo.minute()
        keys = (("whoami", pk, now), ("memberships", pk, now), memo.page_key(request, pk))
        try:
            where = resolve(request.path_info).view_name
        except Resolver404:
            where = ""
        with memo.snapshot(where, *keys):
            return get_response(request)

    return middleware
