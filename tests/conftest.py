"""The cast: Alice and Bob share a cluster, Fay facilitates it, Oscar is in another
cluster, Cora coordinates the area, Rita researches. Nobody else sees inside."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.clusters.models import Cluster, ClusterStatus, Membership, Role
from nextpractice.directory.models import Area, LeaderProfile, Setting, SettingKind

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TOTP_SECRET = "JBSWY3DPEHPK3PXPTESTONLY"


def require_tool(available: bool, reason: str) -> None:
    """Skip with the reason on a newcomer's machine; fail under CI, where it must exist."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing tool is a failure)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Uploaded documents go to a temporary folder, never into the checkout's var/.
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("uploads")
    # A fast hasher: the real one is deliberately slow, and the cast has seven people.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def make_person(
    email: str,
    name: str,
    setting: Setting | None = None,
    password: str | None = "correct horse battery",
) -> User:
    user = User.objects.create_user(email, password, full_name=name)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    if setting is not None:
        LeaderProfile.objects.create(
            user=user,
            setting=setting,
            job_title="Headteacher",
            phone="07700 900111",
            completed_at=timezone.now(),
        )
    return user


@dataclass
class Cast:
    area: Area
    cluster: Cluster
    other_cluster: Cluster
    alice: User
    bob: User
    fay: User
    oscar: User
    cora: User
    rita: User
    newbie: User  # invited into the cluster, has not agreed the ground rules yet


@pytest.fixture
def cast(db: Any) -> Cast:
    area = Area.objects.create(name="Northbridge")
    s = [
        Setting.objects.create(
            name=f"Setting {i}", kind=SettingKind.PRIMARY, area=area, urn=f"10000{i}"
        )
        for i in range(5)
    ]
    alice = make_person("alice@example.test", "Alice Archer", s[0])
    bob = make_person("bob@example.test", "Bob Baker", s[1])
    fay = make_person("fay@example.test", "Fay Facilitator")
    oscar = make_person("oscar@example.test", "Oscar Outsider", s[2])
    newbie = make_person("nina@example.test", "Nina New", s[3])
    cora = make_person("cora@example.test", "Cora Coordinator")
    area.coordinators.add(cora)
    TOTP.activate(cora, TOTP_SECRET)
    rita = make_person("rita@example.test", "Rita Researcher")
    rita.is_researcher = True
    rita.save()
    now = timezone.now()
    cluster = Cluster.objects.create(
        name="Riverside", area=area, status=ClusterStatus.ACTIVE, created_by=alice
    )
    for user, role in [(alice, Role.MEMBER), (bob, Role.MEMBER), (fay, Role.FACILITATOR)]:
        Membership.objects.create(
            cluster=cluster,
            user=user,
            role=role,
            ground_rules_agreed_at=now,
            ground_rules_agreed_version=1,
        )
    Membership.objects.create(cluster=cluster, user=newbie, role=Role.MEMBER)
    other = Cluster.objects.create(name="Hilltop", area=area, status=ClusterStatus.ACTIVE)
    Membership.objects.create(
        cluster=other, user=oscar, ground_rules_agreed_at=now, ground_rules_agreed_version=1
    )
    return Cast(area, cluster, other, alice, bob, fay, oscar, cora, rita, newbie)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[Any]


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on loopback; Django sends to it over SMTP."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield Mailbox("127.0.0.1", port, received)
    finally:
        controller.stop()


def chromium_path() -> str | None:
    path = "/usr/bin/chromium"
    return path if os.path.exists(path) else shutil.which("chromium")


def make_meeting(
    cluster: Cluster,
    starts_in: Any,
    *,
    status: str = "scheduled",
    host: Setting | None = None,
    minutes: int = 90,
) -> Any:
    """A meeting of the cluster ``starts_in`` (a timedelta) from now, or at a datetime, on
    its year's plan (made, confirmed, if missing). Bypasses the planner's checks so tests can place
    meetings in the past."""
    from nextpractice.meetings.models import Meeting, PlaceKind, YearPlan
    from nextpractice.meetings.planner import academic_year_of

    starts_at = starts_in if isinstance(starts_in, dt.datetime) else timezone.now() + starts_in
    plan, _ = YearPlan.objects.get_or_create(
        cluster=cluster,
        start_year=academic_year_of(timezone.localdate(starts_at)),
        defaults={"confirmed_at": timezone.now()},
    )
    return Meeting.objects.create(
        cluster=cluster,
        plan=plan,
        starts_at=starts_at,
        duration_minutes=minutes,
        status=status,
        place_kind=PlaceKind.ROTATING,
        host_setting=host,
    )


def text_of(message: Any) -> str:
    """The plain-text part of a received email."""
    return str(message.get_body(("plain",)).get_content())


# --- The browser's fixtures: defined here once, so one Chromium (one Playwright event loop)
# serves every browser test file in the session. A second `sync_playwright()` started while
# the first runs fails ("Sync API inside the asyncio loop").

AXE = Path(__file__).parent / "assets" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    path = chromium_path()
    require_tool(
        path is not None,
        "Chromium is not installed at /usr/bin/chromium "
        "(apt-get install chromium; .ci/run does this)",
    )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls our tests
    # make between browser steps are ordinary synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        try:
            yield browser
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# axe-core is served to the test browser at this same-origin address: Playwright answers
# it from tests/assets (the server never sees the request), so the product's own
# Content-Security-Policy (script-src 'self', no inline script) lets it run, exactly as it
# lets the product's own scripts. No context bypasses the policy.
AXE_PATH = "/__test__/axe.min.js"
# Every page records what its policy blocked (an init script, which the policy does not
# govern), so that a page broken by its own policy fails the journey.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""


def new_context(browser: Any, **options: Any) -> Any:
    """A browser context under the product's own Content-Security-Policy."""
    assert "bypass_csp" not in options, "journeys run under the product's own policy"
    context = browser.new_context(**options)
    context.route(
        f"**{AXE_PATH}",
        lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"),
    )
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    return context


@pytest.fixture
def page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    with tempfile.TemporaryDirectory():
        context = new_context(chromium, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
        context.close()
        assert errors == [], f"JavaScript errors: {errors}"
