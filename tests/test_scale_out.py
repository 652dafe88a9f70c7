"""Two web servers and two workers on one PostgreSQL, as real processes, the way an
authority grows past one machine: each server has its own data folder (as on its own
machine) and shares only the database, the secret key (from the environment) and the
uploads folder (a shared file system or S3-compatible storage in production).

A person signs in through one server and is signed in on the other; signs out on the
other and is signed out on both; a document uploaded through one downloads from the other;
every email is sent once with two workers racing for it; the periodic jobs run in one
worker at a time.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone

from nextpractice.core.models import OutboundEmail
from nextpractice.core.tasks import deliver_email
from nextpractice.reviews import filetypes
from nextpractice.reviews import services as review_services
from nextpractice.reviews.models import DocumentVersion

from .conftest import Cast, Mailbox, free_port
from .test_reviews import pdf_bytes
from .test_worker import FAST, database_url, stop, wait_for

PASSWORD = "scale-out-password-1"
SECRET_KEY = "k3#Lq9!vZm2@pR7$wX4^nB8&cT1*hJ6(yF0)dG5-sA_eU+iO" + "scaleout"


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """One person's browser: one cookie jar, whichever server the balancer sends it to."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirects()
        )

    def open(self, request: urllib.request.Request) -> tuple[int, bytes, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read(), ""
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers.get("Location", "")

    def get(self, url: str) -> tuple[int, bytes, str]:
        return self.open(urllib.request.Request(url))  # noqa: S310 - loopback servers

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def post(self, url: str, fields: dict[str, str], file: bytes | None = None) -> tuple[int, str]:
        fields = {"csrfmiddlewaretoken": self.csrf(), **fields}
        boundary = secrets.token_hex(16)
        head = f"--{boundary}\r\nContent-Disposition: form-data; "
        parts = [
            f'{head}name="{name}"\r\n\r\n{value}\r\n'.encode() for name, value in fields.items()
        ]
        if file is not None:
            parts.append(
                f'{head}name="file"; filename="sef-v2.pdf"\r\n'.encode()
                + b"Content-Type: application/pdf\r\n\r\n"
                + file
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(  # noqa: S310 - loopback servers
            url,
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        status, _, location = self.open(request)
        return status, location


def start(args: list[str], log: Path, environment: dict[str, str]) -> subprocess.Popen[str]:
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "nextpractice", *args],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def two_by_two(smtp_server: Mailbox, tmp_path: Path, settings: Any) -> Iterator[dict[str, Any]]:
    if connection.vendor != "postgresql":
        pytest.skip(
            "two web servers and two workers share one PostgreSQL: DATABASE_URL is not "
            "postgresql:// (the CI's PostgreSQL run runs it)"
        )
    shared_uploads = tmp_path / "shared-uploads"
    settings.MEDIA_ROOT = shared_uploads  # this test process writes there too
    ticks = tmp_path / "ticks.txt"
    common = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SECRET_KEY": SECRET_KEY,
        "MEDIA_ROOT": str(shared_uploads),
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_USE_TLS": "false",
        "LOG_LEVEL": "INFO",
        "SCALE_OUT_TICKS": str(ticks),
        **FAST,
        # A tick a second, but a lease of 30 s: on a machine shared with a whole CI run, a
        # holder held up for longer than FAST's 3 s lease hands the jobs on (by design, and
        # harmless: each job claims its work), which is not what this test looks at.
        "WORKER_LEASE_SECONDS": "30",
    }
    ports = [free_port(), free_port()]
    processes: list[subprocess.Popen[str]] = []
    logs: list[Path] = []
    try:
        for k, port in enumerate(ports):
            environment = common | {
                "DJANGO_SETTINGS_MODULE": "nextpractice.conf.settings",
                "NEXTPRACTICE_VAR_DIR": str(tmp_path / f"web{k}"),
            }
            logs.append(tmp_path / f"web{k}.log")
            args = ["serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--skip-setup"]
            processes.append(start(args, logs[-1], environment))
        for k in range(2):
            environment = common | {
                "DJANGO_SETTINGS_MODULE": "tests.scale_out_settings",
                "NEXTPRACTICE_VAR_DIR": str(tmp_path / f"worker{k}"),
            }
            logs.append(tmp_path / f"worker{k}.log")
            processes.append(start(["worker"], logs[-1], environment))
        for k, port in enumerate(ports):
            url = f"http://127.0.0.1:{port}/healthz"
            wait_for(lambda url=url: answers(url), 120, f"web server {k} did not start")
        for k in (2, 3):
            wait_for(
                lambda k=k: "started" in logs[k].read_text(), 120, f"worker {k - 2} did not start"
            )
        yield {
            "servers": [f"http://127.0.0.1:{port}" for port in ports],
            "workers": processes[2:],
            "ticks": ticks,
            "logs": logs,
        }
    finally:
        for process in processes:
            stop(process)


@pytest.mark.django_db(transaction=True)
def test_two_web_servers_and_two_workers_share_one_postgresql(
    cast: Cast, smtp_server: Mailbox, two_by_two: dict[str, Any]
) -> None:
    a, b = two_by_two["servers"]
    alice = cast.alice
    hasher = PBKDF2PasswordHasher()
    alice.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    alice.save()

    # Signed in through one server, signed in on the other.
    browser = Browser()
    assert browser.get(f"{a}/accounts/login/")[0] == 200
    status, location = browser.post(
        f"{a}/accounts/login/", {"login": alice.email, "password": PASSWORD}
    )
    assert status == 302 and "/accounts/login/" not in location, location
    status, page, _ = browser.get(f"{b}/account/")
    assert status == 200 and b"Alice Archer" in page

    # A document uploaded through one server downloads from the other.
    review = review_services.create_request(
        cast.cluster,
        alice,
        kind="document",
        title="Our SEF",
        feedback_by=timezone.localdate() + timezone.timedelta(days=14),
        focus=[("Is the impact clear?", None)],
        document_kind="sef",
        upload=review_services.CheckedFile(pdf_bytes(), "sef.pdf", filetypes.PDF),
    )
    second = pdf_bytes("Second version, uploaded through server A")
    status, _ = browser.post(f"{a}/reviews/{review.pk}/versions/", {}, file=second)
    assert status == 302
    version = DocumentVersion.objects.filter(request=review).order_by("-pk").first()
    assert version is not None and version.number == 2
    for server in (b, a):
        status, body, _ = browser.get(
            f"{server}/reviews/{review.pk}/versions/{version.pk}/download/"
        )
        assert status == 200 and body == second

    # Every email once, with two workers racing: thirty queued at once, and a password
    # reset asked for through the other server.
    queued = [
        OutboundEmail.objects.create(to=f"head{k}@school.test", subject=f"Note {k}", body="x")
        for k in range(30)
    ]
    for email in queued:
        deliver_email.enqueue(email.pk)
    stranger = Browser()
    assert stranger.get(f"{b}/accounts/password/reset/")[0] == 200
    assert stranger.post(f"{b}/accounts/password/reset/", {"email": alice.email})[0] == 302
    expected = {f"head{k}@school.test" for k in range(30)} | {alice.email}
    wait_for(
        lambda: {m["To"] for m in smtp_server.messages} >= expected,
        90,
        "the workers did not deliver every email",
    )
    time.sleep(3)  # time enough for a second copy, were one coming
    sent = Counter(m["To"] for m in smtp_server.messages)
    assert {to: n for to, n in sent.items() if n > 1} == {}
    assert set(sent) >= expected
    assert OutboundEmail.objects.filter(sent_at=None).count() == 0

    # The periodic jobs: a tick a second, always in one worker (the lease holder).
    notes = two_by_two["ticks"].read_text().split()
    pids = set(notes[0::2])
    assert len(notes[0::2]) >= 3, "the periodic jobs hardly ran"
    assert len(pids) == 1, f"periodic jobs ran in {len(pids)} workers at once"
    assert int(pids.pop()) in {w.pid for w in two_by_two["workers"]}

    # Signed out on one server, signed out on both.
    status, _, _ = browser.get(f"{b}/accounts/logout/")
    assert status == 200
    assert browser.post(f"{b}/accounts/logout/", {})[0] == 302
    for server in (a, b):
        status, _, location = browser.get(f"{server}/account/")
        assert status == 302 and "/accounts/login/" in location

    for log in two_by_two["logs"]:
        text = log.read_text()
        assert alice.email not in text and not re.search(r"Traceback", text), text
