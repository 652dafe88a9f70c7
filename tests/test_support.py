"""Between meetings: the safety net, successes, research, ideas, events, funding, search
and notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from nextpractice.core.models import Kind, OutboundEmail
from nextpractice.directory.models import Setting, Topic, TopicChoice
from nextpractice.meetings import services as meeting_services
from nextpractice.meetings.models import Action, AgendaItem
from nextpractice.support import services
from nextpractice.support.models import (
    AchievementEmail,
    Event,
    EventKind,
    Experience,
    Funding,
    HelpRequest,
    Idea,
    Notification,
    Participation,
    Preference,
    ResearchPiece,
    Success,
)

from .conftest import Cast, client_for, make_meeting


def topic(name: str = "Inspection") -> Topic:
    return Topic.objects.get_or_create(name=name)[0]


def emails_to(user: Any) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(to=user.email))


# --- The safety net -----------------------------------------------------------------------


def test_an_urgent_request_reaches_everyone_at_once_and_sits_on_their_home_page(
    cast: Cast,
) -> None:
    # Bob chose no email for help requests: an urgent one still comes at once.
    Preference.objects.create(user=cast.bob, kind="help", mode="off")
    response = client_for(cast.alice).post(
        reverse("help_new", args=[cast.cluster.pk]),
        {
            "title": "Inspection tomorrow",
            "what_happened": "The inspector phoned at 9:10.",
            "urgency": "urgent",
            "topics": [topic().pk],
        },
    )
    assert response.status_code == 302
    help_request = HelpRequest.objects.get()
    assert [e.subject for e in emails_to(cast.bob)] == [
        "URGENT: Alice Archer needs help: Inspection tomorrow"
    ]
    assert not emails_to(cast.fay)  # the facilitator was not asked
    assert not emails_to(cast.oscar) and not emails_to(cast.newbie)
    home = client_for(cast.bob).get("/")
    assert (
        b"Urgent: a colleague needs help" in home.content and b"Inspection tomorrow" in home.content
    )
    # Bob answers "I'll call you": Alice is told at once, and the banner goes.
    client_for(cast.bob).post(reverse("help_reply", args=[help_request.pk]), {"do": "call"})
    assert emails_to(cast.alice)[0].subject == "Bob Baker is calling you now"
    help_request.refresh_from_db()
    assert help_request.first_answer_at is not None
    assert b"Urgent: a colleague needs help" not in client_for(cast.bob).get("/").content
    page = client_for(cast.alice).get(reverse("help_detail", args=[help_request.pk]))
    assert b"Bob Baker is calling you" in page.content


def test_a_non_urgent_request_waits_for_the_digest_unless_chosen_otherwise(cast: Cast) -> None:
    services.ask_for_help(cast.cluster, cast.alice, "Staff absence policy?", "Ideas?", [], "week")
    assert not emails_to(cast.bob)  # the daily digest by default
    assert Notification.objects.filter(user=cast.bob, digest="daily", emailed_at=None).exists()
    Preference.objects.create(user=cast.bob, kind="help", mode="immediate")
    services.ask_for_help(cast.cluster, cast.alice, "Second question", "More", [], "whenever")
    assert len(emails_to(cast.bob)) == 1
    # The digest goes at 7am, once, carrying what waited.
    morning = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(7, 5))
    )
    assert services.send_digests(morning) == 1
    assert services.send_digests(morning) == 0
    digest = emails_to(cast.bob)[-1]
    assert "Staff absence policy?" in digest.body and "Second question" not in digest.body


def test_who_could_help_best_says_why_and_gives_phone_numbers(cast: Cast) -> None:
    inspection = topic()
    carol = _member(cast, "carol@example.test", "Carol Cole")
    TopicChoice.objects.create(profile=cast.bob.profile, topic=inspection, kind="strength")
    Experience.objects.create(user=carol, topic=inspection, when=dt.date(2026, 10, 1))
    earlier = services.ask_for_help(
        cast.cluster, cast.alice, "Last time", "x", [inspection], "week"
    )
    services.answer_help(earlier, carol, "Here is what we did.")
    request = services.ask_for_help(
        cast.cluster, cast.alice, "Inspection", "x", [inspection], "urgent"
    )
    helpers = services.who_could_help(request)
    assert helpers[0]["user"] == carol
    assert helpers[0]["why"] == [
        "has answered requests like this",
        "has been through inspection (October 2026)",
    ]
    assert helpers[1]["user"] == cast.bob and helpers[1]["why"] == ["strong in Inspection"]
    assert helpers[1]["phone"] == "07700 900111"
    assert all(h["user"] != cast.alice for h in helpers)


def _member(cast: Cast, email: str, name: str) -> Any:
    from nextpractice.clusters.models import Membership

    from .conftest import make_person

    setting = Setting.objects.create(
        name=f"{name}'s", kind="primary", area=cast.area, urn=email[:3] + "999"
    )
    person = make_person(email, name, setting)
    Membership.objects.create(cluster=cast.cluster, user=person, ground_rules_agreed_version=1)
    return person


def test_resolved_requests_form_a_searchable_library_with_figures(cast: Cast) -> None:
    request = services.ask_for_help(cast.cluster, cast.alice, "Lost our figures", "x", [], "week")
    with pytest.raises(services.SupportError, match="what helped"):
        services.resolve_help(request, cast.alice, "  ")
    with pytest.raises(services.SupportError):
        services.resolve_help(request, cast.bob, "Not mine to resolve")
    services.answer_help(request, cast.bob, "Check the backup drive")
    client_for(cast.alice).post(
        reverse("help_resolve", args=[request.pk]), {"what_helped": "Bob's backup drive tip"}
    )
    page = client_for(cast.bob).get(reverse("help_list", args=[cast.cluster.pk]) + "?q=backup")
    assert b"Lost our figures" in page.content
    assert b"1 request so far" in page.content and b"minute" in page.content
    assert (
        b"Lost our figures"
        not in client_for(cast.bob)
        .get(reverse("help_list", args=[cast.cluster.pk]) + "?q=ofsted")
        .content
    )


# --- Successes -------------------------------------------------------------------------------


def test_a_shout_out_reaches_its_person_and_their_achievements(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    client_for(cast.bob).post(
        reverse("successes", args=[cast.cluster.pk]),
        {"about": cast.alice.pk, "text": "Your phonics display was **brilliant**"},
    )
    success = Success.objects.get()
    assert success.is_shout_out and success.about == cast.alice
    assert Notification.objects.filter(user=cast.alice, kind="success").exists()
    page = client_for(cast.alice).get(reverse("achievements"))
    assert b"Your phonics display was <strong>brilliant</strong>" in page.content
    assert b"Bob Baker" in page.content
    # No counts compared between people, no rankings.
    assert b"rank" not in page.content.lower() and b"top contributor" not in page.content.lower()


def test_achievements_gather_actions_done_and_strengths_named_in_reviews(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    from nextpractice.reviews import filetypes
    from nextpractice.reviews import services as reviews

    settings.MEDIA_ROOT = tmp_path
    meeting = make_meeting(cast.cluster, dt.timedelta(hours=-2))
    action = meeting_services.add_action(meeting, cast.bob, "Redraft the SEF", cast.alice)
    meeting_services.update_action(action, cast.alice, "", "done")
    review = reviews.create_request(
        cast.cluster,
        cast.alice,
        kind="document",
        title="SEF",
        feedback_by=timezone.localdate(),
        focus=[("Leadership?", None)],
        document_kind="sef",
        upload=reviews.CheckedFile(b"%PDF-1.4", "sef.pdf", filetypes.PDF),
    )
    focus = review.focus_areas.get()
    reviews.save_feedback(
        review, cast.bob, {focus.pk: ("Your vision is clear", "More impact")}, submit=True
    )
    page = client_for(cast.alice).get(reverse("achievements"))
    assert b"Redraft the SEF" in page.content and b"Your vision is clear" in page.content


def test_the_termly_email_goes_once_per_person_per_term(cast: Cast) -> None:
    services.record_success(cast.cluster, cast.bob, cast.alice, "Great open morning")
    december = timezone.make_aware(dt.datetime(2026, 12, 16, 9, 0))
    november = timezone.make_aware(dt.datetime(2026, 11, 20, 9, 0))
    assert services.send_termly_achievements(november) == 0
    sent = services.send_termly_achievements(december)
    assert sent >= 2  # Alice and Bob (and the other leaders)
    assert services.send_termly_achievements(december) == 0
    email = next(e for e in emails_to(cast.alice) if "achieved" in e.subject)
    assert "Great open morning" in email.body
    assert AchievementEmail.objects.filter(user=cast.alice, term="2026-autumn").count() == 1


def test_successes_since_the_last_meeting_are_on_the_next_agenda(cast: Cast) -> None:
    last = make_meeting(cast.cluster, dt.timedelta(days=-10))
    coming = make_meeting(cast.cluster, dt.timedelta(days=10))
    old = Success.objects.create(
        cluster=cast.cluster, author=cast.bob, about=cast.bob, text="Old news"
    )
    Success.objects.filter(pk=old.pk).update(created_at=last.starts_at - dt.timedelta(days=3))
    services.record_success(cast.cluster, cast.bob, cast.alice, "Moved to good")
    page = client_for(cast.alice).get(reverse("meeting_detail", args=[coming.pk]))
    assert b"Moved to good" in page.content and b"Old news" not in page.content


# --- Research and ideas ----------------------------------------------------------------------


def test_research_goes_on_the_agenda_and_collects_takeaways(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=10))
    client = client_for(cast.alice)
    client.post(
        reverse("research_list", args=[cast.cluster.pk]),
        {
            "title": "EEF early language",
            "summary": "Talk *more*",
            "questions": "What would we change?",
        },
    )
    piece = ResearchPiece.objects.get()
    client.post(reverse("research_to_agenda", args=[piece.pk]))
    item = AgendaItem.objects.get(meeting=meeting)
    assert item.kind == "research" and item.title == "EEF early language"
    client_for(cast.bob).post(
        reverse("research_detail", args=[piece.pk]), {"text": "Less questioning, more commenting"}
    )
    page = client.get(reverse("research_detail", args=[piece.pk]))
    assert b"Less questioning" in page.content and b"Talk <em>more</em>" in page.content


def test_an_idea_travels_and_shows_where_it_went(cast: Cast) -> None:
    idea = Idea.objects.create(
        cluster=cast.cluster,
        author=cast.alice,
        title="Stay-and-play Fridays",
        what_we_did="Parents stay for the first hour",
        what_happened="Attendance up",
    )
    bob = client_for(cast.bob)
    bob.post(reverse("idea_detail", args=[idea.pk]), {"result": "trying"})
    bob.post(reverse("idea_detail", args=[idea.pk]), {"result": "worked", "note": "Dads came too"})
    page = client_for(cast.alice).get(reverse("idea_detail", args=[idea.pk]))
    assert b"Setting 1</strong>: it worked. Dads came too" in page.content
    assert (
        client_for(cast.alice)
        .post(reverse("idea_detail", args=[idea.pk]), {"result": "worked"})
        .status_code
        == 403
    )


# --- Events and training -----------------------------------------------------------------------


def event_form(cast: Cast, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "sports",
        "title": "Cluster sports day",
        "day": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        "start": "09:30",
        "end": "14:30",
        "host_setting": Setting.objects.get(urn="100000").pk,
        "for_children": "on",
        "aim": "Children who do not usually get picked",
        "contacts": "Pat Lee, pat.pe@school.test\nSam Roe, sam@school.test",
    } | extra


def test_an_event_collects_each_settings_numbers_and_is_in_the_calendar(cast: Cast) -> None:
    from icalendar import Calendar

    from nextpractice.meetings.models import CalendarFeed

    response = client_for(cast.alice).post(
        reverse("event_list", args=[cast.cluster.pk]), event_form(cast)
    )
    assert response.status_code == 302
    event = Event.objects.get()
    assert [c.name for c in event.contacts.all()] == ["Pat Lee", "Sam Roe"]
    client_for(cast.alice).post(
        reverse("event_numbers", args=[event.pk]), {"children": 12, "adults": 3}
    )
    client_for(cast.bob).post(
        reverse("event_numbers", args=[event.pk]), {"children": 20, "adults": 4}
    )
    page = client_for(cast.bob).get(reverse("event_detail", args=[event.pk]))
    assert b"<strong>32</strong>" in page.content and b"<strong>7</strong>" in page.content
    bad = client_for(cast.bob).post(
        reverse("event_numbers", args=[event.pk]), {"children": -1, "adults": 4}
    )
    assert bad.status_code == 302
    assert Participation.objects.get(setting__urn="100001").children == 20  # unchanged
    feed = CalendarFeed.objects.create(user=cast.bob)
    cal = Calendar.from_ical(
        client_for(None).get(reverse("calendar_feed", args=[feed.token])).content
    )
    summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert "Sports day: Cluster sports day" in summaries


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"contacts": "Pat Lee pat-at-school"}, "Line 1: write the name"),
        ({"end": "09:00"}, "must end after it starts"),
        ({"kind": "training"}, "number of places"),
        ({"host_setting": "", "venue": ""}, "host setting or give a venue"),
    ],
)
def test_a_bad_event_is_refused_inline(cast: Cast, change: dict[str, str], message: str) -> None:
    response = client_for(cast.alice).post(
        reverse("event_list", args=[cast.cluster.pk]), event_form(cast, **change)
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert not Event.objects.exists()


def test_a_training_day_books_places_up_to_capacity_then_a_waiting_list(cast: Cast) -> None:
    event = Event.objects.create(
        cluster=cast.cluster,
        kind=EventKind.TRAINING,
        title="Early language INSET",
        starts_at=timezone.now() + dt.timedelta(days=9),
        ends_at=timezone.now() + dt.timedelta(days=9, hours=6),
        capacity=5,
        venue="Teachers' centre",
    )
    a, b = Setting.objects.get(urn="100000"), Setting.objects.get(urn="100001")
    assert services.book_places(event, a, cast.alice, 3).places == 3
    part = services.book_places(event, b, cast.bob, 4)
    assert (part.places, part.waiting) == (2, 2)
    services.book_places(event, a, cast.alice, 1)  # Alice frees two places
    part.refresh_from_db()
    assert (part.places, part.waiting) == (4, 0)
    with pytest.raises(services.SupportError):
        services.set_numbers(event, a, cast.alice, 3, 1)


# --- Funding -----------------------------------------------------------------------------------


def test_funding_reminders_go_two_weeks_and_three_days_before_once_each(cast: Cast) -> None:
    Preference.objects.create(user=cast.bob, kind="funding", mode="immediate")
    funding = Funding.objects.create(
        cluster=cast.cluster,
        shared_by=cast.alice,
        funder="Sports Trust",
        what="Equipment",
        deadline=timezone.localdate() + dt.timedelta(days=20),
    )
    now = timezone.now()
    assert services.funding_reminders(now) == 0
    assert services.funding_reminders(now + dt.timedelta(days=7)) == 1
    assert services.funding_reminders(now + dt.timedelta(days=7)) == 0
    assert services.funding_reminders(now + dt.timedelta(days=17)) == 1
    subjects = [e.subject for e in emails_to(cast.bob)]
    assert subjects == [
        f"14 days to go: Sports Trust closes {funding.deadline:%-d %B}",
        f"3 days to go: Sports Trust closes {funding.deadline:%-d %B}",
    ]
    client_for(cast.bob).post(reverse("funding_applying", args=[funding.pk]))
    assert (
        b"Applying: Bob Baker"
        in client_for(cast.alice).get(reverse("funding_list", args=[cast.cluster.pk])).content
    )


# --- Markdown, search, notifications, pages ----------------------------------------------


def test_markdown_is_sanitised_and_links_are_safe() -> None:
    from nextpractice.core.markdown import render

    html = render("Hi <script>alert(1)</script> [x](javascript:alert(1)) [eef](https://eef.org.uk)")
    assert "<script" not in html and 'href="javascript' not in html
    assert 'href="https://eef.org.uk"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_search_finds_this_clusters_things_only(cast: Cast) -> None:
    services.ask_for_help(cast.cluster, cast.alice, "Phonics screening check", "x", [], "week")
    Idea.objects.create(
        cluster=cast.cluster,
        author=cast.bob,
        title="Phonics at home packs",
        what_we_did="x",
        what_happened="y",
    )
    Idea.objects.create(
        cluster=cast.other_cluster,
        author=cast.oscar,
        title="Phonics secret",
        what_we_did="x",
        what_happened="y",
    )
    page = client_for(cast.bob).get(
        reverse("cluster_search", args=[cast.cluster.pk]) + "?q=phonics"
    )
    assert b"Phonics screening check" in page.content and b"Phonics at home packs" in page.content
    assert b"Phonics secret" not in page.content
    assert (
        client_for(cast.oscar)
        .get(reverse("cluster_search", args=[cast.cluster.pk]) + "?q=phonics")
        .status_code
        == 404
    )


def test_notifications_are_listed_with_unread_marks_and_preferences_save(cast: Cast) -> None:
    services.record_success(cast.cluster, cast.bob, cast.alice, "Well done")
    client = client_for(cast.alice)
    page = client.get(reverse("notifications"))
    assert b"1 unread" in page.content and b"New" in page.content
    client.post(reverse("notifications"))
    assert b"0 unread" in client.get(reverse("notifications")).content
    client.post(
        reverse("notification_prefs"),
        dict.fromkeys(Kind.values, "weekly"),
    )
    assert Preference.objects.filter(user=cast.alice, mode="weekly").count() == len(Kind.values)


def test_long_lists_are_paginated(cast: Cast) -> None:
    Success.objects.bulk_create(
        [
            Success(cluster=cast.cluster, author=cast.bob, about=cast.bob, text=f"Win {n}")
            for n in range(45)
        ]
    )
    page = client_for(cast.alice).get(reverse("successes", args=[cast.cluster.pk]))
    assert page.content.count(b"Win ") == 20 and b"Page 1 of 3" in page.content
    page3 = client_for(cast.alice).get(reverse("successes", args=[cast.cluster.pk]) + "?page=3")
    assert page3.content.count(b"Win ") == 5


def test_the_completed_action_link_on_a_success(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(hours=-1))
    action = meeting_services.add_action(meeting, cast.bob, "Tidy the entrance", cast.alice)
    success = services.record_success(
        cast.cluster, cast.alice, cast.alice, "Entrance done", action=action
    )
    assert success.action == action and not success.is_shout_out
    assert Action.objects.get(pk=action.pk).title == "Tidy the entrance"


def test_a_success_links_to_a_done_action_and_a_bid_is_attached_to_funding(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    from nextpractice.reviews import filetypes
    from nextpractice.reviews import services as reviews

    settings.MEDIA_ROOT = tmp_path
    meeting = make_meeting(cast.cluster, dt.timedelta(hours=-1))
    action = meeting_services.add_action(meeting, cast.bob, "Tidy the entrance", cast.alice)
    meeting_services.update_action(action, cast.alice, "", "done")
    client = client_for(cast.alice)
    client.post(
        reverse("successes", args=[cast.cluster.pk]),
        {"about": cast.alice.pk, "text": "Entrance done", "related": f"action-{action.pk}"},
    )
    assert Success.objects.get().action == action
    bid = reviews.create_request(
        cast.cluster,
        cast.alice,
        kind="document",
        title="Sports bid",
        feedback_by=timezone.localdate(),
        focus=[("Convincing?", None)],
        document_kind="bid",
        upload=reviews.CheckedFile(b"%PDF-1.4", "bid.pdf", filetypes.PDF),
    )
    funding = Funding.objects.create(
        cluster=cast.cluster,
        funder="Trust",
        what="Kit",
        deadline=timezone.localdate() + dt.timedelta(days=9),
    )
    client.post(reverse("funding_applying", args=[funding.pk]))
    client.post(reverse("funding_applying", args=[funding.pk]), {"review": bid.pk})
    page = client_for(cast.bob).get(reverse("funding_list", args=[cast.cluster.pk]))
    assert f"/reviews/{bid.pk}/".encode() in page.content and b"draft bid" in page.content


def test_training_places_booked_are_the_settings_cpd_record(cast: Cast) -> None:
    event = Event.objects.create(
        cluster=cast.cluster,
        kind=EventKind.TRAINING,
        title="Early language INSET",
        starts_at=timezone.now() + dt.timedelta(days=9),
        ends_at=timezone.now() + dt.timedelta(days=9, hours=6),
        capacity=10,
        venue="Centre",
    )
    response = client_for(cast.alice).post(reverse("event_numbers", args=[event.pk]), {"places": 3})
    assert response.status_code == 302
    page = client_for(cast.alice).get(reverse("cpd"))
    assert b"Early language INSET" in page.content and b">3<" in page.content
    assert b"Early language INSET" not in client_for(cast.oscar).get(reverse("cpd")).content
