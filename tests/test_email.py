"""Email goes out through a real SMTP server (aiosmtpd on loopback), via the outbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from nextpractice.clusters import services
from nextpractice.core import mail
from nextpractice.core.models import OutboundEmail

from .conftest import Cast, Mailbox, text_of


def test_a_sign_in_code_arrives_by_smtp_and_signs_the_leader_in(
    cast: Cast, smtp_server: Mailbox
) -> None:
    client = Client()
    client.post(reverse("account_request_login_code"), {"email": cast.alice.email})
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == cast.alice.email
    assert message["Subject"].startswith("[Next Practice]")
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", text_of(message), re.MULTILINE)
    assert code
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
    services.invite_to_platform(area, sam, "new.head@example.test")
    assert smtp_server.messages == []  # queued, not sent inside the request
    call_command("worker", batch=True)
    assert [m["To"] for m in smtp_server.messages] == ["new.head@example.test"]
    assert "invites you to join Next Practice" in text_of(smtp_server.messages[0])
