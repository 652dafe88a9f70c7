from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:  # core sits under accounts: the type only, never the import at run time
    from nextpractice.accounts.models import User


class AuthedHttpRequest(HttpRequest):
    """The request of a view behind login_required: its user is a real User."""

    user: User
    htmx: HtmxDetails
