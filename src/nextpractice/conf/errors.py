"""Optional error reporting to Sentry (or a compatible service), only when SENTRY_DSN is set.

sentry-sdk is an optional extra (`pip install '.[sentry]'`) and is not imported otherwise.
Reports carry the error and where it happened, never personal data: no cookies, headers
that identify, request bodies, local variables (a view's locals hold names and what people
wrote), user, nor query strings (tokens travel there and in paths, which are redacted).
"""

from __future__ import annotations

from typing import Any

from nextpractice.conf.env import EnvError


def start(dsn: str, environment: str) -> None:
    try:
        import sentry_sdk
        from sentry_sdk.integrations.django import DjangoIntegration
    except ImportError:
        raise EnvError(
            "SENTRY_DSN: set, but sentry-sdk is not installed (pip install '.[sentry]')"
        ) from None
    try:
        sentry_sdk.init(
            dsn=dsn,
            environment=environment,
            integrations=[DjangoIntegration()],
            send_default_pii=False,
            include_local_variables=False,
            max_request_body_size="never",
            traces_sample_rate=0.0,
            before_send=scrub,
        )
    except Exception as e:  # sentry-sdk's own BadDsn and kin
        raise EnvError(f"SENTRY_DSN: cannot use it ({type(e).__name__})") from None


def scrub(event: Any, hint: Any) -> Any:
    from nextpractice.core.logging import redact

    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("cookies", "data", "query_string", "headers", "env"):
            request.pop(key, None)
        if isinstance(request.get("url"), str):
            request["url"] = redact(request["url"].split("?", 1)[0])
    return event
