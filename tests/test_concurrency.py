"""Concurrent edits and double submission (issue 11): a stale form never reverts a
colleague's change, rewrites of the agenda take turns, and the same form sent twice creates
(and emails) once.

The threaded tests need PostgreSQL's row locks and run in CI; on SQLite they are skipped
with the reason, and the same logic is checked there one step at a time."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nextpractice.core.models import OnceKey, OutboundEmail
from nextpractice.core.once import once
from nextpractice.directory.models import Topic
from nextpractice.meetings import services
from nextpractice.meetings.models import AgendaItem, ItemKind, Meeting
from nextpractice.support import services as support_services
from nextpractice.support.models import HelpRequest, Idea, ResearchPiece, Success

from .conftest import Cast, client_for, make_meeting

pytestmark = pytest.mark.django_db


def hidden(response: Any, name: str) -> str:
    """The value of a hidden input the page drew (the form's version or one-time key)."""
    found = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
    assert found, f"no hidden {name} on the page"
    return found.group(1)


def moved_emails() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(subject__startswith="Moved:"))


def edit_form(meeting: Meeting, client: Client, **change: str) -> dict[str, str]:
    """The edit form as a person's browser holds it: drawn now, then changed."""
    page = client.get(reverse("meeting_edit", args=[meeting.pk]))
    assert page.status_code == 200
    return {
        "day": meeting.local_start.date().isoformat(),
        "start_time": "15:00",
        "duration_minutes": "90",
        "place_kind": "rotating",
        "version": hidden(page, "version"),
        "confirm_time": "on",  # 400 days ahead may be a weekend; the race is the point here
    } | change


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        reason = (
            "needs PostgreSQL's row locks (run with DATABASE_URL=postgresql://...; CI does): "
            "SQLite serialises whole transactions, so threads test nothing there"
        )
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)


def at_once(jobs: list[Callable[[], Any]]) -> list[BaseException]:
    """Run ``jobs`` in threads released together; the errors they raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as e:
            errors.append(e)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return errors


# --- Concurrent edits of a meeting -------------------------------------------------------------


def test_a_stale_edit_is_refused_with_both_versions_and_one_set_of_moved_emails(
    cast: Cast,
) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=400))
    day = meeting.local_start.date()
    alice, bob = client_for(cast.alice), client_for(cast.bob)
    # Both open the edit page at the same time; Alice saves first.
    alices = edit_form(meeting, alice, start_time="14:00")
    bobs = edit_form(meeting, bob, start_time="16:30", day=(day + dt.timedelta(days=1)).isoformat())
    assert alice.post(reverse("meeting_edit", args=[meeting.pk]), alices).status_code == 302
    sent = len(moved_emails())
    assert sent > 0

    response = bob.post(reverse("meeting_edit", args=[meeting.pk]), bobs)

    # Bob's stale form changes nothing and sends nothing: Alice's time stands.
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this meeting" in page
    assert re.search(r'data-version="theirs">14:00<', page)
    assert re.search(r'data-version="yours"><strong>16:30</strong><', page)
    meeting.refresh_from_db()
    assert meeting.local_start.time() == dt.time(14, 0) and meeting.local_start.date() == day
    assert meeting.version == 2 and meeting.sequence == 1
    assert len(moved_emails()) == sent
    # Bob chooses his own: the page's form carries his values and the saved version.
    assert hidden(response, "version") == "2"
    again = bob.post(
        reverse("meeting_edit", args=[meeting.pk]), bobs | {"version": hidden(response, "version")}
    )
    assert again.status_code == 302
    meeting.refresh_from_db()
    assert meeting.local_start.time() == dt.time(16, 30) and meeting.version == 3
    assert len(moved_emails()) == 2 * sent


@pytest.mark.parametrize("version", ["", "²", "99999999999999999999", "0", "NaN"])
def test_an_edit_without_a_readable_version_is_refused_with_a_message(
    cast: Cast, version: str
) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=400))
    alice = client_for(cast.alice)
    form = edit_form(meeting, alice, start_time="14:00") | {"version": version}
    response = alice.post(reverse("meeting_edit", args=[meeting.pk]), form)
    assert response.status_code == 200 and b"reload the page" in response.content
    meeting.refresh_from_db()
    assert meeting.version == 1 and meeting.sequence == 0 and not moved_emails()


def test_the_service_refuses_a_stale_version_and_leaves_the_saved_one_in_hand(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=400))
    stale = Meeting.objects.unscoped().get(pk=meeting.pk)
    day = meeting.local_start.date()
    services.move_meeting(meeting, cast.alice, day, dt.time(14), 60, version=1)
    with pytest.raises(services.StaleEdit):
        services.move_meeting(stale, cast.bob, day, dt.time(16), 90, version=1)
    # The caller's copy is now the saved one, to show as "theirs".
    assert stale.local_start.time() == dt.time(14) and stale.duration_minutes == 60
    # Without a form (the demo, a command) it acts on what it has just read, and does not
    # put back what the caller's old copy said.
    stale_again = Meeting.objects.unscoped().get(pk=meeting.pk)
    services.set_roles(meeting, cast.alice, cast.bob, cast.alice)
    services.move_meeting(stale_again, cast.bob, day, dt.time(16), 90)
    meeting.refresh_from_db()
    assert meeting.chair == cast.bob and meeting.local_start.time() == dt.time(16)


# --- Rewriting the agenda ----------------------------------------------------------------------


def test_merges_from_stale_copies_keep_every_text_and_a_merged_away_item_is_refused(
    cast: Cast,
) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=20))
    into = services.add_item(meeting, cast.alice, ItemKind.CONCERN, "Staffing", "Cover")
    a = services.add_item(meeting, cast.bob, ItemKind.CONCERN, "Supply", "Costs", 10)
    b = services.add_item(meeting, cast.alice, ItemKind.CONCERN, "Agency", "Rates", 5)
    # Two chairs' pages, both drawn before either merge.
    first, second = (AgendaItem.objects.unscoped().get(pk=into.pk) for _ in range(2))
    services.merge_items(meeting, cast.alice, a, first)
    services.merge_items(meeting, cast.bob, b, second)
    into.refresh_from_db()
    assert "Supply" in into.detail and "Agency" in into.detail and "Cover" in into.detail
    assert into.minutes == 15 and into.version == 3
    # Merging an item someone has just merged away says so, and changes nothing.
    with pytest.raises(services.MeetingError, match="no longer on the agenda"):
        services.merge_items(meeting, cast.alice, a, into)
    assert AgendaItem.objects.unscoped().filter(meeting=meeting).count() == 1


def test_timing_an_item_changed_since_the_page_was_drawn_is_refused(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=20))
    services.set_roles(meeting, cast.alice, cast.alice, cast.bob)
    item = services.add_item(meeting, cast.alice, ItemKind.CONCERN, "Staffing", minutes=10)
    other = services.add_item(meeting, cast.bob, ItemKind.CONCERN, "Supply", minutes=5)
    alice = client_for(cast.alice)
    page = alice.get(reverse("meeting_detail", args=[meeting.pk]))
    drawn = re.findall(r'name="version" value="(\d+)"', page.content.decode())
    assert drawn == ["1", "1"]
    services.merge_items(meeting, cast.bob, other, item)  # Bob merges meanwhile: 15 minutes
    response = alice.post(
        reverse("meeting_item_time", args=[meeting.pk, item.pk]), {"minutes": "10", "version": "1"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.minutes == 15
    assert "was changed while you were timing it" in alice.get(response.url).content.decode()
    # Drawn from the saved version, it is set.
    alice.post(
        reverse("meeting_item_time", args=[meeting.pk, item.pk]), {"minutes": "20", "version": "2"}
    )
    item.refresh_from_db()
    assert item.minutes == 20 and item.version == 3


def test_items_take_distinct_places_and_any_other_business_stays_last(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=20))
    services.add_item(meeting, cast.alice, ItemKind.AOB, "AOB")
    for n in range(4):
        services.add_item(meeting, cast.bob, ItemKind.CONCERN, f"Item {n}")
    items = list(AgendaItem.objects.unscoped().filter(meeting=meeting))
    positions = [i.position for i in items]
    assert len(set(positions)) == len(positions)
    assert items[-1].kind == ItemKind.AOB


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_items_added_and_merged_at_the_same_moment_keep_everything(
    cast: Cast,
) -> None:
    needs_postgresql()
    meeting = make_meeting(cast.cluster, dt.timedelta(days=20))
    people = [cast.alice, cast.bob]

    def adder(n: int) -> Callable[[], Any]:
        return lambda: services.add_item(meeting, people[n % 2], ItemKind.CONCERN, f"Item {n}")

    assert at_once([adder(n) for n in range(8)]) == []
    positions = list(
        AgendaItem.objects.unscoped().filter(meeting=meeting).values_list("position", flat=True)
    )
    assert len(positions) == 8 and len(set(positions)) == 8

    into = AgendaItem.objects.unscoped().filter(meeting=meeting).first()
    assert into is not None
    others = list(AgendaItem.objects.unscoped().filter(meeting=meeting).exclude(pk=into.pk))

    def merger(item: AgendaItem) -> Callable[[], Any]:
        # Each thread holds the copy of ``into`` its page was drawn from.
        stale = AgendaItem.objects.unscoped().get(pk=into.pk)
        return lambda: services.merge_items(meeting, cast.alice, item, stale)

    assert at_once([merger(item) for item in others[:6]]) == []
    into.refresh_from_db()
    assert all(item.title in into.detail for item in others[:6])
    assert AgendaItem.objects.unscoped().filter(meeting=meeting).count() == 2


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_same_help_request_sent_twice_at_once_is_asked_once(
    cast: Cast,
) -> None:
    needs_postgresql()

    def ask() -> Any:
        return support_services.ask_for_help(
            cast.cluster, cast.alice, "Ofsted", "Phoned", [], "urgent", once_key="k" * 32
        )

    assert at_once([ask, ask, ask]) == []
    assert HelpRequest.objects.unscoped().count() == 1
    assert OutboundEmail.objects.filter(to=cast.bob.email).count() == 1


# --- Double submission -------------------------------------------------------------------------


def test_the_same_help_request_sent_twice_is_asked_once_and_emailed_once(cast: Cast) -> None:
    alice = client_for(cast.alice)
    page = alice.get(reverse("help_new", args=[cast.cluster.pk]))
    form = {
        "title": "Inspection tomorrow",
        "what_happened": "The inspector phoned at 9:10.",
        "urgency": "urgent",
        "topics": [Topic.objects.get_or_create(name="Inspection")[0].pk],
        "once_key": hidden(page, "once_key"),
    }
    first = alice.post(reverse("help_new", args=[cast.cluster.pk]), form)
    emails = OutboundEmail.objects.count()
    assert emails > 0
    second = alice.post(reverse("help_new", args=[cast.cluster.pk]), form)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url  # the repeat shows the first request
    assert HelpRequest.objects.unscoped().count() == 1
    assert OutboundEmail.objects.count() == emails
    # A new drawing of the form is a new request.
    again = alice.get(reverse("help_new", args=[cast.cluster.pk]))
    assert hidden(again, "once_key") != form["once_key"]
    alice.post(
        reverse("help_new", args=[cast.cluster.pk]), form | {"once_key": hidden(again, "once_key")}
    )
    assert HelpRequest.objects.unscoped().count() == 2


def test_the_same_agenda_item_sent_twice_is_added_once(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=20))
    bob = client_for(cast.bob)
    page = bob.get(reverse("meeting_detail", args=[meeting.pk]))
    form = {"kind": "concern", "title": "Ofsted", "once_key": hidden(page, "once_key")}
    for _ in range(2):
        response = bob.post(reverse("meeting_item_add", args=[meeting.pk]), form)
        assert response.status_code == 302
    assert AgendaItem.objects.unscoped().filter(meeting=meeting).count() == 1


@pytest.mark.parametrize(
    ("url", "form", "model"),
    [
        ("idea_list", {"title": "Stay and play", "what_we_did": "A", "what_happened": "B"}, Idea),
        ("research_list", {"title": "EEF", "summary": "Talk"}, ResearchPiece),
        ("successes", {"text": "Good inspection", "about": "0"}, Success),
    ],
)
def test_the_same_share_sent_twice_is_shared_once(
    cast: Cast, url: str, form: dict[str, str], model: Any
) -> None:
    bob = client_for(cast.bob)
    address = reverse(url, args=[cast.cluster.pk])
    form = form | {"once_key": hidden(bob.get(address), "once_key")}
    if url == "successes":
        form["about"] = str(cast.alice.pk)
    responses = [bob.post(address, form) for _ in range(2)]
    assert [r.status_code for r in responses] == [302, 302]
    assert model.objects.unscoped().count() == 1
    emails = OutboundEmail.objects.count()
    bob.post(address, form)
    assert OutboundEmail.objects.count() == emails


@pytest.mark.parametrize("key", ["x" * 65, "short", "bad key with spaces!!", "ab\x00" * 10])
def test_a_malformed_key_is_refused_with_a_message_and_nothing_is_created(
    cast: Cast, key: str
) -> None:
    response = client_for(cast.alice).post(
        reverse("help_new", args=[cast.cluster.pk]),
        {"title": "Help", "what_happened": "Now", "urgency": "urgent", "once_key": key},
    )
    assert response.status_code == 400
    assert b"reload the page" in response.content or b"Null characters" in response.content
    assert HelpRequest.objects.unscoped().count() == 0 and OutboundEmail.objects.count() == 0


def test_a_key_is_each_persons_own(cast: Cast) -> None:
    """Sending someone else's key creates your own request: nobody reaches another's
    result through a key."""
    key = "k" * 32
    mine = support_services.ask_for_help(
        cast.cluster, cast.alice, "A", "a", [], "week", once_key=key
    )
    theirs = support_services.ask_for_help(
        cast.cluster, cast.bob, "B", "b", [], "week", once_key=key
    )
    assert mine.pk != theirs.pk and theirs.requester == cast.bob
    assert OnceKey.objects.count() == 2


def test_a_failed_creation_leaves_the_key_unspent(cast: Cast) -> None:
    def fails() -> Any:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError), transaction.atomic():
        once(cast.alice.pk, "k" * 32, HelpRequest, fails)
    assert not OnceKey.objects.exists()
    made = support_services.ask_for_help(
        cast.cluster, cast.alice, "A", "a", [], "week", once_key="k" * 32
    )
    assert made.pk is not None


def test_a_key_spent_on_another_kind_of_thing_is_refused(cast: Cast) -> None:
    key = "k" * 32
    support_services.ask_for_help(cast.cluster, cast.alice, "A", "a", [], "week", once_key=key)
    with pytest.raises(support_services.SupportError, match="already sent"):
        support_services.share_idea(
            cast.cluster,
            cast.alice,
            title="T",
            what_we_did="W",
            what_happened="H",
            evidence="",
            once_key=key,
        )
    assert not Idea.objects.unscoped().exists()


def test_keys_are_forgotten_after_a_month_by_the_periodic_jobs(cast: Cast, settings: Any) -> None:
    from nextpractice.core.periodic import run_jobs

    settings.PERIODIC_JOBS = ["nextpractice.core.once.purge"]
    ask = support_services.ask_for_help
    ask(cast.cluster, cast.alice, "Old", "a", [], "week", once_key="o" * 32)
    ask(cast.cluster, cast.alice, "New", "a", [], "week", once_key="n" * 32)
    OnceKey.objects.filter(key="o" * 32).update(created_at=timezone.now() - dt.timedelta(days=31))
    assert run_jobs() == 1
    assert list(OnceKey.objects.values_list("key", flat=True)) == ["n" * 32]


def test_the_same_review_request_sent_twice_is_asked_once(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from nextpractice.reviews.models import DocumentVersion, ReviewRequest

    from .test_reviews import new_request, pdf_bytes

    settings.MEDIA_ROOT = tmp_path
    alice = client_for(cast.alice)
    page = alice.get(reverse("review_new", args=[cast.cluster.pk, "document"]))
    key = hidden(page, "once_key")
    first = new_request(
        alice, cast.cluster.pk, file=SimpleUploadedFile("sef.pdf", pdf_bytes()), once_key=key
    )
    emails = OutboundEmail.objects.count()
    second = new_request(
        alice, cast.cluster.pk, file=SimpleUploadedFile("sef.pdf", pdf_bytes()), once_key=key
    )
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert ReviewRequest.objects.unscoped().count() == 1
    assert DocumentVersion.objects.unscoped().count() == 1  # the repeat stored no file
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1
    assert OutboundEmail.objects.count() == emails


def test_a_double_click_on_ill_call_you_tells_the_person_once(cast: Cast) -> None:
    from nextpractice.support.models import HelpReply

    help_request = support_services.ask_for_help(
        cast.cluster, cast.alice, "Inspection tomorrow", "The call came", [], "urgent"
    )
    bob = client_for(cast.bob)
    page = bob.get(reverse("help_detail", args=[help_request.pk]))
    key = re.search(
        r'name="do" value="call"><input type="hidden" name="once_key" value="([^"]+)"',
        page.content.decode(),
    )
    assert key is not None
    before = OutboundEmail.objects.filter(to=cast.alice.email).count()
    for _ in range(2):
        response = bob.post(
            reverse("help_reply", args=[help_request.pk]), {"do": "call", "once_key": key[1]}
        )
        assert response.status_code == 302
    assert HelpReply.objects.unscoped().filter(request=help_request).count() == 1
    assert OutboundEmail.objects.filter(to=cast.alice.email).count() == before + 1


def test_a_key_spent_on_one_meetings_agenda_does_not_add_to_another(cast: Cast) -> None:
    first = make_meeting(cast.cluster, dt.timedelta(days=20))
    second = make_meeting(cast.cluster, dt.timedelta(days=50))
    bob = client_for(cast.bob)
    key = hidden(bob.get(reverse("meeting_detail", args=[first.pk])), "once_key")
    form = {"kind": "concern", "title": "Ofsted", "once_key": key}
    assert bob.post(reverse("meeting_item_add", args=[first.pk]), form).status_code == 302
    response = bob.post(reverse("meeting_item_add", args=[second.pk]), form)
    assert response.status_code == 400 and b"reload the page" in response.content
    assert not AgendaItem.objects.unscoped().filter(meeting=second).exists()
