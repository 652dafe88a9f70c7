"""Between meetings, tried as the people the trust model is about: a facilitator who was not
asked, a member who has not agreed the ground rules, a member who has left; what each may
do, asked of the access object by name; every change leaving a trace; and malformed input
that is refused with a message, never a server error."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from nextpractice.audit.models import AuditEntry
from nextpractice.clusters.models import Membership
from nextpractice.core.models import OutboundEmail
from nextpractice.support import services
from nextpractice.support.models import (
    Applying,
    Event,
    EventKind,
    EventTask,
    Experience,
    Funding,
    HelpReply,
    HelpRequest,
    Idea,
    IdeaTrial,
    Notification,
    Participation,
    ResearchPiece,
    Success,
)

from .conftest import Cast, client_for

BIG_ID = "9" * 20


def ask(cast: Cast, *, to_facilitator: bool = False, urgency: str = "urgent") -> HelpRequest:
    return services.ask_for_help(
        cast.cluster,
        cast.alice,
        "Staffing crisis today",
        "Two staff off; the word marmalade is only in the body.",
        [],
        urgency,
        to_facilitator,
    )


def search(user: Any, cast: Cast, q: str) -> Any:
    return client_for(user).get(reverse("cluster_search", args=[cast.cluster.pk]), {"q": q})


def leave(user: Any, cast: Cast) -> None:
    Membership.objects.filter(cluster=cast.cluster, user=user).update(left_at=timezone.now())


# --- A facilitator who was not asked ---------------------------------------------------------


def test_a_request_not_addressed_to_the_facilitator_is_not_found_in_search(cast: Cast) -> None:
    ask(cast)
    for q in ("staffing", "marmalade"):  # the title, and a word only in the body
        assert b"Staffing crisis today" in search(cast.bob, cast, q).content
        page = search(cast.fay, cast, q)
        assert page.status_code == 200 and b"Staffing crisis" not in page.content


def test_a_request_addressed_to_the_facilitator_is_found_by_them(cast: Cast) -> None:
    ask(cast, to_facilitator=True)
    assert b"Staffing crisis today" in search(cast.fay, cast, "marmalade").content


def test_the_urgent_banner_shows_the_facilitator_only_what_they_were_asked(cast: Cast) -> None:
    not_asked = ask(cast)
    assert services.urgent_for(cast.fay) == []
    assert b"Staffing crisis today" not in client_for(cast.fay).get("/").content
    assert services.urgent_for(cast.bob) == [not_asked]
    asked = ask(cast, to_facilitator=True)
    assert services.urgent_for(cast.fay) == [asked]
    assert b"Staffing crisis today" in client_for(cast.fay).get("/").content


def test_the_facilitator_not_asked_cannot_open_answer_or_count_the_request(cast: Cast) -> None:
    request = ask(cast, urgency="week")
    fay = client_for(cast.fay)
    assert fay.get(reverse("help_detail", args=[request.pk])).status_code == 404
    assert fay.post(reverse("help_reply", args=[request.pk]), {"text": "Hi"}).status_code == 404
    assert not HelpReply.objects.unscoped().exists()
    page = fay.get(reverse("help_list", args=[cast.cluster.pk]))
    assert b"Staffing crisis" not in page.content and b"0 requests so far" in page.content
    assert services.help_figures(cast.bob, cast.cluster)["count"] == 1


# --- A member who has not agreed the ground rules ----------------------------------------------


def test_a_member_who_has_not_agreed_sees_no_banner_and_cannot_search(cast: Cast) -> None:
    ask(cast)
    assert services.urgent_for(cast.newbie) == []
    assert b"Staffing crisis today" not in client_for(cast.newbie).get("/").content
    assert search(cast.newbie, cast, "staffing").status_code == 403
    assert HelpRequest.objects.visible_to(cast.newbie).count() == 0
    assert Event.objects.visible_to(cast.newbie).count() == 0


def test_nobody_outside_reads_anything_of_the_cluster(cast: Cast) -> None:
    ask(cast, to_facilitator=True)
    for person in (cast.oscar, cast.cora, cast.rita, cast.newbie):
        assert HelpRequest.objects.visible_to(person).count() == 0
        assert services.urgent_for(person) == []


# --- Someone who has left ------------------------------------------------------------------------


def test_notifications_do_not_outlive_the_right_to_see(cast: Cast) -> None:
    ask(cast, urgency="week")  # Bob's notice waits for the daily digest
    assert b"Staffing crisis" in client_for(cast.bob).get(reverse("notifications")).content
    leave(cast.bob, cast)
    page = client_for(cast.bob).get(reverse("notifications"))
    assert b"Staffing crisis" not in page.content and b"0 unread" in page.content
    # Nor does the digest carry it to them.
    OutboundEmail.objects.all().delete()
    monday_morning = timezone.make_aware(dt.datetime(2030, 1, 7, 9, 0))
    services.send_digests(monday_morning)
    assert not OutboundEmail.objects.filter(to=cast.bob.email).exists()
    # Alice, still a member, keeps her own.
    services.record_success(cast.cluster, cast.bob, cast.alice, "Well done")
    assert b"shout-out" in client_for(cast.alice).get(reverse("notifications")).content


def test_notifications_are_hidden_while_changed_ground_rules_wait_to_be_agreed(
    cast: Cast,
) -> None:
    services.record_success(cast.cluster, cast.bob, cast.alice, "Well done")
    cast.cluster.ground_rules_version += 1
    cast.cluster.save()
    assert Notification.objects.visible_to(cast.alice).count() == 0
    assert b"shout-out" not in client_for(cast.alice).get(reverse("notifications")).content


def test_marking_all_read_touches_only_what_the_person_may_see(cast: Cast) -> None:
    services.record_success(cast.cluster, cast.bob, cast.alice, "Well done")
    leave(cast.alice, cast)
    client_for(cast.alice).post(reverse("notifications"))
    assert Notification.objects.unscoped().get().read_at is None


# --- Named capabilities --------------------------------------------------------------------------


def test_only_the_requester_may_resolve_and_nobody_calls_themself(cast: Cast) -> None:
    request = ask(cast, urgency="week")
    own = client_for(cast.alice).get(reverse("help_detail", args=[request.pk])).content
    theirs = client_for(cast.bob).get(reverse("help_detail", args=[request.pk])).content
    assert b"Mark it resolved" in own and b"I'll call you" not in own
    assert b"Mark it resolved" not in theirs and b"I'll call you" in theirs
    response = client_for(cast.bob).post(
        reverse("help_resolve", args=[request.pk]), {"what_helped": "Me"}
    )
    assert response.status_code == 403
    assert HelpRequest.objects.unscoped().get().is_open


def test_an_ideas_author_is_not_offered_to_try_it_nor_may_they(cast: Cast) -> None:
    idea = services.share_idea(
        cast.cluster,
        cast.bob,
        title="Stay and play",
        what_we_did="x",
        what_happened="y",
        evidence="",
    )
    url = reverse("idea_detail", args=[idea.pk])
    assert b"We're trying it" not in client_for(cast.bob).get(url).content
    assert b"We're trying it" in client_for(cast.alice).get(url).content
    assert client_for(cast.bob).post(url, {"result": "worked"}).status_code == 403
    assert not IdeaTrial.objects.unscoped().exists()


def test_templates_ask_the_access_object_not_a_role() -> None:
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "src/nextpractice/templates/support"
    for template in folder.glob("*.html"):
        text = template.read_text()
        for rule in (".role", "user.pk", "author_id", "requester_id", "is_facilitator"):
            assert rule not in text, f"{template.name} writes out {rule}"


# --- Every change leaves a trace ------------------------------------------------------------


def test_every_change_between_meetings_is_audited(cast: Cast) -> None:
    alice, bob = client_for(cast.alice), client_for(cast.bob)
    c = cast.cluster.pk
    request = ask(cast, urgency="week")
    bob.post(reverse("help_reply", args=[request.pk]), {"text": "Try the agency"})
    alice.post(reverse("help_resolve", args=[request.pk]), {"what_helped": "The agency"})
    bob.post(reverse("research_list", args=[c]), {"title": "Talk", "summary": "Talking matters"})
    piece = ResearchPiece.objects.unscoped().get()
    alice.post(reverse("research_detail", args=[piece.pk]), {"text": "Ask more"})
    bob.post(
        reverse("idea_list", args=[c]),
        {"title": "Stay and play", "what_we_did": "x", "what_happened": "y"},
    )
    idea = Idea.objects.unscoped().get()
    alice.post(reverse("idea_detail", args=[idea.pk]), {"result": "worked"})
    day = timezone.localdate() + dt.timedelta(days=20)
    bob.post(
        reverse("event_list", args=[c]),
        {
            "kind": "sports",
            "title": "Sports day",
            "day": day,
            "start": "10:00",
            "end": "12:00",
            "venue": "Park",
        },
    )
    event = Event.objects.unscoped().get()
    alice.post(reverse("event_numbers", args=[event.pk]), {"children": 12, "adults": 3})
    alice.post(reverse("event_task", args=[event.pk]), {"text": "Bring cones"})
    task = EventTask.objects.unscoped().get()
    alice.post(reverse("event_task", args=[event.pk]), {"toggle": task.pk})
    bob.post(
        reverse("funding_list", args=[c]),
        {"funder": "Trust", "what": "Kit", "deadline": day},
    )
    funding = Funding.objects.unscoped().get()
    alice.post(reverse("funding_applying", args=[funding.pk]))
    alice.post(reverse("successes", args=[c]), {"about": cast.bob.pk, "text": "Great day"})
    # Help not addressed to the facilitator is logged against no cluster (the cluster's
    # activity page is the facilitator's to read too): it is audited all the same.
    verbs = set(AuditEntry.objects.filter(cluster=cast.cluster).values_list("verb", flat=True))
    verbs |= set(AuditEntry.objects.filter(cluster=None).values_list("verb", flat=True))
    assert verbs >= {
        "help.asked",
        "help.answered",
        "help.resolved",
        "research.shared",
        "research.takeaway",
        "idea.shared",
        "idea.tried",
        "event.created",
        "event.numbers",
        "event.task_added",
        "event.task_toggled",
        "funding.shared",
        "funding.applying",
        "success.recorded",
    }
    assert EventTask.objects.unscoped().get().done


# --- Malformed input: refused with a message, nothing changed, never a 500 -------------------


@pytest.mark.parametrize(
    "name",
    ["help_detail", "idea_detail", "research_detail", "event_detail"],
)
def test_a_twenty_digit_id_in_the_address_is_not_found(cast: Cast, name: str) -> None:
    url = reverse(name, args=[1]).replace("/1/", f"/{BIG_ID}/")
    assert client_for(cast.alice).get(url).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "help_list",
        "successes",
        "research_list",
        "idea_list",
        "event_list",
        "funding_list",
        "cluster_search",
    ],
)
def test_a_twenty_digit_cluster_id_is_not_found(cast: Cast, name: str) -> None:
    url = reverse(name, args=[1]).replace("/1/", f"/{BIG_ID}/")
    assert client_for(cast.alice).get(url).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "help_reply",
        "help_resolve",
        "event_numbers",
        "event_task",
        "funding_applying",
        "research_to_agenda",
    ],
)
def test_a_twenty_digit_id_in_a_post_address_is_not_found(cast: Cast, name: str) -> None:
    url = reverse(name, args=[1]).replace("/1/", f"/{BIG_ID}/")
    assert client_for(cast.alice).post(url, {"text": "x"}).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"page": "²"},
        {"page": BIG_ID},
        {"page": "-1"},
        {"page": "NaN"},
        {"q": "phon\x00ics"},
        {"q": "x" * 1_000_000},
        {"over": "\x00"},
        {"over": "decade"},
    ],
)
def test_malformed_query_strings_never_break_a_page(cast: Cast, query: dict[str, str]) -> None:
    c = cast.cluster.pk
    alice = client_for(cast.alice)
    for url in (
        reverse("help_list", args=[c]),
        reverse("successes", args=[c]),
        reverse("research_list", args=[c]),
        reverse("idea_list", args=[c]),
        reverse("event_list", args=[c]),
        reverse("funding_list", args=[c]),
        reverse("cluster_search", args=[c]),
        reverse("notifications"),
        reverse("achievements"),
        reverse("cpd"),
    ):
        response = alice.get(url, query)
        assert response.status_code in (200, 400), (url, response.status_code)


def test_a_bad_search_says_why(cast: Cast) -> None:
    page = search(cast.alice, cast, "x" * 300)
    assert page.status_code == 400 and b"at most 200 characters" in page.content
    assert search(cast.alice, cast, "nul\x00").status_code == 400


def made_event(cast: Cast, kind: str = EventKind.SPORTS) -> Event:
    start = timezone.now() + dt.timedelta(days=9)
    return services.create_event(
        cast.cluster,
        cast.bob,
        kind=kind,
        title="Fair",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        venue="Hall",
        capacity=10,
    )


@pytest.mark.parametrize("value", ["²", BIG_ID, "-1", "abc", "", "\x00"])
def test_malformed_ids_in_forms_change_nothing(cast: Cast, value: str) -> None:
    alice = client_for(cast.alice)
    event = made_event(cast)
    task = services.add_task(event, cast.bob, "Cones")
    alice.post(reverse("event_task", args=[event.pk]), {"toggle": value})
    alice.post(reverse("event_task", args=[event.pk]), {"text": "Bibs", "owner": value})
    assert EventTask.objects.unscoped().get(pk=task.pk).done is False
    funding = Funding.objects.create(
        cluster=cast.cluster,
        funder="Trust",
        what="Kit",
        deadline=timezone.localdate() + dt.timedelta(days=9),
    )
    alice.post(reverse("funding_applying", args=[funding.pk]), {"review": value})
    mine = Experience.objects.create(user=cast.bob, topic_id=_topic().pk)
    alice.post(reverse("experiences"), {"delete": value})
    alice.post(reverse("successes", args=[cast.cluster.pk]), {"about": value, "text": "Hi"})
    alice.post(reverse("event_numbers", args=[event.pk]), {"children": value, "adults": value})
    assert Experience.objects.filter(pk=mine.pk).exists()
    assert not Participation.objects.unscoped().exists()
    if value:  # an empty "owner" is "nobody yet", and an empty review "none attached"
        assert not Success.objects.unscoped().exists()
    assert EventTask.objects.unscoped().filter(text="Bibs", owner__isnull=False).count() == 0


def _topic() -> Any:
    from nextpractice.directory.models import Topic

    return Topic.objects.get_or_create(name="Inspection")[0]


def test_another_persons_experience_or_another_clusters_bid_cannot_be_used(cast: Cast) -> None:
    theirs = Experience.objects.create(user=cast.bob, topic=_topic())
    client_for(cast.alice).post(reverse("experiences"), {"delete": theirs.pk})
    assert Experience.objects.filter(pk=theirs.pk).exists()
    funding = Funding.objects.create(
        cluster=cast.cluster,
        funder="Trust",
        what="Kit",
        deadline=timezone.localdate() + dt.timedelta(days=9),
    )
    from nextpractice.reviews import filetypes
    from nextpractice.reviews import services as reviews

    bid = reviews.create_request(
        cast.other_cluster,
        cast.oscar,
        kind="document",
        title="Their bid",
        feedback_by=timezone.localdate(),
        focus=[("Convincing?", None)],
        document_kind="bid",
        upload=reviews.CheckedFile(b"%PDF-1.4", "bid.pdf", filetypes.PDF),
    )
    client_for(cast.alice).post(reverse("funding_applying", args=[funding.pk]), {"review": bid.pk})
    assert not Applying.objects.unscoped().filter(review=bid).exists()


@pytest.mark.parametrize(
    "change",
    [
        {"day": "10000-01-01"},
        {"day": "0000-01-01"},
        {"day": "2030-02-30"},
        {"capacity": "NaN"},
        {"capacity": "²"},
        {"capacity": BIG_ID},
        {"title": "x" * 1_000_000},
        {"title": "Sports\x00day"},
        {"start": "25:00"},
    ],
)
def test_a_malformed_event_is_refused_and_nothing_is_made(
    cast: Cast, change: dict[str, str]
) -> None:
    data = {
        "kind": "training",
        "title": "INSET",
        "day": "2030-01-10",
        "start": "09:00",
        "end": "15:00",
        "venue": "Centre",
        "capacity": "10",
    } | change
    response = client_for(cast.alice).post(reverse("event_list", args=[cast.cluster.pk]), data)
    assert response.status_code == 400
    assert not Event.objects.unscoped().exists()


@pytest.mark.parametrize(
    "data",
    [
        {"text": "x" * 1_000_000},
        {"text": "nul\x00"},
        {"do": "explode", "text": "Hi"},
        {"do": "\x00"},
    ],
)
def test_a_malformed_reply_is_refused_and_nothing_is_written(
    cast: Cast, data: dict[str, str]
) -> None:
    request = ask(cast, urgency="week")
    response = client_for(cast.bob).post(reverse("help_reply", args=[request.pk]), data)
    assert response.status_code == 302
    assert not HelpReply.objects.unscoped().exists()


@pytest.mark.parametrize("deadline", ["99999-01-01", "0000-01-01", "²", "\x00"])
def test_a_malformed_funding_deadline_is_refused(cast: Cast, deadline: str) -> None:
    response = client_for(cast.alice).post(
        reverse("funding_list", args=[cast.cluster.pk]),
        {"funder": "Trust", "what": "Kit", "deadline": deadline},
    )
    assert response.status_code == 400 and not Funding.objects.unscoped().exists()


def test_a_past_funding_deadline_is_refused_with_a_message(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        reverse("funding_list", args=[cast.cluster.pk]),
        {"funder": "Trust", "what": "Kit", "deadline": "2001-01-01"},
    )
    assert response.status_code == 400 and b"That deadline has passed" in response.content
    assert not Funding.objects.unscoped().exists()


# --- Notifications live in core, under every feature app ------------------------------------------


def test_notifications_are_cores_and_keep_their_tables() -> None:
    from nextpractice.core import models as core_models
    from nextpractice.support import models as support_models

    assert support_models.Notification is core_models.Notification
    assert support_models.Preference is core_models.Preference
    assert core_models.Notification._meta.app_label == "core"
    assert core_models.Notification._meta.db_table == "support_notification"
    assert core_models.Preference._meta.db_table == "support_preference"
    assert services.notify.__module__ == "nextpractice.core.notifications"


def test_core_notifications_import_no_feature_app() -> None:
    import ast
    from pathlib import Path

    core = Path(__file__).resolve().parent.parent / "src/nextpractice/core"
    for name in ("notifications.py", "models.py", "scoping.py"):
        tree = ast.parse((core / name).read_text())
        imported = [
            node.module or ""
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 0
        ] + [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        ]
        outside = [
            m
            for m in imported
            if m.startswith("nextpractice") and not m.startswith("nextpractice.core")
        ]
        assert not outside, f"core/{name} imports {outside}"


def test_another_app_notifies_through_core(cast: Cast) -> None:
    from nextpractice.core.notifications import notify

    notify([cast.alice, cast.bob], cast.cluster, "event", "Meeting moved", "/m/")
    assert Notification.objects.visible_to(cast.alice).get().text == "Meeting moved"
    assert Notification.objects.visible_to(cast.oscar).count() == 0
