"""Security headers, no inline script, and a clean deployment check in production settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.test import Client

from .conftest import Cast, client_for
from .test_env import run_cli

PRODUCTION_KEY = "Xq7!vR2#pL9@wZ4$mN8%tB3^yH6&kJ1*cF5(dG0)sA-eU+iO=Tr8"
TEMPLATES = Path(__file__).parent.parent / "src" / "nextpractice" / "templates"


def test_pages_carry_a_strict_content_security_policy(cast: Cast) -> None:
    response = client_for(cast.alice).get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_template_has_inline_script_or_event_handlers() -> None:
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+=\"", text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []


def test_https_settings_turn_on_hsts_and_secure_cookies() -> None:
    result = run_cli(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)",
        SITE_URL="https://nextpractice.example",
        SECRET_KEY=PRODUCTION_KEY,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["31536000", "True", "True", "True"]


def test_the_deployment_check_is_clean_in_production_settings(tmp_path: Path) -> None:
    result = run_cli(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SITE_URL="https://nextpractice.example",
        ALLOWED_HOSTS="nextpractice.example",
        SECRET_KEY=PRODUCTION_KEY,
        DEBUG="false",
        NEXTPRACTICE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_an_unknown_page_is_a_friendly_404(db: Any) -> None:
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_cluster_pages_and_calendar_feeds_are_never_cached(cast: Cast) -> None:
    """A shared staff-room computer's back button, or a school's proxy, must not hand one
    person's cluster page, or the calendar feed whose address is its only key, to the next."""
    from nextpractice.meetings.models import CalendarFeed

    feed = CalendarFeed.objects.create(user=cast.alice)
    alice = client_for(cast.alice)
    for response in [
        alice.get(f"/clusters/{cast.cluster.pk}/"),
        alice.get("/"),
        Client().get(f"/calendar/{feed.token}.ics"),  # no session: the token is the key
        Client().get("/"),
    ]:
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        assert not response.has_header("Expires")


def test_static_files_keep_their_own_caching(db: Any, settings: Any) -> None:
    settings.WHITENOISE_USE_FINDERS = True  # serve from the source tree, no collectstatic
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/js/app.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
