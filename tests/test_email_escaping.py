"""What members type reaches other people's inboxes: escaped in the HTML part, as typed in
the plain-text part. Sent through the real SMTP server, as in production."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.utils import timezone

from nextpractice.clusters import services as cluster_services
from nextpractice.core import mail
from nextpractice.meetings import services as meeting_services
from nextpractice.support import services as support_services
from nextpractice.support.models import Notification

from .conftest import Cast, Mailbox, make_meeting, text_of

EVIL = "<script>alert(1)</script> Fish & chips <img src=x onerror=alert(2)>"
TEMPLATES = Path(__file__).parent.parent / "src/nextpractice/templates/emails"


def html_of(message: Any) -> str:
    part = message.get_body(("html",))
    assert part is not None, message["Subject"]
    return str(part.get_content())


def assert_escaped(message: Any) -> None:
    html = html_of(message)
    assert (
        "<script" not in html
        and "<img" not in html
        and "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")
    ), message["Subject"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, message["Subject"]
    assert "Fish &amp; chips" in html
    text = text_of(message)
    # The plain-text part reads as typed: nothing in it is HTML.
    assert EVIL in text, message["Subject"]
    assert "&amp;" not in text and "&lt;" not in text and "&#x27;" not in text


def test_member_text_is_escaped_in_every_html_part_and_natural_in_plain_text(
    cast: Cast, smtp_server: Mailbox
) -> None:
    cast.alice.full_name = f"Alice {EVIL}"
    cast.alice.save()
    cast.cluster.name = f"Riverside {EVIL}"
    cast.cluster.save()
    # An invitation's personal message, from a member whose name and cluster carry markup.
    cluster_services.invite(cast.cluster, cast.alice, "priya@example.test", message=EVIL)
    # A deputy's name, typed by the member who sends them.
    meeting = make_meeting(cast.cluster, dt.timedelta(days=9))
    meeting_services.respond(meeting, cast.bob, "deputy", f"Dee {EVIL}", "dee@school.test")
    # An urgent help request: its title and its Markdown text, emailed at once.
    support_services.ask_for_help(cast.cluster, cast.alice, f"Help {EVIL}", EVIL, [], "urgent")
    # A digest listing a help request's and an event's titles.
    for text in (f"{cast.alice} needs help: {EVIL}", f"Bob shared an event: {EVIL}"):
        Notification.objects.create(
            user=cast.bob, cluster=cast.cluster, kind="help", text=text, link="/", digest="daily"
        )
    support_services.send_digests(timezone.localtime().replace(hour=12) + dt.timedelta(days=1))
    mail.deliver_pending()

    subjects = [m["Subject"] for m in smtp_server.messages]
    kinds = {
        "invitation": [m for m in smtp_server.messages if m["To"] == "priya@example.test"],
        "deputy": [m for m in smtp_server.messages if m["To"] == "dee@school.test"],
        "help": [m for m in smtp_server.messages if m["Subject"].startswith("URGENT")],
        "digest": [m for m in smtp_server.messages if "digest" in m["Subject"]],
    }
    assert all(kinds.values()), (subjects, {k: len(v) for k, v in kinds.items()})
    for messages in kinds.values():
        for message in messages:
            assert_escaped(message)
    # Subjects are headers, not HTML: as typed.
    assert any(EVIL in s for s in subjects)


def test_markdown_in_an_email_goes_through_the_pages_sanitiser(
    cast: Cast, smtp_server: Mailbox
) -> None:
    what = "**Ofsted** tomorrow\n\n[notes](javascript:alert(1)) and [plan](https://example.test/p)"
    support_services.ask_for_help(cast.cluster, cast.alice, "Help", what, [], "urgent")
    mail.deliver_pending()
    message = smtp_server.messages[0]
    html = html_of(message)
    assert "<strong>Ofsted</strong>" in html
    assert 'href="javascript' not in html
    assert 'href="https://example.test/p"' in html and "nofollow" in html
    assert "**Ofsted** tomorrow" in text_of(message)  # the plain part shows what was typed


def test_every_email_template_escapes_in_its_html_part() -> None:
    """core.mail turns escaping off for the plain-text part only; a template that turns it
    off itself would put members' markup into the HTML part."""
    offenders = [
        path.name
        for path in sorted(TEMPLATES.iterdir())
        if "autoescape off" in path.read_text() or "|safe" in path.read_text()
    ]
    assert offenders == []
