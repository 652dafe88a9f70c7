from __future__ import annotations

import datetime as dt
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from nextpractice.core.mail import queue_message
from nextpractice.core.models import Priority

# allauth's emails that carry a code or link with a short life: not worth sending late.
# Each names the setting that holds the code's lifetime in seconds.
CODE_EMAILS = {
    "account/email/login_code": "ACCOUNT_LOGIN_BY_CODE_TIMEOUT",
    "account/email/password_reset_key": "PASSWORD_RESET_TIMEOUT",
}


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join by invitation only (site.account.join).
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Sign-in codes, password resets and the rest of allauth's emails go through the
        outbox, not over SMTP inside the request: a mail server that is down or hangs
        neither fails the page nor holds a web worker. First in line for the worker; each
        holds a secret, so its body is blanked once sent (or once the code expired)."""
        from allauth.core import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        request = allauth_context.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **context,
        }
        rendered = self.render_mail(template_prefix, email, ctx)
        alternatives = getattr(rendered, "alternatives", [])
        html = next((str(body) for body, kind in alternatives if kind == "text/html"), "")
        lifetime = CODE_EMAILS.get(template_prefix)
        expires_at = (
            timezone.now() + dt.timedelta(seconds=getattr(settings, lifetime)) if lifetime else None
        )
        # Its own transaction: the delivery task is enqueued as soon as it commits.
        with transaction.atomic():
            queue_message(
                email,
                str(rendered.subject),
                str(rendered.body),
                html,
                forget_body=True,
                priority=Priority.WAITING,
                expires_at=expires_at,
            )
