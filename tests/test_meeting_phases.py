"""The meeting page by phase and role, notes that survive leaving the page, and items
discussed off the record (issue 16).

The cast: Alice takes the notes, Fay (the facilitator) chairs, Bob is a member who sends
Dee as his deputy to one meeting.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from nextpractice.audit.models import AuditEntry
from nextpractice.core.models import OutboundEmail
from nextpractice.meetings import services
from nextpractice.meetings.models import (
    Action,
    AgendaItem,
    Attendance,
    Meeting,
    MeetingStatus,
    Note,
    NoteDraft,
    Phase,
)
from nextpractice.meetings.services.reminders import send_due_meeting_emails

from .conftest import Cast, client_for, make_meeting

NOON = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)


# --- The phase, from the meeting's times and state ------------------------------------------


def meeting_at(start: dt.datetime, **state: Any) -> Meeting:
    return Meeting(
        starts_at=start, duration_minutes=90, **{"status": MeetingStatus.SCHEDULED, **state}
    )


def test_before_the_start_the_meeting_is_ahead() -> None:
    meeting = meeting_at(NOON)
    assert meeting.phase(NOON - dt.timedelta(days=7)) == Phase.BEFORE
    assert meeting.phase(NOON - dt.timedelta(seconds=1)) == Phase.BEFORE


def test_from_the_start_until_the_notes_are_published_it_is_on() -> None:
    meeting = meeting_at(NOON)
    assert meeting.phase(NOON) == Phase.DURING
    assert meeting.phase(NOON + dt.timedelta(minutes=89)) == Phase.DURING
    # Long after the end, the notes are still being written up: still the register and notes.
    assert meeting.phase(NOON + dt.timedelta(days=3)) == Phase.DURING


def test_once_the_notes_are_published_it_is_after() -> None:
    meeting = meeting_at(NOON, notes_published_at=NOON + dt.timedelta(hours=2))
    assert meeting.phase(NOON + dt.timedelta(hours=3)) == Phase.AFTER


def test_a_proposed_or_cancelled_meeting_stays_an_agenda() -> None:
    later = NOON + dt.timedelta(days=1)
    assert meeting_at(NOON, status=MeetingStatus.PROPOSED).phase(later) == Phase.BEFORE
    assert meeting_at(NOON, status=MeetingStatus.CANCELLED).phase(later) == Phase.BEFORE


# --- The page, by phase and role ------------------------------------------------------------


@pytest.fixture
def meeting(cast: Cast) -> Meeting:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=5))
    meeting.note_taker, meeting.chair = cast.alice, cast.fay
    meeting.save()
    services.respond(meeting, cast.bob, "deputy", "Dee Deputy", "dee@school.test")
    services.add_item(meeting, cast.bob, "concern", "Staffing rota worries")
    return meeting


def dee(meeting: Meeting) -> Any:
    return Attendance.objects.get(meeting=meeting, response="deputy").deputy


def started(meeting: Meeting) -> Meeting:
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    meeting.refresh_from_db()
    return meeting


def page_of(user: Any, meeting: Meeting) -> str:
    response = client_for(user).get(reverse("meeting_detail", args=[meeting.pk]))
    assert response.status_code == 200
    return response.content.decode()


def order(page: str, *marks: str) -> list[int]:
    """Where each mark first appears on the page (-1 where it does not)."""
    return [page.find(mark) for mark in marks]


def test_before_a_member_sees_their_answer_then_the_agenda(cast: Cast, meeting: Meeting) -> None:
    page = page_of(cast.alice, meeting)
    answer, agenda, coming = order(page, 'id="answer"', 'id="agenda"', 'id="coming-heading"')
    assert -1 < answer < agenda < coming
    assert "Add an item to the agenda" in page
    assert 'id="register"' not in page and "Add a note" not in page


def test_before_a_deputy_sees_the_agenda_and_no_answer_nor_who_is_coming(
    cast: Cast, meeting: Meeting
) -> None:
    page = page_of(dee(meeting), meeting)
    assert 'id="agenda"' in page and "Staffing rota worries" in page
    assert 'id="answer"' not in page and "Who is coming" not in page


def test_during_the_note_taker_sees_the_register_then_notes_on_each_item(
    cast: Cast, meeting: Meeting
) -> None:
    page = page_of(cast.alice, started(meeting))
    register, agenda, notes = order(page, 'id="register"', 'id="agenda"', 'id="notes"')
    assert -1 < register < agenda < notes
    assert "Notes on each item" in page
    assert 'Add a note<span class="govuk-visually-hidden"> on Staffing rota worries' in page
    assert "Publish the notes" in page
    # What members answered is a disclosure away.
    assert "Who said they were coming" in page and 'id="answer"' not in page


def test_during_the_chair_also_writes_against_each_item(cast: Cast, meeting: Meeting) -> None:
    page = page_of(cast.fay, started(meeting))
    assert 'Add a note<span class="govuk-visually-hidden"> on Staffing rota worries' in page
    assert -1 < page.find('id="register"') < page.find('id="agenda"')


def test_during_a_member_takes_the_register_and_follows_the_agenda(
    cast: Cast, meeting: Meeting
) -> None:
    page = page_of(cast.bob, started(meeting))
    assert -1 < page.find('id="register"') < page.find('id="agenda"')
    assert "Add a note<span" not in page  # the note-taker's, not his
    # A general note is still there for him, folded away, and Alice publishes.
    assert '<details class="govuk-details" id="general-note">' in page
    assert "Alice Archer publishes the notes when they are ready." in page


def test_during_a_deputy_follows_the_agenda_without_the_register(
    cast: Cast, meeting: Meeting
) -> None:
    page = page_of(dee(meeting), started(meeting))
    assert "Staffing rota worries" in page
    assert 'id="register"' not in page and "Who said they were coming" not in page
    assert "Add a note<span" not in page


def test_after_the_published_notes_and_actions_come_first_the_agenda_is_folded(
    cast: Cast, meeting: Meeting
) -> None:
    meeting = started(meeting)
    item = AgendaItem.objects.get(meeting=meeting)
    services.add_note(meeting, cast.alice, "Rota shared with Bob", item)
    services.add_action(meeting, cast.alice, "Send the rota template", cast.bob, item=item)
    services.take_register(
        meeting, cast.alice, {cast.alice.pk: "attended", cast.bob.pk: "deputised"}
    )
    services.publish_notes(meeting, cast.alice)
    for person in (cast.bob, dee(meeting)):
        page = page_of(person, meeting)
        notes, agenda = order(page, 'id="notes"', 'id="agenda"')
        assert -1 < notes < agenda
        assert "Rota shared with Bob" in page and "Send the rota template" in page
        assert 'class="govuk-details" id="agenda"' in page  # folded, not gone
        assert "Add a note" not in page
    member_page = page_of(cast.bob, meeting)
    assert -1 < member_page.find('id="notes"') < member_page.find('id="register"')
    assert "<strong>deputised</strong>" in member_page
    assert 'id="register"' not in page_of(dee(meeting), meeting)


# --- Deputy fields ----------------------------------------------------------------------------


def test_deputy_fields_belong_to_sending_a_deputy(cast: Cast, meeting: Meeting) -> None:
    page = page_of(cast.alice, meeting)
    assert 'data-reveal-when="response=deputy"' in page
    client = client_for(cast.alice)
    url = reverse("meeting_respond", args=[meeting.pk])
    refused = client.post(url, {"response": "deputy"})
    assert refused.status_code == 400
    assert b"Give your deputy&#x27;s name" in refused.content
    assert b"Give your deputy&#x27;s email address" in refused.content
    assert not Attendance.objects.filter(meeting=meeting, member=cast.alice).exists()
    # Coming in person needs neither.
    assert client.post(url, {"response": "attending"}).status_code == 302


# --- Notes that survive leaving the page ------------------------------------------------------


def draft_url(meeting: Meeting) -> str:
    return reverse("meeting_note_draft", args=[meeting.pk])


def test_a_note_being_typed_is_back_when_the_note_taker_returns(
    cast: Cast, meeting: Meeting
) -> None:
    meeting = started(meeting)
    item = AgendaItem.objects.get(meeting=meeting)
    alice = client_for(cast.alice)
    kept = alice.post(
        draft_url(meeting), {"item": item.pk, "text": "Bob's rota: half", "autosave": "1"}
    )
    assert kept.status_code == 204
    # Typing on replaces the draft; there is one per person per item.
    alice.post(draft_url(meeting), {"item": item.pk, "text": "Bob's rota: halved", "autosave": "1"})
    assert NoteDraft.objects.unscoped().count() == 1
    page = page_of(cast.alice, meeting)
    assert "Bob&#x27;s rota: halved</textarea>" in page
    assert "Your note from before is back" in page
    # Nobody else reads it.
    assert "rota: halved" not in page_of(cast.fay, meeting)
    # Saved as a note, the draft is gone.
    alice.post(reverse("meeting_note_add", args=[meeting.pk]), {"item": item.pk, "text": "Halved"})
    assert Note.objects.filter(item=item, text="Halved").exists()
    assert not NoteDraft.objects.unscoped().exists()
    assert "Your note from before is back" not in page_of(cast.alice, meeting)


def test_without_a_script_keep_as_a_draft_goes_back_to_the_item(
    cast: Cast, meeting: Meeting
) -> None:
    meeting = started(meeting)
    response = client_for(cast.alice).post(draft_url(meeting), {"text": "General thoughts"})
    assert response.status_code == 302 and response["Location"].endswith("#notes")
    assert "General thoughts</textarea>" in page_of(cast.alice, meeting)
    # An empty draft is forgotten.
    client_for(cast.alice).post(draft_url(meeting), {"text": "", "autosave": "1"})
    assert not NoteDraft.objects.unscoped().exists()


def test_drafts_are_bounded_and_end_with_the_notes(cast: Cast, meeting: Meeting) -> None:
    meeting = started(meeting)
    alice = client_for(cast.alice)
    too_long = alice.post(draft_url(meeting), {"text": "x" * 10_001, "autosave": "1"})
    assert too_long.status_code == 400 and not NoteDraft.objects.unscoped().exists()
    alice.post(draft_url(meeting), {"text": "Half a thought", "autosave": "1"})
    services.publish_notes(meeting, cast.alice)
    assert not NoteDraft.objects.unscoped().exists()
    closed = alice.post(draft_url(meeting), {"text": "Too late", "autosave": "1"})
    assert closed.status_code == 409 and not NoteDraft.objects.unscoped().exists()


def test_a_draft_that_arrives_after_its_note_was_saved_does_not_come_back(
    cast: Cast, meeting: Meeting
) -> None:
    # Pressing "Add note" takes focus from the field, whose draft may reach the server
    # second: the note is saved, and the box must be empty when the page comes back.
    meeting = started(meeting)
    alice = client_for(cast.alice)
    alice.post(draft_url(meeting), {"text": "Evidence lists activities", "autosave": "1"})
    services.add_note(meeting, cast.alice, "Evidence lists activities, not impact.", None)
    late = alice.post(
        draft_url(meeting), {"text": "Evidence lists activities, not impact.", "autosave": "1"}
    )
    assert late.status_code == 204
    assert not NoteDraft.objects.unscoped().exists()
    page = alice.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert "Your note from before is back" not in page


# --- Off the record ---------------------------------------------------------------------------

SECRET = "Our budget deficit plan"


@pytest.fixture
def off_record(cast: Cast, meeting: Meeting) -> AgendaItem:
    response = client_for(cast.bob).post(
        reverse("meeting_item_add", args=[meeting.pk]),
        {"kind": "concern", "title": SECRET, "off_record": "on"},
    )
    assert response.status_code == 302
    return AgendaItem.objects.get(title=SECRET)


def test_an_off_the_record_item_takes_no_notes_nor_actions(
    cast: Cast, meeting: Meeting, off_record: AgendaItem
) -> None:
    assert off_record.off_record
    meeting = started(meeting)
    alice = client_for(cast.alice)
    note = alice.post(
        reverse("meeting_note_add", args=[meeting.pk]), {"item": off_record.pk, "text": "x"}
    )
    assert note.status_code == 400 and b"is off the record" in note.content
    action = alice.post(
        reverse("meeting_action_add", args=[meeting.pk]),
        {"item": off_record.pk, "title": "Cut costs", "owner": 0},
    )
    assert action.status_code == 400 and b"is off the record" in action.content
    draft = alice.post(draft_url(meeting), {"item": off_record.pk, "text": "x", "autosave": "1"})
    assert draft.status_code == 409
    assert not Note.objects.exists() and not Action.objects.exists()
    assert not NoteDraft.objects.unscoped().exists()
    # Inside the meeting its title is on the agenda, marked, with no note form.
    page = page_of(cast.alice, meeting)
    assert SECRET in page and "Off the record" in page
    assert f'Add a note<span class="govuk-visually-hidden"> on {SECRET}' not in page


def test_off_the_record_stays_out_of_the_notes_emails_search_calendar_and_log(
    cast: Cast, meeting: Meeting, off_record: AgendaItem, settings: Any
) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() + dt.timedelta(days=2))
    assert send_due_meeting_emails() == 1
    agenda_email = OutboundEmail.objects.get(to=cast.alice.email, subject__icontains="agenda")
    assert SECRET not in agenda_email.body and "off the record" in agenda_email.body
    meeting = started(meeting)
    services.publish_notes(meeting, cast.alice)
    notes_emails = OutboundEmail.objects.filter(subject__startswith="Notes and actions")
    assert {e.to for e in notes_emails} >= {cast.alice.email, "dee@school.test"}
    for email in notes_emails:
        assert SECRET not in email.body and SECRET not in email.html
        assert "1 item was discussed off the record" in email.body
    page = page_of(cast.bob, meeting)
    published = page[page.find('id="notes"') : page.find('id="agenda"')]
    assert SECRET not in published and "1 item was discussed off the record" in published
    assert SECRET in page  # the agenda, folded away, still names it for those inside
    found = client_for(cast.bob).get(
        reverse("cluster_search", args=[cast.cluster.pk]), {"q": "budget deficit"}
    )
    assert found.status_code == 200 and SECRET.encode() not in found.content
    ics = client_for(cast.bob).get(reverse("meeting_ics", args=[meeting.pk]))
    assert SECRET.encode() not in ics.content
    assert AuditEntry.objects.filter(verb="agenda.item_added").exists()
    assert not [e.summary for e in AuditEntry.objects.all() if SECRET in e.summary]


def test_the_chair_or_whoever_raised_it_takes_an_item_off_the_record(
    cast: Cast, meeting: Meeting
) -> None:
    item = AgendaItem.objects.get(meeting=meeting)  # Bob raised it; Fay chairs
    services.save_note_draft(started(meeting), cast.alice, item, "Half-typed")
    url = reverse("meeting_item_record", args=[meeting.pk, item.pk])
    assert client_for(cast.alice).post(url, {"off_record": "on"}).status_code == 403
    assert client_for(cast.bob).post(url, {"off_record": "on"}).status_code == 302
    item.refresh_from_db()
    assert item.off_record and not NoteDraft.objects.unscoped().exists()
    assert client_for(cast.fay).post(url, {}).status_code == 302
    item.refresh_from_db()
    assert not item.off_record
    entries = AuditEntry.objects.filter(verb__in=["agenda.off_record", "agenda.on_record"])
    assert entries.count() == 2 and all(item.title not in e.summary for e in entries)


def test_an_item_with_notes_stays_on_the_record(cast: Cast, meeting: Meeting) -> None:
    meeting = started(meeting)
    item = AgendaItem.objects.get(meeting=meeting)
    services.add_note(meeting, cast.alice, "Already minuted", item)
    with pytest.raises(services.MeetingError, match="stays on the record"):
        services.set_off_record(meeting, cast.fay, item, True)
    other = services.add_item(meeting, cast.bob, "concern", SECRET, off_record=True)
    with pytest.raises(services.MeetingError, match="merges only with another"):
        services.merge_items(meeting, cast.fay, other, item)
    item.refresh_from_db()
    assert not item.off_record and Note.objects.get().item == item


# --- Every phase keeps the page's query budget -------------------------------------------------


@pytest.mark.parametrize("phase", ["during", "after"])
def test_every_phase_runs_the_same_queries_however_long_the_history(cast: Cast, phase: str) -> None:
    from .test_query_budget import MEETING_BUDGET, count_queries, grow_meetings

    def measure(meetings: int, per_meeting: int) -> int:
        Meeting.objects.all().delete()
        target = grow_meetings(cast, meetings, per_meeting)
        Meeting.objects.filter(pk=target.pk).update(
            starts_at=timezone.now() - dt.timedelta(hours=1),
            notes_published_at=timezone.now() if phase == "after" else None,
        )
        client_for(cast.alice).post(draft_url(target), {"text": "Half a thought", "autosave": "1"})
        return count_queries(client_for(cast.alice), reverse("meeting_detail", args=[target.pk]))

    small, big = measure(1, 2), measure(60, 40)
    assert small == big and big <= MEETING_BUDGET["meeting_detail"]


def test_a_long_agenda_stays_paged_in_every_phase(cast: Cast, meeting: Meeting) -> None:
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(meeting=meeting, title=f"Item number {n:02}", raised_by=cast.bob, position=n)
            for n in range(1, 13)
        ]
    )
    url = reverse("meeting_detail", args=[meeting.pk])
    meeting = started(meeting)
    during = client_for(cast.alice).get(url).content.decode()
    assert "Notes on each item" in during and "Agenda page 1 of 3" in during
    assert "Item number 05" in during and "Item number 06" not in during
    services.publish_notes(meeting, cast.alice)
    after = client_for(cast.alice).get(url + "?items=2").content.decode()
    # The folded agenda opens on the page asked for; the record lists every minuted item.
    assert 'class="govuk-details" id="agenda" open' in after and "Agenda page 2 of 3" in after
    record = after[after.find('id="notes"') : after.find('id="agenda"')]
    assert "Item number 01" in record and "Item number 12" in record
