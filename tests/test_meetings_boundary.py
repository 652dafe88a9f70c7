"""The meetings side of the trust boundary (issue 10): who reads a meeting and its parts,
what each person may do inside it, every write through an audited service, and input that
is malformed answered with a message instead of a server error."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import AuditEntry
from nextpractice.clusters.models import Membership
from nextpractice.core.models import OutboundEmail
from nextpractice.meetings import services, termdates
from nextpractice.meetings.access import get_meeting_for
from nextpractice.meetings.models import (
    Action,
    ActionUpdate,
    AgendaItem,
    Attendance,
    CalendarFeed,
    Meeting,
    Note,
    SchoolHoliday,
    YearPlan,
)

from .conftest import Cast, client_for, make_meeting

SRC = Path(__file__).resolve().parent.parent / "src" / "nextpractice"
HUGE_ID = "99999999999999999999"  # 20 digits: beyond any database integer


def no_500(client: Client, method: str, url: str, data: Any = None) -> Any:
    client.raise_request_exception = False
    response = getattr(client, method)(url, data or {})
    assert response.status_code < 500, (url, data, response.status_code)
    return response


@pytest.fixture
def year(cast: Cast) -> dict[str, Any]:
    """A diarised meeting with a deputy (Dee, for Bob), an item, a note, an action; and a
    proposed date of the same cluster."""
    meeting = make_meeting(cast.cluster, dt.timedelta(days=20))
    proposed = make_meeting(cast.cluster, dt.timedelta(days=60), status="proposed")
    services.respond(meeting, cast.bob, "deputy", "Dee Deputy", "dee@school.test")
    item = services.add_item(meeting, cast.alice, "concern", "Staffing")
    note = services.add_note(meeting, cast.alice, "A note", item=item)
    action = services.add_action(meeting, cast.alice, "Shared action", None)
    services.update_action(action, cast.alice, "Begun", "open")
    other = make_meeting(cast.other_cluster, dt.timedelta(days=20))
    other_item = services.add_item(other, cast.oscar, "concern", "Hilltop's own")
    return {
        "meeting": meeting,
        "proposed": proposed,
        "item": item,
        "note": note,
        "action": action,
        "dee": User.objects.get(email="dee@school.test"),
        "other_item": other_item,
    }


def leave(cast: Cast, user: User) -> None:
    Membership.objects.of(user).filter(cluster=cast.cluster).update(left_at=timezone.now())


# --- 1. One scoped rule for every meetings model -------------------------------------------


def test_meetings_are_visible_to_agreed_members_and_the_facilitator_only(
    cast: Cast, year: dict[str, Any]
) -> None:
    meeting, proposed = year["meeting"], year["proposed"]
    for person in (cast.alice, cast.bob, cast.fay):
        assert set(Meeting.objects.visible_to(person)) == {meeting, proposed}
    for person in (cast.newbie, cast.oscar, cast.cora, cast.rita):
        assert meeting not in Meeting.objects.visible_to(person)
    from django.contrib.auth.models import AnonymousUser

    assert not Meeting.objects.visible_to(AnonymousUser()).exists()
    # A former member sees nothing any more.
    leave(cast, cast.alice)
    assert not Meeting.objects.visible_to(cast.alice).exists()


def test_a_deputy_sees_their_one_diarised_meeting_and_its_agenda_nothing_more(
    cast: Cast, year: dict[str, Any]
) -> None:
    dee = year["dee"]
    assert list(Meeting.objects.visible_to(dee)) == [year["meeting"]]
    assert list(AgendaItem.objects.visible_to(dee)) == [year["item"]]
    assert list(Note.objects.visible_to(dee)) == [year["note"]]
    # Not the cluster's actions, answers or plans.
    assert not Action.objects.visible_to(dee).exists()
    assert not ActionUpdate.objects.visible_to(dee).exists()
    assert not Attendance.objects.visible_to(dee).exists()
    assert not YearPlan.objects.visible_to(dee).exists()
    # Nor a proposed date, even when named deputy for it.
    Attendance.objects.create(
        meeting=year["proposed"], member=cast.alice, response="deputy", deputy=dee
    )
    assert year["proposed"] not in Meeting.objects.visible_to(dee)


def test_a_deputys_access_ends_when_the_member_who_sent_them_leaves(
    cast: Cast, year: dict[str, Any]
) -> None:
    dee, meeting = year["dee"], year["meeting"]
    assert client_for(dee).get(reverse("meeting_detail", args=[meeting.pk])).status_code == 200
    leave(cast, cast.bob)
    assert not Meeting.objects.visible_to(dee).exists()
    assert client_for(dee).get(reverse("meeting_detail", args=[meeting.pk])).status_code == 404
    # Nor is the deputy emailed about the meeting any more.
    OutboundEmail.objects.all().delete()
    services.cancel_meeting(meeting, cast.alice, "Snow")
    assert not OutboundEmail.objects.filter(to=dee.email).exists()


@pytest.mark.parametrize(
    "model", [AgendaItem, Note, Attendance, Action, ActionUpdate, YearPlan, Meeting]
)
def test_no_meetings_row_is_visible_outside_the_cluster(
    cast: Cast, year: dict[str, Any], model: Any
) -> None:
    for person in (cast.newbie, cast.oscar, cast.cora, cast.rita):
        seen = model.objects.visible_to(person)
        assert not seen.filter(**{f"{seen.cluster_path}": cast.cluster}).exists()
    assert model.objects.visible_to(cast.alice).exists()


# --- 2. Named capabilities, asked by views and templates alike -----------------------------


def test_capabilities_follow_the_persons_standing_in_the_meeting(
    cast: Cast, year: dict[str, Any]
) -> None:
    meeting = year["meeting"]
    meeting.chair, meeting.note_taker = cast.fay, cast.bob
    meeting.save()
    alice = get_meeting_for(cast.alice, meeting.pk)
    bob = get_meeting_for(cast.bob, meeting.pk)
    fay = get_meeting_for(cast.fay, meeting.pk)
    dee = get_meeting_for(year["dee"], meeting.pk)
    assert (alice.can_answer, fay.can_answer, dee.can_answer) == (True, False, False)
    assert (alice.can_arrange_agenda, fay.can_arrange_agenda) == (False, True)
    assert (alice.can_publish_notes, bob.can_publish_notes, fay.can_publish_notes) == (
        False,
        True,
        True,
    )
    assert (dee.can_add_item, dee.can_add_note) == (True, True)
    for name in (
        "can_add_action",
        "can_edit",
        "can_cancel",
        "can_set_roles",
        "can_take_register",
        "can_arrange_agenda",
        "can_publish_notes",
        "can_see_who_is_coming",
        "can_see_the_year",
    ):
        assert not getattr(dee, name), name


def test_with_no_chair_agreed_any_member_arranges_and_the_page_says_so(
    cast: Cast, year: dict[str, Any]
) -> None:
    meeting, item = year["meeting"], year["item"]
    url = reverse("meeting_item_move", args=[meeting.pk, item.pk])
    page = client_for(cast.bob).get(reverse("meeting_detail", args=[meeting.pk]))
    assert url.encode() in page.content  # the template offers what the view allows
    assert client_for(cast.bob).post(url, {"direction": "up"}).status_code == 302
    meeting.chair = cast.alice
    meeting.save()
    page = client_for(cast.bob).get(reverse("meeting_detail", args=[meeting.pk]))
    assert url.encode() not in page.content
    assert client_for(cast.bob).post(url, {"direction": "up"}).status_code == 403


def test_no_role_rule_is_written_out_in_a_meetings_template() -> None:
    for path in (SRC / "templates" / "meetings").glob("*.html"):
        text = path.read_text()
        for rule in ("role ==", "membership.role", "is_chair", "is_note_taker", "chair_id =="):
            assert rule not in text, f"{path.name}: {rule}"


def test_a_deputy_is_refused_what_only_members_do(cast: Cast, year: dict[str, Any]) -> None:
    meeting, item = year["meeting"], year["item"]
    dee = client_for(year["dee"])
    for name, args, data in [
        ("meeting_action_add", [meeting.pk], {"title": "Mine", "owner": "0"}),
        ("meeting_roles", [meeting.pk], {"chair": str(year["dee"].pk)}),
        ("meeting_register", [meeting.pk], {}),
        ("meeting_publish", [meeting.pk], {}),
        ("meeting_item_time", [meeting.pk, item.pk], {"minutes": "5"}),
        ("meeting_respond", [meeting.pk], {"response": "apologies"}),
    ]:
        assert dee.post(reverse(name, args=args), data).status_code == 403, name
    assert not Action.objects.filter(title="Mine").exists()


# --- 3. Members who have not agreed, and former members -------------------------------------


def test_a_member_who_has_not_agreed_neither_sees_nor_changes_the_clusters_actions(
    cast: Cast, year: dict[str, Any]
) -> None:
    action = year["action"]  # shared: "the whole cluster"
    nina = client_for(cast.newbie)
    page = nina.get(reverse("my_actions"))
    assert b"Shared action" not in page.content
    response = nina.post(reverse("action_update", args=[action.pk]), {"status": "done"})
    assert response.status_code == 404
    action.refresh_from_db()
    assert action.status == "open"
    assert services.open_action_count(cast.newbie) == 0
    assert services.open_action_count(cast.alice) == 1


def test_ground_rules_changed_close_the_actions_until_agreed_again(
    cast: Cast, year: dict[str, Any]
) -> None:
    cast.cluster.ground_rules_version += 1
    cast.cluster.save()
    alice = client_for(cast.alice)
    assert b"Shared action" not in alice.get(reverse("my_actions")).content
    assert (
        alice.post(reverse("action_update", args=[year["action"].pk]), {"status": "done"})
    ).status_code == 404


def test_a_former_member_neither_sees_nor_changes_the_clusters_actions(
    cast: Cast, year: dict[str, Any]
) -> None:
    action = services.add_action(year["meeting"], cast.alice, "Bob's own", cast.bob)
    leave(cast, cast.bob)
    bob = client_for(cast.bob)
    page = bob.get(reverse("my_actions"))
    assert b"Shared action" not in page.content and b"Bob&#x27;s own" not in page.content
    assert bob.post(reverse("action_update", args=[action.pk]), {"status": "done"}).status_code == (
        404
    )
    assert services.open_action_count(cast.bob) == 0


# --- 4. Every write through an audited service -----------------------------------------------


def test_meetings_views_write_nothing_themselves() -> None:
    tree = ast.parse((SRC / "meetings" / "views.py").read_text())
    writes = [
        f"line {node.lineno}: .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr
        in {"save", "create", "delete", "update", "bulk_create", "bulk_update", "get_or_create"}
    ]
    assert not writes, writes


def test_timing_an_item_is_a_recorded_service(cast: Cast, year: dict[str, Any]) -> None:
    meeting, item = year["meeting"], year["item"]
    response = client_for(cast.alice).post(
        reverse("meeting_item_time", args=[meeting.pk, item.pk]), {"minutes": "25"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.minutes == 25
    entry = AuditEntry.objects.get(verb="agenda.timed")
    assert entry.cluster == cast.cluster and "25 minutes" in entry.summary


def test_the_chair_and_note_taker_are_members_of_the_cluster(
    cast: Cast, year: dict[str, Any]
) -> None:
    with pytest.raises(services.MeetingError, match="cluster's members"):
        services.set_roles(year["meeting"], cast.alice, cast.oscar, None)
    response = client_for(cast.alice).post(
        reverse("meeting_roles", args=[year["meeting"].pk]), {"chair": str(cast.oscar.pk)}
    )
    assert response.status_code == 302
    year["meeting"].refresh_from_db()
    assert year["meeting"].chair_id is None


def test_notes_and_progress_are_recorded_without_their_words(
    cast: Cast, year: dict[str, Any]
) -> None:
    entries = AuditEntry.objects.filter(cluster=cast.cluster)
    assert entries.filter(verb="notes.added").exists()
    assert entries.filter(verb="action.progress").exists()
    assert not any("A note" in e.summary or "Begun" in e.summary for e in entries)


def test_a_note_on_another_meetings_item_is_refused_by_the_service(
    cast: Cast, year: dict[str, Any]
) -> None:
    with pytest.raises(services.MeetingError):
        services.add_note(year["meeting"], cast.alice, "Sneaky", item=year["other_item"])
    assert not Note.objects.filter(text="Sneaky").exists()


def test_the_calendar_address_is_replaced_and_turned_off_through_a_service(cast: Cast) -> None:
    client = client_for(cast.alice)
    client.post(reverse("calendar_token"), {"do": "replace"})
    first = CalendarFeed.objects.get(user=cast.alice).token
    client.post(reverse("calendar_token"), {})
    assert CalendarFeed.objects.get(user=cast.alice).token != first
    client.post(reverse("calendar_token"), {"do": "revoke"})
    assert not CalendarFeed.objects.filter(user=cast.alice).exists()
    assert AuditEntry.objects.filter(verb="calendar.revoked").exists()
    # An unknown choice changes nothing.
    client.post(reverse("calendar_token"), {"do": "explode"})
    assert not CalendarFeed.objects.filter(user=cast.alice).exists()


def test_term_dates_added_and_removed_are_recorded(cast: Cast) -> None:
    cora = client_for(cast.cora)
    url = reverse("area_term_dates", args=[cast.area.pk])
    response = cora.post(
        url, {"form": "add", "name": "Half-term", "start": "2026-10-26", "end": "2026-10-30"}
    )
    assert response.status_code == 302
    holiday = SchoolHoliday.objects.get()
    cora.post(reverse("area_term_dates_delete", args=[cast.area.pk, holiday.pk]))
    assert not SchoolHoliday.objects.exists()
    assert {e.verb for e in AuditEntry.objects.all()} >= {"termdates.added", "termdates.removed"}


# --- 5. services split by the practice's words, the same names for everyone -----------------


def test_other_apps_still_find_the_meetings_services_by_their_names() -> None:
    for name in [
        "MeetingError",
        "next_meeting",
        "upcoming_for",
        "add_item",
        "add_action",
        "add_note",
        "respond",
        "agenda",
        "attendance_record",
        "draft_plan",
        "confirm_plan",
        "move_meeting",
        "cancel_meeting",
        "publish_notes",
        "update_action",
        "send_due_meeting_emails",
        "my_actions",
    ]:
        assert callable(getattr(services, name)), name
    assert not (SRC / "meetings" / "services.py").exists()
    for module in (SRC / "meetings" / "services").glob("*.py"):
        assert len(module.read_text().splitlines()) < 450, module.name


# --- 6. Term dates: refused whole, with the reason -------------------------------------------


def event(n: int, start: str = "20261026", end: str = ";VALUE=DATE:20261031") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{n}@council\r\nSUMMARY:Half term {n}\r\n"
        f"DTSTART;VALUE=DATE:{start}\r\nDTEND{end}\r\nEND:VEVENT\r\n"
    )


def ics(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + "".join(events)).encode() + (
        b"END:VCALENDAR\r\n"
    )


def upload_term_dates(cast: Cast, name: str, content: bytes) -> Any:
    return no_500(
        client_for(cast.cora),
        "post",
        reverse("area_term_dates", args=[cast.area.pk]),
        {"form": "import", "file": SimpleUploadedFile(name, content)},
    )


def test_a_csv_over_2_mib_is_refused_whole_not_cut_and_half_imported(cast: Cast) -> None:
    row = b"October half-term,2026-10-26,2026-10-30\n"
    content = b"name,start,end\n" + row * (termdates.MAX_BYTES // len(row) + 10)
    assert len(content) > termdates.MAX_BYTES
    response = upload_term_dates(cast, "big.csv", content)
    assert response.status_code == 400
    assert "larger than 2 MB" in response.content.decode()
    assert not SchoolHoliday.objects.exists()
    # The reader itself refuses too, whoever calls it with whatever it was given.
    with pytest.raises(termdates.TermDatesError, match="larger than 2 MB"):
        termdates.read_csv(content)


def test_an_ics_of_25000_events_is_refused_and_the_page_stays_small(cast: Cast) -> None:
    content = ics(*["BEGIN:VEVENT\r\nEND:VEVENT\r\n"] * 25_000)
    assert len(content) < termdates.MAX_BYTES
    response = upload_term_dates(cast, "many.ics", content)
    assert response.status_code == 400
    assert f"at most {termdates.MAX_EVENTS}" in response.content.decode()
    assert not SchoolHoliday.objects.exists()
    assert len(response.content) < 100_000


def test_too_many_events_are_refused_and_an_area_keeps_at_most_a_thousand_holidays(
    cast: Cast,
) -> None:
    over = termdates.MAX_EVENTS + 1
    response = upload_term_dates(cast, "ok.ics", ics(*[event(n) for n in range(over)]))
    assert response.status_code == 400 and f"{over} events" in response.content.decode()
    assert not SchoolHoliday.objects.exists()
    response = upload_term_dates(cast, "ok.ics", ics(*[event(n) for n in range(1001)]))
    assert response.status_code == 400 and "at most 1000" in response.content.decode()
    response = upload_term_dates(cast, "ok.ics", ics(*[event(n) for n in range(1000)]))
    assert response.status_code == 200  # the preview
    assert not SchoolHoliday.objects.exists()
    response = client_for(cast.cora).post(
        reverse("area_term_dates_confirm", args=[cast.area.pk]),
        {"token": response.context["preview"].token},
    )
    assert response.status_code == 302
    assert SchoolHoliday.objects.count() == 1000


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("00010101", ";VALUE=DATE:00010101", "cannot be read"),  # DTEND a day before year 1
        ("00010102", ";VALUE=DATE:00010103", "outside the years 2000 to 2099"),
        ("99991231", ";VALUE=DATE:100000101", "could not be read"),  # past the calendar
        ("99991230", ";VALUE=DATE:99991231", "outside the years 2000 to 2099"),
        ("20261026", ":P99999999D", "could not be read"),  # not a date at all
        ("20261026", ";VALUE=DATE:20301026", "lasts more than a year"),
        ("not-a-date", ";VALUE=DATE:20261031", "could not be read"),
    ],
)
def test_ics_dates_at_the_edges_of_the_calendar_are_refused_clearly(
    cast: Cast, start: str, end: str, reason: str
) -> None:
    response = upload_term_dates(cast, "edge.ics", ics(event(1), event(2, start, end)))
    assert response.status_code == 400
    body = response.content.decode()
    assert "could not be read" in body or "cannot be read" in body or reason in body
    assert not SchoolHoliday.objects.exists()


def test_a_duration_past_the_end_of_the_calendar_is_refused(cast: Cast) -> None:
    overflowing = (
        "BEGIN:VEVENT\r\nUID:d\r\nSUMMARY:Forever\r\nDTSTART;VALUE=DATE:20261026\r\n"
        "DURATION:P999999999D\r\nEND:VEVENT\r\n"
    )
    response = upload_term_dates(cast, "long.ics", ics(event(1), overflowing))
    assert response.status_code == 400
    assert not SchoolHoliday.objects.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"name,start,end\n" + b"x" * (200 * 1024) + b",2026-10-26,2026-10-30\n", None),
        (b'name,start,end\n"' + b"x" * (200 * 1024) + b'",2026-10-26,2026-10-30\n', None),
        (b"name,start,end\nHalf\x00term,2026-10-26,2026-10-30\n", "NUL"),
        (b"name,start,end\nOld,0001-01-01,0001-01-05\n", "outside the years 2000 to 2099"),
        (b"name,start,end\n" + b"H,2026-10-26,2026-10-30\n" * 501, "501 rows"),
        (b"name,start,end\nH," + "²٣".encode() + b",2026-10-30\n", "is not a date"),
    ],
)
def test_a_malformed_csv_is_refused_clearly_and_writes_nothing(
    cast: Cast, content: bytes, reason: str | None
) -> None:
    response = upload_term_dates(cast, "bad.csv", content)
    if reason is not None:
        assert response.status_code == 400
        assert reason in response.content.decode()
    assert not SchoolHoliday.objects.exists() or all(
        len(h.name) <= 120 for h in SchoolHoliday.objects.all()
    )


@pytest.mark.parametrize(
    "change",
    [
        {"start": "0001-01-01"},
        {"end": "9999-12-31"},
        {"start": "10000-01-01"},
        {"name": "Half\x00term"},
        {"name": "x" * 1_000_000},
        {"form": "nonsense"},
    ],
)
def test_a_bad_holiday_is_refused_with_a_message(cast: Cast, change: dict[str, str]) -> None:
    data = {"form": "add", "name": "Half-term", "start": "2026-10-26", "end": "2026-10-30"}
    response = no_500(
        client_for(cast.cora),
        "post",
        reverse("area_term_dates", args=[cast.area.pk]),
        data | change,
    )
    assert response.status_code == 400
    assert not SchoolHoliday.objects.exists()


# --- 7. No server error on malformed input ---------------------------------------------------

BAD_NUMBERS = ["²", "٣", "-1", "0", "1e3", "NaN", HUGE_ID, "\x00", "1\x00", "x" * 100_000]


@pytest.mark.parametrize("value", [*BAD_NUMBERS, "99999", "10000", "2026\x00"])
@pytest.mark.parametrize("page", ["meetings_year", "meetings_plan"])
def test_a_malformed_year_shows_this_year_with_a_message(cast: Cast, page: str, value: str) -> None:
    response = no_500(
        client_for(cast.alice), "get", reverse(page, args=[cast.cluster.pk]), {"year": value}
    )
    assert response.status_code == 200


def test_a_year_in_range_is_still_shown(cast: Cast) -> None:
    response = client_for(cast.alice).get(
        reverse("meetings_year", args=[cast.cluster.pk]), {"year": "2031"}
    )
    assert response.context["start_year"] == 2031


@pytest.mark.parametrize(
    "url",
    [
        f"/meetings/{HUGE_ID}/",
        f"/meetings/{HUGE_ID}/calendar.ics",
        f"/clusters/{HUGE_ID}/meetings/",
        f"/clusters/{HUGE_ID}/meetings/plan/",
        "/calendar/%00.ics",
        "/calendar/" + "a" * 5000 + ".ics",
    ],
)
def test_ids_too_large_for_the_database_are_not_found(cast: Cast, url: str) -> None:
    assert no_500(client_for(cast.alice), "get", url).status_code == 404


def test_ids_too_large_in_posted_urls_are_not_found(cast: Cast, year: dict[str, Any]) -> None:
    alice, meeting = client_for(cast.alice), year["meeting"]
    for url in [
        f"/meetings/{meeting.pk}/items/{HUGE_ID}/move/",
        f"/clusters/{cast.cluster.pk}/meetings/plan/{HUGE_ID}/confirm/",
        f"/actions/{HUGE_ID}/",
    ]:
        assert no_500(alice, "post", url, {"direction": "up"}).status_code == 404
    cora = client_for(cast.cora)
    url = f"/areas/{cast.area.pk}/term-dates/{HUGE_ID}/delete/"
    assert no_500(cora, "post", url).status_code == 404


# "0" is the whole cluster as an action's owner, and "٣" is a digit (Arabic-Indic three)
# that Django reads as 3: both are answers, not malformed ones, on this page.
NOT_CHOICES = [v for v in BAD_NUMBERS if v not in {"0", "٣"}]


@pytest.mark.parametrize("value", [*NOT_CHOICES, "<script>alert(1)</script>"])
def test_malformed_choices_on_the_meeting_page_change_nothing(
    cast: Cast, year: dict[str, Any], value: str
) -> None:
    meeting, item, action = year["meeting"], year["item"], year["action"]
    alice = client_for(cast.alice)
    second = services.add_item(meeting, cast.bob, "question", "Second")
    before = {
        "items": list(AgendaItem.objects.values_list("pk", "position", "minutes", "detail")),
        "notes": Note.objects.count(),
        "actions": Action.objects.count(),
        "roles": (meeting.chair_id, meeting.note_taker_id),
    }
    posts = [
        ("meeting_item_move", [meeting.pk, item.pk], {"direction": value}),
        ("meeting_item_merge", [meeting.pk, item.pk], {"into": value}),
        ("meeting_item_time", [meeting.pk, item.pk], {"minutes": value}),
        ("meeting_note_add", [meeting.pk], {"text": "Note", "item": value}),
        ("meeting_note_add", [meeting.pk], {"text": "Note", "action": value}),
        ("meeting_action_add", [meeting.pk], {"title": "A", "owner": value}),
        ("meeting_action_add", [meeting.pk], {"title": "A", "owner": "0", "item": value}),
        ("meeting_action_add", [meeting.pk], {"title": "A", "owner": "0", "due": value}),
        ("meeting_roles", [meeting.pk], {"chair": value, "note_taker": ""}),
        ("meeting_register", [meeting.pk], {f"mark-{cast.alice.pk}": value}),
        ("meeting_register", [meeting.pk], {f"mark-{value}": "attended"}),
        ("action_update", [action.pk], {"status": value}),
    ]
    for name, args, data in posts:
        no_500(alice, "post", reverse(name, args=args), data)
    assert before == {
        "items": list(AgendaItem.objects.values_list("pk", "position", "minutes", "detail")),
        "notes": Note.objects.count(),
        "actions": Action.objects.count(),
        "roles": tuple(Meeting.objects.values_list("chair_id", "note_taker_id").get(pk=meeting.pk)),
    }
    assert second.pk in {i[0] for i in before["items"]}


def test_another_clusters_item_cannot_be_merged_into_or_noted(
    cast: Cast, year: dict[str, Any]
) -> None:
    meeting, item, other = year["meeting"], year["item"], year["other_item"]
    alice = client_for(cast.alice)
    alice.post(reverse("meeting_item_merge", args=[meeting.pk, item.pk]), {"into": str(other.pk)})
    response = alice.post(
        reverse("meeting_note_add", args=[meeting.pk]), {"text": "x", "item": str(other.pk)}
    )
    assert response.status_code == 400
    assert AgendaItem.objects.filter(pk=item.pk).exists()
    assert not other.notes.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"day": "0001-01-01"},
        {"day": "9999-12-31"},
        {"day": "10000-01-01"},
        {"day": "2098-01-07"},
        {"duration_minutes": HUGE_ID},
        {"duration_minutes": "NaN"},
        {"duration_minutes": "²"},
        {"start_time": "25:61"},
        {"venue": "x\x00y", "place_kind": "venue"},
        {"online_url": "x" * 1_000_000, "place_kind": "online"},
    ],
)
def test_a_malformed_meeting_time_is_refused_and_changes_nothing(
    cast: Cast, year: dict[str, Any], change: dict[str, str]
) -> None:
    meeting = year["meeting"]
    before = (meeting.starts_at, meeting.duration_minutes, meeting.sequence)
    form = {
        "day": meeting.local_start.date().isoformat(),
        "start_time": "15:00",
        "duration_minutes": "90",
        "place_kind": "rotating",
        "version": str(meeting.version),
    } | change
    alice = client_for(cast.alice)
    response = no_500(alice, "post", reverse("meeting_edit", args=[meeting.pk]), form)
    assert response.status_code == 200 and b"There is a problem" in response.content
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.duration_minutes, meeting.sequence) == before
    count = Meeting.objects.count()
    response = no_500(alice, "post", reverse("meeting_new", args=[cast.cluster.pk]), form)
    assert response.status_code == 200 and b"There is a problem" in response.content
    assert Meeting.objects.count() == count
    assert not YearPlan.objects.filter(start_year__gt=2090).exists()


def test_the_service_refuses_a_day_in_a_year_it_does_not_plan(cast: Cast) -> None:
    place = {"place_kind": "rotating", "venue": "", "online_url": ""}
    for day in (dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2020, 1, 8)):
        with pytest.raises(services.MeetingError):
            services.add_meeting(cast.cluster, cast.alice, day, dt.time(15), 90, place)
    assert not YearPlan.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"deputy_name": "Dee\x00"},
        {"deputy_name": "x" * 1_000_000},
        {"deputy_email": "dee\x00@school.test"},
        {"response": "\x00"},
    ],
)
def test_a_malformed_answer_is_refused_inline(
    cast: Cast, year: dict[str, Any], change: dict[str, str]
) -> None:
    data = {"response": "deputy", "deputy_name": "Dee", "deputy_email": "new@school.test"}
    response = no_500(
        client_for(cast.alice),
        "post",
        reverse("meeting_respond", args=[year["meeting"].pk]),
        data | change,
    )
    assert response.status_code == 400
    assert not Attendance.objects.filter(member=cast.alice).exists()


def test_progress_returns_only_to_a_page_of_ours(cast: Cast, year: dict[str, Any]) -> None:
    alice = client_for(cast.alice)
    url = reverse("action_update", args=[year["action"].pk])
    for target in ["//evil.example/", "https://evil.example/", "/meetings/\x00", "/admin/"]:
        response = alice.post(url, {"text": "More", "status": "open", "next": target})
        assert response["Location"] == reverse("my_actions")
    response = alice.post(url, {"text": "More", "status": "open", "next": "/actions/"})
    assert response["Location"] == "/actions/"
