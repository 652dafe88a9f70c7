from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from nextpractice.accounts.models import User


class AuthedHttpRequest(HttpRequest):
    """The request of a view behind login_required: its user is a real User."""

    user: User
    htmx: HtmxDetails
