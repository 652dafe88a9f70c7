"""Monday morning: the home page says what needs the person, by role; every kind of news is a
notification with one place to choose how it is emailed; the rough edges around it (the
favicon, the error pages' header, the sign-in wording, long lists a page at a time)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.clusters.models import Cluster, ClusterStatus
from nextpractice.core.models import Kind, Notification, OutboundEmail, Preference
from nextpractice.directory.models import Topic
from nextpractice.meetings import services as meetings
from nextpractice.meetings.models import AgendaItem, Attendance
from nextpractice.reviews import services as reviews
from nextpractice.support import services as support

from .conftest import Cast, client_for, make_meeting, make_person


def emails_to(user: User) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(to=user.email))


def ask_feedback(cast: Cast, by: User, title: str = "Our SEF") -> Any:
    return reviews.create_request(
        cast.cluster,
        by,
        kind="website",
        title=title,
        website_url="https://setting0.example",
        feedback_by=timezone.localdate() + dt.timedelta(days=9),
        focus=[("Is it clear?", None)],
    )


def home_of(user: User) -> str:
    response = client_for(user).get("/")
    assert response.status_code == 200
    return response.content.decode()


# --- What needs you ------------------------------------------------------------------------


def test_it_puts_what_needs_the_member_first_then_the_next_meeting(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=3))
    later = make_meeting(cast.cluster, dt.timedelta(days=40))
    asked = ask_feedback(cast, cast.bob, "Behaviour policy")
    mine = ask_feedback(cast, cast.alice, "Our website")
    reviews.save_feedback(
        mine, cast.bob, {mine.focus_areas.get().pk: ("Clear", "Add a map")}, submit=True
    )
    past = make_meeting(cast.cluster, dt.timedelta(days=-20))
    meetings.add_action(
        past, cast.bob, "Send the phonics plan", cast.alice, due=timezone.localdate()
    )
    support.ask_for_help(
        cast.cluster,
        cast.bob,
        "Inspection tomorrow",
        "They phoned.",
        [Topic.objects.first()],
        "urgent",
    )

    page = home_of(cast.alice)

    needs = page[page.index("What needs you") : page.index('id="next-meeting"')]
    assert "Urgent: a colleague needs help" in needs and "Inspection tomorrow" in needs
    assert f"Feedback for Bob Baker: {asked.title}" in needs
    assert f"(by {asked.feedback_by:%A %-d %B})" in needs
    assert "Feedback on Our website" in needs and "1 sent in the last two weeks" in needs
    assert "Say whether you are coming to Riverside" in needs
    assert "Send the phonics plan" in needs
    assert "unread notification" in needs
    # The next meeting comes straight after, before the clusters and everything else.
    assert page.index('id="next-meeting"') < page.index('id="my-clusters"')
    nxt = page[page.index('id="next-meeting"') : page.index('id="my-clusters"')]
    assert f"/meetings/{meeting.pk}/" in nxt and f"/meetings/{later.pk}/" in nxt
    # Answering takes the item away.
    meetings.respond(meeting, cast.alice, "attending")
    assert "Say whether you are coming" not in home_of(cast.alice)


def test_it_says_so_when_nothing_needs_the_member(cast: Cast) -> None:
    page = home_of(cast.bob)
    assert "Nothing needs you just now." in page


def test_it_greets_people_by_their_name_not_their_title(cast: Cast) -> None:
    cast.rita.full_name = "Dr Kerry Lomax"
    cast.rita.save()
    assert "Hello, Kerry" in home_of(cast.rita)
    assert "Hello, Alice" in home_of(cast.alice)
    assert User(email="x@example.test", full_name="Prof. Ada").get_short_name() == "Ada"
    assert User(email="mr@example.test", full_name="Mr").get_short_name() == "Mr"
    assert User(email="no.name@example.test").get_short_name() == "no.name"


@pytest.mark.parametrize("who", ["cora", "rita", "fay"])
def test_it_does_not_ask_those_who_lead_no_setting_to_fill_in_a_profile(
    cast: Cast, who: str
) -> None:
    page = home_of(getattr(cast, who))
    assert "Fill in your profile" not in page
    assert "Find a cluster with room" not in page and "Start a cluster" not in page


def test_it_does_not_ask_a_deputy_to_fill_in_a_profile_or_find_a_cluster(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=5))
    meetings.respond(meeting, cast.bob, "deputy", "Dee Deputy", "dee@school.test")
    dee = Attendance.objects.get(meeting=meeting).deputy
    assert dee is not None
    page = home_of(dee)
    assert "Fill in your profile" not in page and "Find a cluster with room" not in page
    # Her one meeting is her next meeting.
    nxt = page[page.index('id="next-meeting"') :]
    assert f"/meetings/{meeting.pk}/" in nxt


def test_it_asks_a_leader_without_a_cluster_to_complete_their_profile(cast: Cast) -> None:
    leader = make_person("lena@example.test", "Lena Leader", cast.cluster.area.settings.last())
    leader.profile.completed_at = None
    leader.profile.save()
    page = home_of(leader)
    assert "Fill in your profile" in page and "Find a cluster with room" in page


def test_it_shows_nothing_of_a_cluster_the_person_has_left_or_not_agreed(cast: Cast) -> None:
    make_meeting(cast.cluster, dt.timedelta(days=3))
    ask_feedback(cast, cast.bob, "Behaviour policy")
    page = home_of(cast.newbie)  # invited, has not agreed the ground rules
    assert "Behaviour policy" not in page and "Say whether you are coming" not in page
    page = home_of(cast.oscar)
    assert "Behaviour policy" not in page and "Riverside" not in page


# --- Notifications for every kind ---------------------------------------------------------


def test_every_kind_of_news_is_a_notification(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=3))
    day = timezone.localdate() + dt.timedelta(days=4)
    meetings.move_meeting(meeting, cast.bob, day, dt.time(16, 0), 90)
    review = ask_feedback(cast, cast.bob, "Behaviour policy")
    mine = ask_feedback(cast, cast.alice, "Our website")
    reviews.save_feedback(
        mine, cast.bob, {mine.focus_areas.get().pk: ("Clear", "Add a map")}, submit=True
    )
    held = make_meeting(cast.cluster, dt.timedelta(hours=-1))
    meetings.add_action(held, cast.bob, "Send the phonics plan", cast.alice)
    meetings.publish_notes(held, cast.bob)
    meetings.cancel_meeting(meeting, cast.bob, "Snow")

    kinds = set(Notification.objects.filter(user=cast.alice).values_list("kind", flat=True))
    assert {
        Kind.MEETING,
        Kind.FEEDBACK_ASKED,
        Kind.FEEDBACK_GIVEN,
        Kind.ACTION,
        Kind.NOTES,
    } <= kinds
    listed = client_for(cast.alice).get(reverse("notifications")).content.decode()
    assert "Bob Baker asked for your feedback by" in listed
    assert "Bob Baker sent you feedback" in listed
    assert "Bob Baker gave you an action: Send the phonics plan" in listed
    assert "Bob Baker cancelled the meeting" in listed and "are published" in listed
    # Bob did these himself and is told of none of it but Alice's request.
    assert set(Notification.objects.filter(user=cast.bob).values_list("kind", flat=True)) <= {
        Kind.FEEDBACK_ASKED,
        Kind.MEETING,
        Kind.NOTES,
    }
    assert review.pk  # Alice was asked (above), not Bob


def test_each_kind_is_emailed_as_the_person_chose(cast: Cast) -> None:
    client_for(cast.alice).post(
        reverse("notification_prefs"),
        {**dict.fromkeys(Kind.values, "immediate"), "meeting": "off", "notes": "daily"},
    )
    meeting = make_meeting(cast.cluster, dt.timedelta(days=3))
    meetings.cancel_meeting(meeting, cast.bob, "Snow")
    assert not [e for e in emails_to(cast.alice) if "ancel" in e.subject]
    assert [e for e in emails_to(cast.bob) if "ancel" in e.subject]  # Bob kept the default
    assert Notification.objects.get(user=cast.alice, kind=Kind.MEETING).emailed_at is None
    held = make_meeting(cast.cluster, dt.timedelta(hours=-1))
    before = len(emails_to(cast.alice))
    meetings.publish_notes(held, cast.bob)
    assert len(emails_to(cast.alice)) == before  # waits for the digest
    assert Notification.objects.get(user=cast.alice, kind=Kind.NOTES).digest == "daily"
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    morning = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(8)))
    assert support.send_digests(morning) >= 1
    assert any("digest" in e.subject.lower() or "notes" in e.body for e in emails_to(cast.alice))


def test_the_preference_page_offers_every_kind(cast: Cast) -> None:
    account = client_for(cast.alice).get(reverse("account")).content.decode()
    assert reverse("notification_prefs") in account
    page = client_for(cast.alice).get(reverse("notification_prefs")).content.decode()
    for _, label in Kind.choices:
        assert label in page
    client_for(cast.alice).post(reverse("notification_prefs"), dict.fromkeys(Kind.values, "weekly"))
    assert Preference.objects.filter(user=cast.alice, mode="weekly").count() == len(Kind.values)


def test_an_action_given_by_oneself_tells_nobody(cast: Cast) -> None:
    held = make_meeting(cast.cluster, dt.timedelta(hours=-1))
    meetings.add_action(held, cast.alice, "Tidy the garden", cast.alice)
    assert not Notification.objects.filter(kind=Kind.ACTION).exists()


# --- Rough edges ---------------------------------------------------------------------------


def test_the_favicon_is_served_and_linked(cast: Cast) -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = Client().get("/").content.decode()
    assert 'rel="icon" href="/favicon.ico"' in page and "favicon.svg" in page


@pytest.mark.parametrize("status", [403, 404, 500])
def test_error_pages_keep_the_signed_in_header(
    cast: Cast, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(cast.alice)
    client.raise_request_exception = False
    if status == 500:

        def broken(*args: Any) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr("nextpractice.site.views.needs_of", broken)
        url = "/"
    elif status == 404:
        url = reverse("cluster_detail", args=[cast.other_cluster.pk])
    else:
        url = reverse("research")
    response = client.get(url)
    assert response.status_code == status
    page = response.content.decode()
    assert "Sign out" in page and ">Sign in<" not in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_the_500_page_reads_nothing_from_the_database(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries: Any
) -> None:
    from django.test import RequestFactory

    from nextpractice.core.errors import server_error

    request = RequestFactory().get("/")
    request._cached_user = cast.alice  # type: ignore[attr-defined]
    with django_assert_max_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500 and b"Sign out" in response.content
    anonymous = RequestFactory().get("/")
    with django_assert_max_num_queries(0):
        assert b"Sign in" in server_error(anonymous).content


def test_the_sign_in_code_and_two_step_pages_use_the_same_words(cast: Cast) -> None:
    page = Client().get(reverse("account_request_login_code")).content.decode()
    assert "Email me a sign-in code" in page and "Email me a code" in page
    assert "Request Code" not in page and "Sign In" not in page
    client = Client()
    client.post(reverse("account_request_login_code"), {"email": cast.alice.email})
    page = client.get(reverse("account_confirm_login_code")).content.decode()
    assert "Enter your sign-in code" in page and "Sign-In" not in page
    assert ">Sign in</button>" in " ".join(page.split()).replace("> ", ">").replace(" <", "<")
    client = Client()
    client.post(
        reverse("account_login"), {"login": cast.cora.email, "password": "correct horse battery"}
    )
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert "Two-step sign-in" in page and "Two-Factor" not in page


# --- Long lists a page at a time ---------------------------------------------------------


def test_the_area_directory_lists_clusters_a_page_at_a_time(cast: Cast) -> None:
    Cluster.objects.bulk_create(
        [
            Cluster(name=f"Zed {n:03}", area=cast.area, status=ClusterStatus.ACTIVE)
            for n in range(60)
        ]
    )
    client = client_for(cast.cora)
    url = reverse("area_directory", args=[cast.area.pk])
    first = client.get(url).content.decode()
    assert "Clusters (62)" in first and "Clusters: page 1 of 3" in first
    assert first.count("Zed ") == 23  # Hilltop and Riverside sort first
    last = client.get(url + "?clusters=3").content.decode()
    assert "Zed 059" in last and "Zed 000" not in last
    assert client.get(url + "?clusters=x").status_code == 400


def test_a_long_agenda_is_shown_a_page_at_a_time(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=3))
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(meeting=meeting, title=f"Item number {n:02}", raised_by=cast.bob, position=n)
            for n in range(25)
        ]
    )
    client = client_for(cast.alice)
    url = reverse("meeting_detail", args=[meeting.pk])
    first = client.get(url).content.decode()
    assert "Item number 04" in first and "Item number 05" not in first
    assert "Agenda page 1 of 5" in first and "Actions to review" in first
    last = client.get(url + "?items=5").content.decode()
    assert "Item number 24" in last and "Item number 00" not in last
    assert 'start="23"' in last and "Actions to review" not in last
    # Anything else shows the first page.
    assert "Item number 00" in client.get(url + "?items=many").content.decode()
    # Moving an item brings the chair back to the item, on its page.
    meeting.chair = cast.alice
    meeting.save()
    item = AgendaItem.objects.get(title="Item number 15")  # third page, after the move
    response = client.post(
        reverse("meeting_item_move", args=[meeting.pk, item.pk]), {"direction": "up"}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"?items=3#item-{item.pk}")
