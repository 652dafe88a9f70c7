"""The cluster's year: planning, diarising, answers and deputies, agendas, notes, actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from nextpractice.audit.models import AuditEntry
from nextpractice.core.models import OutboundEmail
from nextpractice.directory.models import ClosureDay, Setting
from nextpractice.meetings import planner, services
from nextpractice.meetings.models import (
    Action,
    AgendaItem,
    Attendance,
    Meeting,
    MeetingStatus,
    Note,
    SchoolHoliday,
    YearPlan,
)

from .conftest import Cast, client_for, make_meeting

NEXT_YEAR = planner.academic_year_of(timezone.localdate()) + 1


def plan_values(**extra: Any) -> dict[str, Any]:
    return {
        "start_year": NEXT_YEAR,
        "cadence": "half_termly",
        "every_weeks": 6,
        "weekday": 2,
        "start_time": dt.time(15, 0),
        "duration_minutes": 90,
        "place_kind": "rotating",
        "venue": "",
        "online_url": "",
        "call_days_before": 7,
        "agenda_days_before": 3,
    } | extra


def emails_to(address: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(to=address))


# --- Planning ----------------------------------------------------------------------------


def test_it_proposes_six_wednesdays_at_three_hosted_in_turn(cast: Cast) -> None:
    client = client_for(cast.alice)
    response = client.post(reverse("meetings_plan", args=[cast.cluster.pk]), plan_values())
    assert response.status_code == 302
    plan = YearPlan.objects.get(cluster=cast.cluster)
    meetings = list(plan.meetings.all())
    assert len(meetings) == 6
    assert all(m.status == MeetingStatus.PROPOSED for m in meetings)
    assert all(
        m.local_start.weekday() == 2 and m.local_start.time() == dt.time(15) for m in meetings
    )
    # Alice's and Bob's settings take turns (Nina has not agreed, but is a member).
    hosts = [m.host_setting_id for m in meetings]
    assert len(set(hosts[:3])) == 3
    # Fay facilitates, so she chairs; note-taking rotates among the leaders.
    assert {m.chair_id for m in meetings} == {cast.fay.pk}
    assert len({m.note_taker_id for m in meetings[:3]}) == 3
    assert OutboundEmail.objects.count() == 0  # nothing is in anyone's diary yet
    page = client.get(f"{reverse('meetings_plan', args=[cast.cluster.pk])}?year={NEXT_YEAR}")
    assert b"Suits everyone" in page.content
    assert b"default English pattern" in page.content


def test_a_members_inset_day_is_avoided_or_shown_as_a_clash(cast: Cast) -> None:
    services.draft_plan(cast.cluster, cast.alice, plan_values())
    first = Meeting.objects.order_by("starts_at").first()
    assert first is not None
    day = first.local_start.date()
    ClosureDay.objects.create(setting=cast.bob.profile.setting, date=day, reason="INSET day")
    services.draft_plan(cast.cluster, cast.alice, plan_values())
    assert Meeting.objects.order_by("starts_at").first().local_start.date() != day  # type: ignore[union-attr]
    # Moved onto the INSET day by hand, the date shows Bob's clash.
    moved = Meeting.objects.order_by("starts_at").first()
    services.move_meeting(moved, cast.alice, day, dt.time(15), 90)  # type: ignore[arg-type]
    page = client_for(cast.alice).get(
        f"{reverse('meetings_plan', args=[cast.cluster.pk])}?year={NEXT_YEAR}"
    )
    assert "Bob Baker (Setting 1): INSET day" in page.content.decode()


def test_confirming_diarises_the_year_and_tells_everyone(cast: Cast) -> None:
    plan = services.draft_plan(cast.cluster, cast.alice, plan_values())
    response = client_for(cast.bob).post(
        reverse("meetings_plan_confirm", args=[cast.cluster.pk, plan.pk])
    )
    assert response.status_code == 302
    assert set(plan.meetings.values_list("status", flat=True)) == {MeetingStatus.SCHEDULED}
    # Every member who has agreed to the ground rules, and the facilitator; not Nina.
    told = sorted(OutboundEmail.objects.values_list("to", flat=True))
    assert told == sorted([cast.alice.email, cast.bob.email, cast.fay.email])
    email = OutboundEmail.objects.get(to=cast.alice.email)
    assert "in the diary" in email.subject
    assert "because you are a member of Riverside" in email.body
    assert f"/clusters/{cast.cluster.pk}/meetings/" in email.body
    assert "<html" in email.html and "Riverside" in email.html
    assert AuditEntry.objects.filter(verb="plan.confirmed").exists()
    # A diarised year is not re-planned by accident.
    with pytest.raises(services.MeetingError, match="already diarised"):
        services.draft_plan(cast.cluster, cast.alice, plan_values())


def test_the_areas_imported_holidays_are_used_instead_of_the_default(cast: Cast) -> None:
    year = planner.academic_year(NEXT_YEAR)
    # The area closes for the whole autumn term: no meeting can fall in it.
    SchoolHoliday.objects.create(
        area=cast.area, name="Closed autumn", start=year.start, end=dt.date(NEXT_YEAR, 12, 31)
    )
    plan = services.draft_plan(cast.cluster, cast.alice, plan_values())
    assert all(m.starts_at.date() > dt.date(NEXT_YEAR, 12, 31) for m in plan.meetings.all())
    page = client_for(cast.alice).get(
        f"{reverse('meetings_plan', args=[cast.cluster.pk])}?year={NEXT_YEAR}"
    )
    assert b"default English pattern" not in page.content


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"duration_minutes": "0"}, "must end after it starts"),
        ({"day": "2020-01-08"}, "already passed"),
        ({"day": f"{NEXT_YEAR + 1}-08-11"}, "outside the academic year"),
        ({"start_time": "23:30"}, "end on the day it starts"),
    ],
)
def test_bad_times_are_refused_with_a_clear_message_and_change_nothing(
    cast: Cast, change: dict[str, str], message: str
) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=400))
    before = (meeting.starts_at, meeting.duration_minutes, meeting.sequence)
    form = {
        "day": meeting.local_start.date().isoformat(),
        "start_time": "15:00",
        "duration_minutes": "90",
        "place_kind": "rotating",
        "version": str(meeting.version),
        # The day is wherever 400 days lands, a weekend perhaps: confirmed, so what is
        # refused here is the time itself.
        "confirm_time": "on",
    } | change
    response = client_for(cast.alice).post(reverse("meeting_edit", args=[meeting.pk]), form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert b"There is a problem" in response.content
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.duration_minutes, meeting.sequence) == before
    assert OutboundEmail.objects.count() == 0


def test_a_clash_with_another_meeting_of_the_cluster_is_refused(cast: Cast) -> None:
    # At 15:00, whatever the time of day the test runs ("straight after" must not cross
    # midnight).
    day = timezone.localdate() + dt.timedelta(days=400)
    first = make_meeting(cast.cluster, planner.local_datetime(day, dt.time(15)))
    second = make_meeting(
        cast.cluster, planner.local_datetime(day + dt.timedelta(days=10), dt.time(15))
    )
    day = first.local_start.date()
    with pytest.raises(services.MeetingError, match="clashes with the cluster's meeting"):
        services.move_meeting(second, cast.alice, day, first.local_start.time(), 60)
    # Straight after it is fine.
    end = (first.local_start + dt.timedelta(minutes=90)).time()
    services.move_meeting(second, cast.alice, day, end, 60)


def test_moving_a_meeting_raises_its_sequence_and_emails_the_change(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=400))
    day = meeting.local_start.date() + dt.timedelta(days=7)
    services.move_meeting(meeting, cast.bob, day, dt.time(14, 30), 60)
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    assert meeting.local_start.time() == dt.time(14, 30)
    email = emails_to(cast.alice.email)[0]
    assert email.subject.startswith("Moved:")
    assert "It was:" in email.body and "14:30" in email.body
    assert AuditEntry.objects.filter(verb="meeting.moved", cluster=cast.cluster).exists()


def test_cancelling_emails_everyone_and_keeps_the_meeting_marked(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=30))
    response = client_for(cast.alice).post(
        reverse("meeting_cancel", args=[meeting.pk]), {"reason": "Snow; we'll meet online"}
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED and meeting.sequence == 1
    email = emails_to(cast.bob.email)[0]
    assert email.subject.startswith("Cancelled:")
    assert "Snow; we'll meet online" in email.body


def test_a_coordinator_imports_a_councils_ics_of_term_dates(cast: Cast) -> None:
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Northbridge Council//Term dates//EN\r\n"
        "BEGIN:VEVENT\r\nUID:1@council\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:October half term\r\n"
        "DTSTART;VALUE=DATE:20261026\r\nDTEND;VALUE=DATE:20261031\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:2@council\r\nDTSTAMP:20260101T000000Z\r\n"
        "SUMMARY:Christmas holidays\r\n"
        "DTSTART;VALUE=DATE:20261221\r\nDTEND;VALUE=DATE:20270105\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:3@council\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:INSET day\r\n"
        "DTSTART;VALUE=DATE:20270104\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    upload = SimpleUploadedFile("term-dates.ics", ics.encode(), content_type="text/calendar")
    cora = client_for(cast.cora)
    response = cora.post(
        reverse("area_term_dates", args=[cast.area.pk]), {"form": "import", "file": upload}
    )
    assert response.status_code == 200  # what was read, shown before anything is saved
    assert "We read these as the holidays" in response.content.decode()
    assert not SchoolHoliday.objects.exists()
    response = cora.post(
        reverse("area_term_dates_confirm", args=[cast.area.pk]),
        {"token": response.context["preview"].token},
    )
    assert response.status_code == 302
    got = {(h.name, h.start, h.end) for h in SchoolHoliday.objects.filter(area=cast.area)}
    assert got == {
        ("October half term", dt.date(2026, 10, 26), dt.date(2026, 10, 30)),  # DTEND exclusive
        ("Christmas holidays", dt.date(2026, 12, 21), dt.date(2027, 1, 4)),
        ("INSET day", dt.date(2027, 1, 4), dt.date(2027, 1, 4)),
    }


def test_an_ics_of_terms_makes_the_gaps_between_them_holidays() -> None:
    from nextpractice.meetings import termdates

    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        "BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Autumn term 1\r\n"
        "DTSTART;VALUE=DATE:20260903\r\nDTEND;VALUE=DATE:20261024\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Autumn term 2\r\n"
        "DTSTART;VALUE=DATE:20261102\r\nDTEND;VALUE=DATE:20261219\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    periods = termdates.read_ics(ics.encode())
    # The weekdays between the terms (the weekends either side are nobody's holiday).
    gap = next(p for p in periods if p.start == dt.date(2026, 10, 26))
    assert gap.end == dt.date(2026, 10, 30) and gap.name == "October half-term"
    # The file ends at Christmas: the rest of the year is not made a holiday.
    assert max(p.end for p in periods) < dt.date(2026, 12, 19)
    assert periods[0].start == dt.date(2026, 9, 1) and periods[0].end == dt.date(2026, 9, 2)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("dates.ics", b"%PDF-1.4 not a calendar", "not a calendar file"),
        ("dates.ics", b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "no events"),
        (
            "dates.csv",
            b"name,start,end\nHalf term,2026-10-26,2026-10-30\nOops,31/02/2027,x\n",
            "Row 3",
        ),
        ("dates.csv", b"title,from,to\n", "Row 1"),
        (
            "dates.csv",
            b"name,start,end\nBackwards,2026-10-30,2026-10-26\n",
            "ends before it starts",
        ),
    ],
)
def test_a_bad_term_dates_file_is_refused_with_the_reason_and_nothing_imported(
    cast: Cast, name: str, content: bytes, reason: str
) -> None:
    upload = SimpleUploadedFile(name, content)
    response = client_for(cast.cora).post(
        reverse("area_term_dates", args=[cast.area.pk]), {"form": "import", "file": upload}
    )
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not SchoolHoliday.objects.exists()


def test_a_csv_of_term_dates_imports(cast: Cast) -> None:
    csv = (
        b"name,start,end\n"
        b"October half-term,26/10/2026,30/10/2026\nChristmas,2026-12-21,2027-01-01\n"
    )
    cora = client_for(cast.cora)
    response = cora.post(
        reverse("area_term_dates", args=[cast.area.pk]),
        {"form": "import", "file": SimpleUploadedFile("t.csv", csv)},
    )
    assert response.status_code == 200
    response = cora.post(
        reverse("area_term_dates_confirm", args=[cast.area.pk]),
        {"token": response.context["preview"].token},
    )
    assert response.status_code == 302
    assert SchoolHoliday.objects.filter(area=cast.area, source="csv").count() == 2


# --- Who is coming -----------------------------------------------------------------------


def test_a_member_sends_a_deputy_who_sees_that_meeting_only(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=10))
    other = make_meeting(cast.cluster, dt.timedelta(days=50))
    response = client_for(cast.bob).post(
        reverse("meeting_respond", args=[meeting.pk]),
        {"response": "deputy", "deputy_name": "Dee Deputy", "deputy_email": "Dee@School.test"},
    )
    assert response.status_code == 302
    attendance = Attendance.objects.get(meeting=meeting, member=cast.bob)
    deputy = attendance.deputy
    assert deputy is not None and deputy.email == "dee@school.test"
    invitation = emails_to("dee@school.test")[0]
    assert "Bob Baker asks you to attend" in invitation.subject
    assert f"/meetings/{meeting.pk}/" in invitation.body
    assert "named you as their deputy" in invitation.body or "gave your address" in invitation.body
    dee = client_for(deputy)
    page = dee.get(reverse("meeting_detail", args=[meeting.pk]))
    assert page.status_code == 200 and b"deputy for" in page.content
    # She adds to the agenda; nothing else of the cluster is hers to see.
    dee.post(
        reverse("meeting_item_add", args=[meeting.pk]),
        {"kind": "share", "title": "Our phonics audit"},
    )
    assert AgendaItem.objects.filter(meeting=meeting, raised_by=deputy).exists()
    assert dee.get(reverse("meeting_detail", args=[other.pk])).status_code == 404
    assert dee.get(reverse("cluster_detail", args=[cast.cluster.pk])).status_code == 404
    assert dee.get(reverse("meetings_year", args=[cast.cluster.pk])).status_code == 404
    assert dee.post(reverse("meeting_cancel", args=[meeting.pk])).status_code == 403
    # Bob sees when his deputy looked.
    attendance.refresh_from_db()
    assert attendance.deputy_last_seen_at is not None
    bob_page = client_for(cast.bob).get(reverse("meeting_detail", args=[meeting.pk]))
    assert b"Dee Deputy last opened this meeting" in bob_page.content
    assert b"Our phonics audit" in bob_page.content and b"raised by Dee Deputy" in bob_page.content


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"response": "deputy", "deputy_name": "Dee", "deputy_email": "not-an-email"},
            "valid email",
        ),
        ({"response": "deputy", "deputy_name": "Dee", "deputy_email": ""}, "deputy&#x27;s email"),
        (
            {"response": "deputy", "deputy_name": "", "deputy_email": "dee@school.test"},
            "deputy&#x27;s name",
        ),
        (
            {"response": "deputy", "deputy_name": "Me", "deputy_email": "bob@example.test"},
            "their own email",
        ),
        (
            {"response": "deputy", "deputy_name": "A", "deputy_email": "alice@example.test"},
            "already in this cluster",
        ),
        ({"response": "maybe"}, "Select a valid choice"),
    ],
)
def test_a_bad_deputy_is_refused_inline_and_nothing_is_sent(
    cast: Cast, form: dict[str, str], message: str
) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=10))
    response = client_for(cast.bob).post(reverse("meeting_respond", args=[meeting.pk]), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Attendance.objects.filter(meeting=meeting, response="deputy").exists()
    assert OutboundEmail.objects.count() == 0


def test_answers_close_when_the_meeting_starts(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(minutes=-5))
    response = client_for(cast.bob).post(
        reverse("meeting_respond", args=[meeting.pk]), {"response": "apologies"}
    )
    assert response.status_code == 400 and b"answers close at the start" in response.content


def test_the_register_builds_each_members_attendance_record(cast: Cast) -> None:
    past = [make_meeting(cast.cluster, dt.timedelta(days=-d)) for d in (60, 30)]
    client = client_for(cast.alice)
    for meeting, bob_mark in zip(past, ["deputised", "apologies"], strict=True):
        response = client.post(
            reverse("meeting_register", args=[meeting.pk]),
            {f"mark-{cast.alice.pk}": "attended", f"mark-{cast.bob.pk}": bob_mark},
        )
        assert response.status_code == 302
    page = client.get(
        f"{reverse('meetings_year', args=[cast.cluster.pk])}?year={past[0].plan.start_year}"
    )
    rows = {r["member"].pk: r for r in page.context["attendance"]}
    assert rows[cast.alice.pk]["attended"] == 2 or past[0].plan_id != past[1].plan_id
    assert rows[cast.bob.pk]["apologies"] + rows[cast.bob.pk]["deputised"] >= 1
    # Only members of the cluster can be marked.
    response = client.post(
        reverse("meeting_register", args=[past[1].pk]), {f"mark-{cast.oscar.pk}": "attended"}
    )
    assert not Attendance.objects.filter(member=cast.oscar).exists()


# --- Agenda, notes and actions --------------------------------------------------------------


def test_the_agenda_builds_itself_and_actions_come_back_until_closed(cast: Cast) -> None:
    first = make_meeting(cast.cluster, dt.timedelta(hours=-2))
    second = make_meeting(cast.cluster, dt.timedelta(days=40))
    third = make_meeting(cast.cluster, dt.timedelta(days=80))
    item = services.add_item(first, cast.alice, "concern", "Our SEF leadership section feels weak")
    services.add_note(first, cast.bob, "Evidence lists activities, not impact.", item=item)
    action = services.add_action(
        first, cast.bob, "Redraft leadership evidence", cast.alice, item=item
    )
    assert action.due == second.local_start.date()  # the next meeting by default
    services.add_action(first, cast.bob, "Share INSET plans", None)
    services.publish_notes(first, cast.bob)
    # The next meeting's agenda shows the open actions with their owners.
    page = client_for(cast.bob).get(reverse("meeting_detail", args=[second.pk]))
    review = [a.title for a in page.context["actions_to_review"]]
    assert review == ["Redraft leadership evidence", "Share INSET plans"] or set(review) == {
        "Redraft leadership evidence",
        "Share INSET plans",
    }
    assert b"Alice Archer" in page.content and b"The whole cluster" in page.content
    # Progress recorded; still open, so it comes back again at the third meeting.
    services.update_action(action, cast.alice, "First draft shared with Bob", "open")
    third_agenda = services.agenda(third)
    assert action in third_agenda["actions_to_review"]
    assert (
        third_agenda["actions_to_review"][0].updates.all()[0].text == "First draft shared with Bob"
    )
    # Done: it leaves the agenda.
    services.update_action(action, cast.alice, "", "done")
    assert action not in services.agenda(third)["actions_to_review"]
    # It was not on its own meeting's agenda.
    assert action not in services.agenda(first)["actions_to_review"]


def test_publishing_emails_each_person_their_own_actions(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(hours=-2))
    make_meeting(cast.cluster, dt.timedelta(days=40))
    services.add_action(meeting, cast.bob, "Redraft leadership evidence", cast.alice)
    services.add_action(meeting, cast.alice, "Book the hall", cast.bob)
    meeting.note_taker = cast.bob
    meeting.save()
    # Alice is not the note-taker: she cannot publish.
    assert (
        client_for(cast.alice).post(reverse("meeting_publish", args=[meeting.pk])).status_code
        == 403
    )
    assert (
        client_for(cast.bob).post(reverse("meeting_publish", args=[meeting.pk])).status_code == 302
    )
    to_alice = emails_to(cast.alice.email)[0].body
    assert "Your actions:" in to_alice
    assert "Redraft leadership evidence" in to_alice.split("Your actions:")[1].split("\n\n")[0]
    assert "Book the hall" not in to_alice.split("Your actions:")[1].split("\n\n")[0]
    # Closed: no more notes, no second publication.
    with pytest.raises(services.MeetingError):
        services.add_note(meeting, cast.alice, "Late thought")
    with pytest.raises(services.MeetingError, match="already published"):
        services.publish_notes(meeting, cast.bob)


def test_the_chair_reorders_merges_and_times_items(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=5))
    meeting.chair = cast.alice
    meeting.save()
    a = services.add_item(meeting, cast.bob, "concern", "Staffing")
    aob = services.add_item(meeting, cast.bob, "aob", "Any other business")
    b = services.add_item(meeting, cast.alice, "question", "Staff absence policy")
    assert [i.title for i in meeting.items.all()] == [
        "Staffing",
        "Staff absence policy",
        "Any other business",
    ]
    client = client_for(cast.alice)
    client.post(reverse("meeting_item_move", args=[meeting.pk, b.pk]), {"direction": "up"})
    assert [i.pk for i in meeting.items.all()] == [b.pk, a.pk, aob.pk]
    client.post(reverse("meeting_item_time", args=[meeting.pk, a.pk]), {"minutes": "20"})
    client.post(reverse("meeting_item_merge", args=[meeting.pk, b.pk]), {"into": str(a.pk)})
    merged = AgendaItem.objects.get(pk=a.pk)
    assert merged.minutes == 20 and "Staff absence policy (raised by Alice Archer)" in merged.detail
    assert not AgendaItem.objects.filter(pk=b.pk).exists()
    # Bob is not the chair.
    assert (
        client_for(cast.bob)
        .post(reverse("meeting_item_move", args=[meeting.pk, a.pk]), {"direction": "down"})
        .status_code
        == 403
    )
    # Bad minutes change nothing.
    client.post(reverse("meeting_item_time", args=[meeting.pk, a.pk]), {"minutes": "-3"})
    assert AgendaItem.objects.get(pk=a.pk).minutes == 20


def test_notes_by_several_people_are_kept_and_the_note_taker_rotates(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(hours=-1))
    client_for(cast.alice).post(
        reverse("meeting_note_add", args=[meeting.pk]), {"text": "Alice's note"}
    )
    client_for(cast.bob).post(
        reverse("meeting_note_add", args=[meeting.pk]),
        {"text": "We agreed to meet online in March", "is_decision": "on"},
    )
    assert Note.objects.filter(meeting=meeting).count() == 2
    assert Note.objects.get(is_decision=True).author == cast.bob
    response = client_for(cast.bob).post(
        reverse("meeting_note_add", args=[meeting.pk]), {"text": ""}
    )
    assert response.status_code == 400 and b"This field is required" in response.content


def test_my_actions_lists_mine_across_clusters(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(hours=-1))
    services.add_action(meeting, cast.bob, "Redraft leadership evidence", cast.alice)
    services.add_action(meeting, cast.alice, "Bob's own", cast.bob)
    page = client_for(cast.alice).get(reverse("my_actions"))
    assert b"Redraft leadership evidence" in page.content and b"Bob&#x27;s own" not in page.content
    action = Action.objects.get(title="Redraft leadership evidence")
    response = client_for(cast.alice).post(
        reverse("action_update", args=[action.pk]), {"text": "Sent to Bob", "status": "done"}
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "done" and action.closed_at is not None
    assert (
        client_for(cast.oscar)
        .post(reverse("action_update", args=[action.pk]), {"status": "open"})
        .status_code
        == 404
    )


# --- Emails before the meeting ----------------------------------------------------------------


def test_call_for_items_agenda_and_reminder_go_once_each_at_their_time(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=20))
    now = timezone.now()
    assert services.send_due_meeting_emails(now) == 0
    in_13_days = now + dt.timedelta(days=13, hours=1)  # 7 days before
    assert services.send_due_meeting_emails(in_13_days) == 1
    assert services.send_due_meeting_emails(in_13_days) == 0  # idempotent
    call = emails_to(cast.alice.email)[0]
    assert call.subject.startswith("Add to the agenda")
    services.add_item(meeting, cast.alice, "concern", "Our SEF leadership section feels weak")
    assert services.send_due_meeting_emails(now + dt.timedelta(days=17, hours=1)) == 1  # agenda
    agenda = emails_to(cast.bob.email)[1]
    assert agenda.subject.startswith("Agenda:")
    assert "Our SEF leadership section feels weak" in agenda.body
    assert services.send_due_meeting_emails(now + dt.timedelta(days=19, hours=1)) == 1  # reminder
    assert emails_to(cast.bob.email)[2].subject.startswith("Tomorrow:")
    assert services.send_due_meeting_emails(now + dt.timedelta(days=19, hours=2)) == 0
    # Nina (not agreed) and Oscar (another cluster) got nothing.
    assert not emails_to(cast.newbie.email) and not emails_to(cast.oscar.email)


def test_a_meeting_on_the_night_the_clocks_go_back_lasts_its_real_length(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=1))
    meeting.starts_at = planner.local_datetime(dt.date(2027, 10, 31), dt.time(0, 30))
    meeting.duration_minutes = 90
    assert meeting.local_end.strftime("%H:%M %Z") == "01:00 GMT"
    assert meeting.local_start.strftime("%H:%M %Z") == "00:30 BST"


def test_the_home_page_lists_coming_meetings(cast: Cast) -> None:
    make_meeting(cast.cluster, dt.timedelta(days=3), host=Setting.objects.get(urn="100000"))
    page = client_for(cast.alice).get("/")
    assert b"Riverside" in page.content and b"Setting 0" in page.content
    assert b"Nothing is diarised yet" not in page.content


def test_the_cluster_chooses_when_the_call_for_items_and_agenda_go(cast: Cast) -> None:
    client = client_for(cast.alice)
    url = reverse("meetings_plan", args=[cast.cluster.pk])
    bad = client.post(url, plan_values(call_days_before=2, agenda_days_before=5))
    assert bad.status_code == 200 and b"after the call for items" in bad.content
    assert not YearPlan.objects.exists()
    client.post(url, plan_values(call_days_before=10, agenda_days_before=5))
    plan = YearPlan.objects.get()
    assert (plan.call_days_before, plan.agenda_days_before) == (10, 5)
    services.confirm_plan(plan, cast.alice)
    first = plan.meetings.order_by("starts_at").first()
    assert first is not None
    OutboundEmail.objects.all().delete()
    eleven_before = first.starts_at - dt.timedelta(days=11)
    assert services.send_due_meeting_emails(eleven_before) == 0
    assert services.send_due_meeting_emails(first.starts_at - dt.timedelta(days=9, hours=23)) == 1
    assert services.send_due_meeting_emails(first.starts_at - dt.timedelta(days=4, hours=23)) == 1
    subjects = [e.subject for e in OutboundEmail.objects.filter(to=cast.bob.email)]
    assert subjects[0].startswith("Add to the agenda") and subjects[1].startswith("Agenda:")


def test_the_service_itself_refuses_a_malformed_deputy_address(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=10))
    with pytest.raises(services.MeetingError, match="email address"):
        services.respond(meeting, cast.bob, "deputy", "Dee", "dee at school")
    assert not Attendance.objects.exists() and not OutboundEmail.objects.exists()


def test_moving_to_another_day_sends_the_call_agenda_and_reminder_again(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=2))
    # Call for items and agenda both due at once: the agenda goes, the call is stamped with
    # it (one email, not two).
    assert services.send_due_meeting_emails() == 1
    meeting.refresh_from_db()
    assert meeting.call_sent_at is not None and meeting.agenda_sent_at is not None
    later = meeting.local_start.date() + dt.timedelta(days=21)
    services.move_meeting(meeting, cast.alice, later, dt.time(15), 90)
    meeting.refresh_from_db()
    assert (meeting.call_sent_at, meeting.agenda_sent_at, meeting.reminder_sent_at) == (
        None,
        None,
        None,
    )
    assert services.send_due_meeting_emails() == 0  # three weeks away now
