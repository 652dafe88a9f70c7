"""Email goes out through a real SMTP server (aiosmtpd on loopback), via the outbox."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from email import message_from_bytes, policy
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from nextpractice.clusters import services
from nextpractice.core import mail
from nextpractice.core.models import OutboundEmail
from nextpractice.directory import services as directory_services

from .conftest import Cast, Mailbox, text_of


def test_a_sign_in_code_arrives_by_smtp_and_signs_the_leader_in(
    cast: Cast, smtp_server: Mailbox
) -> None:
    client = Client()
    client.post(reverse("account_request_login_code"), {"email": cast.alice.email})
    # Queued, first in line, its secret not kept once sent; the worker delivers it.
    queued = OutboundEmail.objects.get()
    assert (queued.to, queued.priority, queued.forget_body) == (cast.alice.email, 10, True)
    assert smtp_server.messages == []
    assert mail.deliver_pending() == 1
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == cast.alice.email
    assert message["Subject"].startswith("[Next Practice]")
    assert message["Message-ID"] == queued.message_id
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", text_of(message), re.MULTILINE)
    assert code
    queued.refresh_from_db()
    assert queued.body == ""
    client.post(reverse("account_confirm_login_code"), {"code": code.group(1)})
    assert client.session["_auth_user_id"] == str(cast.alice.pk)


def test_an_invitation_is_delivered_once_even_if_delivered_twice(
    cast: Cast, smtp_server: Mailbox
) -> None:
    services.invite(cast.cluster, cast.alice, "priya@example.test")
    queued = OutboundEmail.objects.get()
    assert mail.deliver(queued.pk) is True
    assert mail.deliver(queued.pk) is False  # a second worker finds it already sent
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "priya@example.test"
    assert "/join/" in text_of(message)
    queued.refresh_from_db()
    assert queued.sent_at is not None
    assert queued.body == ""  # the single-use link is not kept once sent


def test_a_failed_delivery_is_kept_and_retried(
    cast: Cast, settings: Any, smtp_server: Mailbox
) -> None:
    services.invite(cast.cluster, cast.alice, "priya@example.test")
    queued = OutboundEmail.objects.get()
    good_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there
    with pytest.raises(OSError, match="refused"):
        mail.deliver(queued.pk)
    queued.refresh_from_db()
    assert (queued.sent_at, queued.attempts, queued.claimed_at) == (None, 1, None)
    assert queued.last_error
    settings.EMAIL_PORT = good_port
    # Retried with back-off: not at once, but once the wait (a minute after one failure)
    # has passed.
    assert queued.next_attempt_at is not None
    assert mail.deliver_pending() == 0
    assert mail.deliver_pending(now=queued.next_attempt_at) == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_what_was_queued_on_commit(smtp_server: Mailbox) -> None:
    from nextpractice.accounts.models import User
    from nextpractice.directory.models import Area

    area = Area.objects.create(name="Northbridge")
    sam = User.objects.create_user("sam@example.test", "pw-sam-12345")
    directory_services.invite_to_platform(area, sam, "new.head@example.test")
    assert smtp_server.messages == []  # queued, not sent inside the request
    call_command("worker", batch=True)
    assert [m["To"] for m in smtp_server.messages] == ["new.head@example.test"]
    assert "invites you to join Next Practice" in text_of(smtp_server.messages[0])


def _database_url() -> str:
    """The test database as a URL, for a worker started as its own process."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"


def _start_worker(port: int, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_CLAIM_TIMEOUT": "2",
        "DJANGO_SETTINGS_MODULE": "nextpractice.conf.settings",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "nextpractice", "worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_claiming_and_sending_loses_nothing_and_sends_once() -> None:
    """A real worker process is killed (SIGKILL) while its SMTP conversation is under way;
    a new worker sends every email, each exactly once."""
    import datetime as dt
    import threading

    from aiosmtpd.controller import Controller

    from nextpractice.meetings import services as meeting_services
    from nextpractice.meetings.models import Meeting

    from .conftest import free_port, make_meeting, make_person

    accepted: list[Any] = []
    first_arrived, release = threading.Event(), threading.Event()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            if not first_arrived.is_set():
                first_arrived.set()
                release.wait(30)  # hold the first message until the worker is dead
                return "451 4.3.0 Try again later"
            accepted.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    from nextpractice.clusters.models import Cluster, Membership
    from nextpractice.directory.models import Area

    area = Area.objects.create(name="Northbridge")
    cluster = Cluster.objects.create(name="Riverside", area=area, status="active")
    people = [make_person(f"m{i}@example.test", f"Member {i}") for i in range(3)]
    for person in people:
        Membership.objects.create(cluster=cluster, user=person, ground_rules_agreed_version=1)
    meeting: Meeting = make_meeting(cluster, dt.timedelta(days=9))
    meeting_services.cancel_meeting(meeting, people[0], "Snow")

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        worker = _start_worker(port)
        assert first_arrived.wait(60), "the worker never reached the SMTP server"
        worker.kill()  # SIGKILL: no clean-up, the claim stays
        worker.wait(10)
        release.set()
        claimed = OutboundEmail.objects.filter(sent_at=None).exclude(claimed_at=None)
        assert claimed.count() == 1
        assert accepted == []
        time.sleep(2.5)  # the dead worker's claim goes stale (EMAIL_CLAIM_TIMEOUT=2)
        again = _start_worker(port, "--batch")
        output, _ = again.communicate(timeout=120)
        assert again.returncode == 0, output
    finally:
        release.set()
        controller.stop()
    assert sorted(m["To"] for m in accepted) == sorted(p.email for p in people)
    assert all(m["Subject"].startswith("Cancelled:") for m in accepted)
    html = accepted[0].get_body(("html",))
    assert html is not None and "Riverside" in html.get_content()
    assert "because you are a member of Riverside" in text_of(accepted[0])
    assert OutboundEmail.objects.filter(sent_at=None).count() == 0


def test_every_email_says_why_the_person_got_it() -> None:
    from pathlib import Path

    templates = Path(__file__).parent.parent / "src/nextpractice/templates/emails"
    for body in sorted(templates.glob("*_body.txt")):
        text = body.read_text()
        assert "You get this email because" in text or "_why_member.txt" in text, body.name
        assert "{{ site_url }}" in text or body.name == "removed_body.txt", body.name
