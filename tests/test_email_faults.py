"""The outbox under faults, with real parts: an SMTP server (aiosmtpd) that is down, hangs,
or accepts and then loses the worker; real worker processes killed with SIGKILL; SQLite's
own lock held by another connection; the digest job run twice and by two processes.

What is guaranteed (README, "What is guaranteed"): every email is delivered at least once,
each with one Message-ID on every attempt, so a repeat is the same message; none is lost;
one that cannot be sent for EMAIL_RETRY_DAYS is listed for administrators."""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import AuditEntry
from nextpractice.clusters import services
from nextpractice.core import mail
from nextpractice.core.models import DigestSent, Notification, OutboundEmail, UndeliveredEmail
from nextpractice.core.notifications import send_digests
from nextpractice.core.tasks import deliver_due, deliver_email

from .conftest import Cast, Mailbox, free_port, text_of
from .test_email import _database_url, _start_worker


def _code(message: Any) -> str:
    import re

    match = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", text_of(message), re.MULTILINE)
    assert match
    return match.group(1)


# --- 1. Sign-in codes through the outbox ----------------------------------------------------


def test_with_the_mail_server_down_a_sign_in_code_waits_and_goes_when_it_is_back(
    cast: Cast, settings: Any, smtp_server: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.EMAIL_PORT = free_port()  # nothing listens there: the mail server is down
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_request_login_code"), {"email": cast.alice.email})
    # Before: an SMTP error inside the request, HTTP 500, and the code lost.
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"on its way" in page.content
    queued = OutboundEmail.objects.get()
    # Delivery is enqueued on commit, ahead of ordinary emails.
    task = DBTaskResult.objects.get(task_path=deliver_email.module_path)
    assert (task.priority, task.args_kwargs["args"]) == (10, [queued.pk])
    with pytest.raises(ConnectionRefusedError):
        mail.deliver(queued.pk)
    queued.refresh_from_db()
    assert (queued.sent_at, queued.attempts, queued.failed_at) == (None, 1, None)
    assert queued.body  # still there to send
    settings.EMAIL_PORT = smtp_server.port  # the server is back
    assert mail.deliver_pending(now=queued.next_attempt_at) == 1
    assert [m["To"] for m in smtp_server.messages] == [cast.alice.email]
    client.post(reverse("account_confirm_login_code"), {"code": _code(smtp_server.messages[0])})
    assert client.session["_auth_user_id"] == str(cast.alice.pk)


@pytest.fixture
def hanging_server(settings: Any) -> Iterator[socket.socket]:
    """A mail server that takes connections and never says a word (the kernel accepts
    them into the backlog; nobody reads)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.getsockname()[1]
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 1
    try:
        yield server
    finally:
        server.close()


def test_a_hanging_mail_server_holds_neither_the_request_nor_the_worker(
    cast: Cast, hanging_server: socket.socket
) -> None:
    response = Client().post(reverse("account_request_login_code"), {"email": cast.alice.email})
    assert response.status_code == 302
    # The request never spoke to the mail server: nothing connected (before: the page
    # waited on it, holding a web worker for 20 s).
    hanging_server.setblocking(False)
    with pytest.raises(BlockingIOError):
        hanging_server.accept()
    services.invite(cast.cluster, cast.alice, "priya@example.test")
    services.invite(cast.cluster, cast.alice, "quentin@example.test")
    # The worker gives up on the silent server after EMAIL_TIMEOUT, once: the sweep stops
    # there rather than waiting out the same silence for every email in the queue.
    assert mail.deliver_pending() == 0
    attempts = dict(OutboundEmail.objects.values_list("to", "attempts"))
    assert attempts == {cast.alice.email: 1, "priya@example.test": 0, "quentin@example.test": 0}
    code = OutboundEmail.objects.get(to=cast.alice.email)
    assert code.claimed_at is None and code.next_attempt_at is not None and code.last_error


def test_a_sign_in_code_that_expired_in_the_outbox_is_never_sent_and_not_kept(
    cast: Cast, settings: Any, smtp_server: Mailbox
) -> None:
    Client().post(reverse("account_request_login_code"), {"email": cast.alice.email})
    code = OutboundEmail.objects.get()
    assert code.expires_at is not None
    assert code.expires_at <= code.created_at + dt.timedelta(seconds=600)
    # The server was down for longer than the code lives (its end moved, not waited for).
    OutboundEmail.objects.filter(pk=code.pk).update(expires_at=timezone.now())
    assert mail.deliver_pending() == 0
    code.refresh_from_db()
    assert code.failed_at is not None and code.body == "" and code.sent_at is None
    assert mail.deliver_pending() == 0
    assert mail.resend([code.pk]) == []  # nothing left to send: the person asks again
    assert smtp_server.messages == []


# --- 2. Retried for days, then listed; the inviter told; prompt once the server is back ------


def _admin_client() -> Client:
    root = User.objects.create_superuser("root@example.test", "pw-root-1234")
    TOTP.activate(root, "JBSWY3DPEHPK3PXPADMINONLY")
    client = Client()
    client.force_login(root)
    return client


def test_an_email_that_cannot_be_sent_is_retried_for_days_then_listed_and_the_inviter_told(
    cast: Cast, settings: Any, smtp_server: Mailbox
) -> None:
    settings.EMAIL_PORT = free_port()  # down
    services.invite(cast.cluster, cast.alice, "priya@example.test")
    invitation = OutboundEmail.objects.get()
    assert invitation.retry_until is not None
    assert invitation.retry_until - invitation.created_at >= dt.timedelta(days=3)
    # Five failures no longer end it (before: abandoned without a word after five).
    for _ in range(6):
        with pytest.raises(ConnectionRefusedError):
            mail.deliver(invitation.pk)
    invitation.refresh_from_db()
    assert (invitation.attempts, invitation.failed_at) == (6, None)
    assert invitation.next_attempt_at is not None
    assert invitation.next_attempt_at - timezone.now() <= dt.timedelta(hours=1)
    # Three days on (the deadline is moved here rather than waited for): given up.
    OutboundEmail.objects.filter(pk=invitation.pk).update(retry_until=timezone.now())
    with pytest.raises(ConnectionRefusedError):
        mail.deliver(invitation.pk)
    invitation.refresh_from_db()
    assert invitation.failed_at is not None and invitation.sent_at is None
    assert [e.pk for e in UndeliveredEmail.objects.filter(failed_at__isnull=False)] == [
        invitation.pk
    ]
    told = OutboundEmail.objects.get(to=cast.alice.email)
    assert told.subject.startswith("Not delivered:") and "priya@example.test" in told.body
    assert told.report_to is None  # no report of a report

    # Administrators see it among "emails that could not be sent", and send it again.
    settings.EMAIL_PORT = smtp_server.port
    admin = _admin_client()
    listing = admin.get(reverse("admin:core_undeliveredemail_changelist"))
    assert listing.status_code == 200 and b"priya@example.test" in listing.content
    assert b"emails that could not be sent" in listing.content.lower()
    admin.post(
        reverse("admin:core_undeliveredemail_changelist"),
        {"action": "send_again", "_selected_action": [invitation.pk]},
    )
    invitation.refresh_from_db()
    assert (invitation.failed_at, invitation.attempts) == (None, 0)
    assert AuditEntry.objects.filter(verb="email.resent", object_id=str(invitation.pk)).exists()
    assert mail.deliver_pending() == 2
    assert sorted(m["To"] for m in smtp_server.messages) == [
        cast.alice.email,
        "priya@example.test",
    ]


def test_once_the_mail_server_answers_the_waiting_emails_go_at_once_each_with_its_message_id(
    cast: Cast, settings: Any, smtp_server: Mailbox
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.EMAIL_PORT = free_port()  # down
    for name in ("priya", "quentin", "rashid"):
        services.invite(cast.cluster, cast.alice, f"{name}@example.test")
    waiting = list(OutboundEmail.objects.all())
    ids = {e.pk: e.message_id for e in waiting}
    assert all(ids.values()) and len(set(ids.values())) == 3
    for email in waiting:
        for _ in range(3):  # backed off 1, 4, then 16 minutes
            with pytest.raises(ConnectionRefusedError):
                mail.deliver(email.pk)
    settings.EMAIL_PORT = smtp_server.port  # back
    assert mail.deliver_pending() == 0  # each is waiting out its back-off
    # The first email to go through brings the rest forward: within seconds, not 16 min.
    services.invite(cast.cluster, cast.alice, "sana@example.test")
    new = OutboundEmail.objects.get(to="sana@example.test")
    assert mail.deliver(new.pk) is True
    assert DBTaskResult.objects.filter(task_path=deliver_due.module_path).exists()
    assert deliver_due.call() == 3
    # Every attempt carried the row's one Message-ID: the failed ones changed nothing.
    received = {m["To"]: m["Message-ID"] for m in smtp_server.messages}
    assert {e.to: ids[e.pk] for e in waiting} | {new.to: new.message_id} == received


# --- 3. At least once, never twice unrecognisably: the Message-ID and the record -----------


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_the_server_took_an_email_resends_it_with_the_same_message_id() -> (
    None
):
    """The gap "exactly once" cannot close: the server has the email, the worker dies
    before recording it. The next worker sends it again, as the same message (one
    Message-ID), which is what receiving systems drop as a repeat."""
    from aiosmtpd.controller import Controller

    accepted: list[Any] = []
    first_quit, release = threading.Event(), threading.Event()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            accepted.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

        async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
            if not first_quit.is_set():
                first_quit.set()
                release.wait(30)  # the worker waits here, after "250 OK", until killed
            return "221 Bye"

    with transaction.atomic():
        queued = [mail.queue_message(f"p{i}@example.test", f"Hello {i}", "Words") for i in range(3)]
    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        worker = _start_worker(port)
        assert first_quit.wait(60), "the worker never reached the SMTP server"
        worker.kill()  # SIGKILL after the server accepted, before the send was recorded
        worker.wait(10)
        release.set()
        assert len(accepted) == 1
        assert OutboundEmail.objects.filter(sent_at=None).count() == 3
        time.sleep(2.5)  # the dead worker's claim goes stale (EMAIL_CLAIM_TIMEOUT=2)
        again = _start_worker(port, "--batch")
        output, _ = again.communicate(timeout=120)
        assert again.returncode == 0, output
    finally:
        release.set()
        controller.stop()
    ids = Counter(m["Message-ID"] for m in accepted)
    # Each email arrived, as itself; the one repeat is the same message, nothing else.
    assert set(ids) == {e.message_id for e in queued}
    assert sorted(ids.values()) == [1, 1, 2]
    assert OutboundEmail.objects.filter(sent_at=None).count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_locked_database_while_recording_a_send_is_waited_out_and_recorded_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SQLite: another writer holds the lock past our busy timeout just as the send is to
    be recorded (before: "database is locked", the send unrecorded, sent again later)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's own lock; PostgreSQL's dropped connection takes the same path")
    from aiosmtpd.controller import Controller

    path = connection.settings_dict["NAME"]
    accepted: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            accepted.append(message_from_bytes(envelope.content, policy=policy.default))
            other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            other.execute("BEGIN IMMEDIATE")  # another process's write transaction

            def finish() -> None:
                other.execute("COMMIT")
                other.close()

            threading.Timer(1.0, finish).start()
            return "250 OK"

    with transaction.atomic():
        queued = mail.queue_message("p@example.test", "Hello", "Words")
    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    from django.test import override_settings

    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
        ):
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 100")  # give up on a lock quickly
            assert mail.deliver(queued.pk) is True
    finally:
        controller.stop()
    assert "recording failed (OperationalError)" in caplog.text  # the lock was really hit
    queued.refresh_from_db()
    assert queued.sent_at is not None and queued.claimed_at is None and queued.attempts == 1
    assert len(accepted) == 1


# --- 4. Digests once a period ---------------------------------------------------------------


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _notice(user: Any, cast: Cast, text: str, at: dt.datetime) -> Notification:
    return Notification.objects.create(
        user=user,
        cluster=cast.cluster,
        kind="help",
        text=text,
        link="/",
        digest="daily",
        created_at=at,
    )


def test_a_daily_digest_goes_once_a_day_however_often_the_job_runs(cast: Cast) -> None:
    day = timezone.localdate() + dt.timedelta(days=1)
    _notice(cast.bob, cast, "First question", _at(day, 6))
    assert send_digests(_at(day, 7, 5)) == 1
    # A notice at noon waits for tomorrow (before: a second "daily" digest a minute later).
    _notice(cast.bob, cast, "Second question", _at(day, 12))
    assert send_digests(_at(day, 12, 1)) == 0
    assert send_digests(_at(day, 23, 59)) == 0
    assert send_digests(_at(day + dt.timedelta(days=1), 7, 5)) == 1
    digests = [e.body for e in OutboundEmail.objects.filter(to=cast.bob.email)]
    assert len(digests) == 2
    assert "First question" in digests[0] and "Second question" not in digests[0]
    assert "Second question" in digests[1] and "First question" not in digests[1]


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_digest_job_at_once_send_each_person_one_digest(
    cast: Cast,
) -> None:
    day = timezone.localdate() + dt.timedelta(days=1)
    for person in (cast.alice, cast.bob):
        _notice(person, cast, "A question", _at(day, 6))
    when = _at(day, 7, 5).isoformat()
    start = time.time() + 3  # both processes are up by then: they run at the same moment
    script = (
        "import sys, time, datetime as dt, django; django.setup();"
        "from nextpractice.core.notifications import send_digests;"
        "time.sleep(max(0, float(sys.argv[2]) - time.time()));"
        "print(send_digests(dt.datetime.fromisoformat(sys.argv[1])))"
    )
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "nextpractice.conf.settings",
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, when, str(start)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [w.communicate(timeout=60) for w in workers]
    assert all(w.returncode == 0 for w in workers), results
    assert sum(int(out.strip().splitlines()[-1]) for out, _ in results) == 2
    assert sorted(OutboundEmail.objects.values_list("to", flat=True)) == [
        cast.alice.email,
        cast.bob.email,
    ]
    assert DigestSent.objects.count() == 2


# --- Settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("EMAIL_TIMEOUT", "ten", "EMAIL_TIMEOUT: expected a whole number, got 'ten'"),
        ("EMAIL_TIMEOUT", "0", "EMAIL_TIMEOUT: must be at least 1, got 0"),
        ("EMAIL_RETRY_DAYS", "2", "EMAIL_RETRY_DAYS: must be at least 3, got 2"),
    ],
)
def test_it_refuses_email_timeouts_and_retry_windows_it_cannot_use(
    name: str, value: str, message: str
) -> None:
    from .test_env import run_cli

    result = run_cli("check", **{name: value})
    assert result.returncode == 2 and message in result.stderr


def test_a_password_reset_is_queued_first_in_line_and_the_page_says_it_is_on_its_way(
    cast: Cast,
) -> None:
    client = Client()
    response = client.post(reverse("account_reset_password"), {"email": cast.alice.email})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"on its way" in page.content
    queued = OutboundEmail.objects.get()
    assert (queued.to, queued.priority, queued.forget_body) == (cast.alice.email, 10, True)
    assert queued.expires_at is not None and "/accounts/password/reset/key/" in queued.body


@pytest.mark.django_db(transaction=True)
def test_three_workers_at_once_deliver_every_email_exactly_once(smtp_server: Mailbox) -> None:
    """Three real worker processes sweep the same outbox at the same moment: each email is
    claimed by one of them and goes once."""
    import subprocess
    import sys

    from django.db import transaction

    from nextpractice.core import mail

    from .test_email import _database_url

    with transaction.atomic():
        for i in range(30):
            mail.queue_message(f"p{i}@example.test", f"Note {i}", f"Body {i}")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "EMAIL_HOST": smtp_server.host,
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_USE_TLS": "false",
        # Long enough that no claim goes stale while its worker is still sending: every
        # repeat here would be a real double send, not the documented one.
        "EMAIL_CLAIM_TIMEOUT": "120",
        "DJANGO_SETTINGS_MODULE": "nextpractice.conf.settings",
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "nextpractice", "worker", "--batch"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    for worker in workers:
        output, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0, output
    received = sorted(m["To"] for m in smtp_server.messages)
    assert received == sorted(f"p{i}@example.test" for i in range(30))
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 30
    assert not OutboundEmail.objects.filter(sent_at=None).exists()
