"""Session lifetimes and the second-factor rule for coordinators and admins."""

from __future__ import annotations

import time
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .models import User

Handler = Callable[[HttpRequest], HttpResponse]

STARTED = "np_started"
SEEN = "np_seen"
# Refresh "last seen" at most once a minute, so that reading pages does not write the
# session on every request.
SEEN_RESOLUTION = 60


def session_timeouts(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.get(STARTED)
            seen = request.session.get(SEEN)
            if started is None or seen is None:
                request.session[STARTED] = started = now
                request.session[SEEN] = seen = now
            if (
                now - seen > settings.SESSION_IDLE_TIMEOUT
                or now - started > settings.SESSION_ABSOLUTE_TIMEOUT
            ):
                logout(request)
                return redirect(f"{reverse('account_login')}?expired=1")
            if now - seen >= SEEN_RESOLUTION:
                request.session[SEEN] = now
        return get_response(request)

    return middleware


# Paths a coordinator or admin without a second factor may still use: setting one up,
# signing out, and static files.
SECOND_FACTOR_EXEMPT = ("/accounts/", "/static/")


def require_second_factor(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and not request.path.startswith(SECOND_FACTOR_EXEMPT):
            user.read_what_every_page_asks()  # is_coordinator, below, and the header's
        if (
            isinstance(user, User)
            and not request.path.startswith(SECOND_FACTOR_EXEMPT)
            and user.needs_second_factor
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            return redirect("mfa_activate_totp")
        return get_response(request)

    return middleware
