"""Pages run a bounded number of queries, the same for a small network as for a large one."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.clusters.models import Cluster, Membership
from nextpractice.directory.models import (
    LeaderProfile,
    Setting,
    SettingKind,
    Topic,
    TopicChoice,
    Value,
    ValueRating,
)

from .conftest import Cast, client_for

# The home page: 19 since it gathers what needs the person (NEEDS_YOU_SOURCES: six
# sources, one query each); the area directory 15 since its clusters come a page at a time
# (the count for the pager); the cluster page 17 since it says who named the cluster (one
# audit read) and prompts for the person's own open check-in (one read); all constant.
BUDGET = {"home": 19, "cluster_detail": 17, "area_directory": 15, "find_cluster": 20}


def grow(cast: Cast, settings_count: int) -> None:
    """Add settings, their leaders, and clusters of six, some of them Alice's."""
    start = Setting.objects.count()
    new_settings = Setting.objects.bulk_create(
        [
            Setting(
                name=f"Bulk {i}",
                kind=SettingKind.DAY_NURSERY,
                area=cast.area,
                urn=f"EY{800000 + i}",
            )
            for i in range(start, settings_count)
        ]
    )
    users = User.objects.bulk_create(
        [User(email=f"leader{s.pk}@example.test", full_name=f"Leader {s.pk}") for s in new_settings]
    )
    profiles = LeaderProfile.objects.bulk_create(
        [
            LeaderProfile(user=u, setting=s, completed_at=timezone.now())
            for u, s in zip(users, new_settings, strict=True)
        ]
    )
    topics = list(Topic.objects.all())
    # Every profile rates the values and names topics, so no page skips a query for an
    # empty set at one size and not at the other.
    bare = list(LeaderProfile.objects.filter(ratings=None))
    ValueRating.objects.bulk_create(
        [ValueRating(profile=p, value=v, importance=3) for p in bare for v in Value.objects.all()]
    )
    TopicChoice.objects.bulk_create(
        [
            TopicChoice(profile=p, topic=topics[0], kind=TopicChoice.STRENGTH)
            for p in bare
            if p not in profiles
        ]
    )
    TopicChoice.objects.bulk_create(
        [
            TopicChoice(
                profile=p,
                topic=topics[(p.pk + k) % len(topics)],
                kind=TopicChoice.STRENGTH if k < 3 else TopicChoice.DEVELOP,
            )
            for p in profiles
            for k in range(5)
        ]
    )
    # Alice's cluster gains members (up to seven), and the area gains many clusters.
    for user in users[: 6 - cast.cluster.member_count()]:  # room for one more
        Membership.objects.create(cluster=cast.cluster, user=user, ground_rules_agreed_version=1)
    for start_at in range(3, len(users) - 6, 6):
        cluster = Cluster.objects.create(name=f"Cluster {start_at}", area=cast.area)
        Membership.objects.bulk_create(
            [
                Membership(cluster=cluster, user=u, ground_rules_agreed_version=1)
                for u in users[start_at : start_at + 6]
            ]
        )
        if start_at < 40:  # Alice is in several clusters once the network is big
            Membership.objects.create(
                cluster=cluster, user=cast.alice, ground_rules_agreed_version=1
            )


def count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def pages(cast: Cast) -> dict[str, tuple[Any, str]]:
    return {
        "home": (client_for(cast.alice), "/"),
        "cluster_detail": (
            client_for(cast.alice),
            reverse("cluster_detail", args=[cast.cluster.pk]),
        ),
        "area_directory": (client_for(cast.cora), reverse("area_directory", args=[cast.area.pk])),
        "find_cluster": (client_for(cast.oscar), reverse("find_cluster")),
    }


def test_query_counts_do_not_grow_with_the_data(cast: Cast) -> None:
    grow(cast, 10)
    small = {name: count_queries(c, url) for name, (c, url) in pages(cast).items()}
    grow(cast, 2000)
    assert Setting.objects.count() >= 2000
    big = {name: count_queries(c, url) for name, (c, url) in pages(cast).items()}
    assert big == small
    for name, count in big.items():
        assert count <= BUDGET[name], f"{name} ran {count} queries"


MEETING_BUDGET = {
    "meeting_detail": 22,
    "meetings_year": 12,
    "meetings_plan": 12,
    "my_actions": 8,
    "calendar_feed": 8,
}


def grow_meetings(cast: Cast, meetings: int, per_meeting: int) -> Any:
    """Past meetings with items, notes, actions and progress; the measured one is next."""
    import datetime as dt

    from nextpractice.meetings import services
    from nextpractice.meetings.models import (
        Action,
        ActionUpdate,
        AgendaItem,
        Attendance,
        CalendarFeed,
        Note,
    )

    from .conftest import make_meeting

    made = [
        make_meeting(cast.cluster, dt.timedelta(days=-7 * (k + 1), hours=-(k % 5)))
        for k in range(meetings)
    ]
    target = make_meeting(cast.cluster, dt.timedelta(days=3))
    for meeting in [*made, target]:
        items = AgendaItem.objects.bulk_create(
            [
                AgendaItem(meeting=meeting, title=f"Item {i}", raised_by=cast.bob, position=i)
                for i in range(per_meeting)
            ]
        )
        Note.objects.bulk_create(
            [Note(meeting=meeting, item=it, text="A note", author=cast.alice) for it in items]
        )
        actions = Action.objects.bulk_create(
            [
                Action(
                    cluster=cast.cluster,
                    meeting=meeting,
                    item=it,
                    title=f"Action {it.pk}",
                    owner=cast.alice if it.pk % 2 else None,
                    created_at=meeting.starts_at,
                )
                for it in items
            ]
        )
        ActionUpdate.objects.bulk_create(
            [ActionUpdate(action=a, author=cast.alice, text="Progress") for a in actions]
        )
        Attendance.objects.bulk_create(
            [
                Attendance(
                    meeting=meeting, member=cast.alice, response="attending", mark="attended"
                ),
                Attendance(
                    meeting=meeting, member=cast.bob, response="apologies", mark="apologies"
                ),
            ]
        )
    CalendarFeed.objects.get_or_create(user=cast.alice)
    services.set_roles(target, cast.alice, cast.alice, cast.bob)
    return target


def meeting_pages(cast: Cast, target: Any) -> dict[str, tuple[Any, str]]:
    from nextpractice.meetings.models import CalendarFeed

    alice = client_for(cast.alice)
    token = CalendarFeed.objects.get(user=cast.alice).token
    return {
        "meeting_detail": (alice, reverse("meeting_detail", args=[target.pk])),
        "meetings_year": (
            alice,
            f"{reverse('meetings_year', args=[cast.cluster.pk])}?year={target.plan.start_year}",
        ),
        "meetings_plan": (
            alice,
            f"{reverse('meetings_plan', args=[cast.cluster.pk])}?year={target.plan.start_year}",
        ),
        "my_actions": (alice, reverse("my_actions")),
        "calendar_feed": (alice, reverse("calendar_feed", args=[token])),
    }


def test_meeting_pages_run_the_same_queries_for_one_meeting_and_for_years_of_them(
    cast: Cast,
) -> None:
    from nextpractice.meetings.models import Meeting

    target = grow_meetings(cast, 1, 2)
    small = {name: count_queries(c, url) for name, (c, url) in meeting_pages(cast, target).items()}
    Meeting.objects.all().delete()
    target = grow_meetings(cast, 60, 40)
    big = {name: count_queries(c, url) for name, (c, url) in meeting_pages(cast, target).items()}
    assert big == small
    for name, count in big.items():
        assert count <= MEETING_BUDGET[name], f"{name} ran {count} queries"


REVIEW_BUDGET = {
    "review_detail": 11,
    "review_report": 8,
    "review_report_pdf": 7,
    "review_list": 7,
}


def grow_reviews(cast: Cast, reviewers: int, tmp_path: Any) -> Any:
    """Alice's SEF with three focus areas and ``reviewers`` colleagues' sent feedback."""
    from nextpractice.reviews import filetypes
    from nextpractice.reviews import services as reviews
    from nextpractice.reviews.models import AccessEntry, Reply, ReviewRequest

    ReviewRequest.objects.all().delete()
    people = []
    for k in range(reviewers):
        user, _ = User.objects.get_or_create(
            email=f"reviewer{k}@example.test", defaults={"full_name": f"Reviewer {k}"}
        )
        Membership.objects.get_or_create(
            cluster=cast.cluster, user=user, defaults={"ground_rules_agreed_version": 1}
        )
        people.append(user)
    review = reviews.create_request(
        cast.cluster,
        cast.alice,
        kind="document",
        title="Our SEF",
        feedback_by=timezone.localdate(),
        focus=[("Leadership?", None), ("Impact?", None), ("Curriculum?", None)],
        document_kind="sef",
        upload=reviews.CheckedFile(b"%PDF-1.4 x", "sef.pdf", filetypes.PDF),
    )
    focus = list(review.focus_areas.all())
    for user in people:
        reviews.save_feedback(
            review, user, {f.pk: ("Strong", "Next") for f in focus}, "Overall", submit=True
        )
        Reply.objects.create(request=review, focus=focus[0], author=cast.alice, text="Thanks")
        AccessEntry.objects.create(request=review, user=user, what="opened")
    return review


def test_review_pages_run_the_same_queries_for_two_reviewers_and_for_fifty(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    alice = client_for(cast.alice)

    def measure(review: Any) -> dict[str, int]:
        urls = {
            "review_detail": reverse("review_detail", args=[review.pk]),
            "review_report": reverse("review_report", args=[review.pk]),
            "review_report_pdf": reverse("review_report_pdf", args=[review.pk]),
            "review_list": reverse("review_list", args=[cast.cluster.pk]),
        }
        return {name: count_queries(alice, url) for name, url in urls.items()}

    measure(grow_reviews(cast, 2, tmp_path))  # warms the per-process caches
    small = measure(grow_reviews(cast, 2, tmp_path))
    big = measure(grow_reviews(cast, 50, tmp_path))
    assert big == small
    for name, count in big.items():
        assert count <= REVIEW_BUDGET[name], f"{name} ran {count} queries"


SUPPORT_BUDGET = {
    "help_list": 9,
    "help_detail": 14,
    "successes": 11,
    "achievements": 7,
    "research_list": 9,
    "idea_list": 8,
    "event_list": 9,
    "event_detail": 11,
    "funding_list": 11,
    "cluster_search": 13,
    "notifications": 7,
}


def grow_support(cast: Cast, n: int) -> dict[str, Any]:
    """n of everything between meetings in Alice's cluster (help, successes, research,
    ideas with trials, events with numbers, funding with applicants, notifications)."""
    import datetime as dt

    from nextpractice.directory.models import Topic
    from nextpractice.support import services as support
    from nextpractice.support.models import (
        Applying,
        Event,
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

    for model in (HelpRequest, Success, ResearchPiece, Idea, Event, Funding, Notification):
        model.objects.all().delete()
    topic = Topic.objects.first()
    now = timezone.now()
    requests = HelpRequest.objects.bulk_create(
        [
            HelpRequest(
                cluster=cast.cluster,
                requester=cast.bob,
                title=f"Phonics help {k}",
                what_happened="x",
                urgency="week",
                resolved_at=now if k % 2 else None,
                what_helped="phonics tip",
                first_answer_at=now,
            )
            for k in range(n)
        ]
    )
    for r in requests:
        r.topics.add(topic)
    HelpReply.objects.bulk_create(
        [HelpReply(request=r, author=cast.alice, text="Try this") for r in requests]
    )
    Success.objects.bulk_create(
        [
            Success(
                cluster=cast.cluster, author=cast.bob, about=cast.alice, text=f"Phonics win {k}"
            )
            for k in range(n)
        ]
    )
    pieces = ResearchPiece.objects.bulk_create(
        [
            ResearchPiece(
                cluster=cast.cluster, added_by=cast.bob, title=f"Phonics paper {k}", summary="s"
            )
            for k in range(n)
        ]
    )
    for p in pieces:
        p.topics.add(topic)
    ideas = Idea.objects.bulk_create(
        [
            Idea(
                cluster=cast.cluster,
                author=cast.bob,
                title=f"Phonics idea {k}",
                what_we_did="a",
                what_happened="b",
            )
            for k in range(n)
        ]
    )
    IdeaTrial.objects.bulk_create(
        [IdeaTrial(idea=i, user=cast.alice, setting=cast.alice.profile.setting) for i in ideas]
    )
    events = Event.objects.bulk_create(
        [
            Event(
                cluster=cast.cluster,
                kind="sports",
                title=f"Phonics fair {k}",
                venue="Hall",
                starts_at=now + dt.timedelta(days=k - n // 2),
                ends_at=now + dt.timedelta(days=k - n // 2, hours=2),
            )
            for k in range(n)
        ]
    )
    Participation.objects.bulk_create(
        [
            Participation(event=e, setting=cast.alice.profile.setting, children=5, adults=1)
            for e in events
        ]
    )
    fundings = Funding.objects.bulk_create(
        [
            Funding(
                cluster=cast.cluster,
                funder=f"Trust {k}",
                what="Phonics books",
                deadline=timezone.localdate() + dt.timedelta(days=k + 1),
            )
            for k in range(n)
        ]
    )
    Applying.objects.bulk_create([Applying(funding=f, user=cast.bob) for f in fundings])
    Notification.objects.bulk_create(
        [
            Notification(
                user=cast.alice, cluster=cast.cluster, kind="help", text=f"N {k}", link="/"
            )
            for k in range(n)
        ]
    )
    support.record_success(cast.cluster, cast.bob, cast.alice, "Shout")
    return {"help": requests[0], "event": events[-1]}


def test_between_meeting_pages_run_the_same_queries_for_a_few_and_for_hundreds(
    cast: Cast,
) -> None:
    alice = client_for(cast.alice)

    def measure(made: dict[str, Any]) -> dict[str, int]:
        c = cast.cluster.pk
        urls = {
            "help_list": reverse("help_list", args=[c]) + "?q=phonics",
            "help_detail": reverse("help_detail", args=[made["help"].pk]),
            "successes": reverse("successes", args=[c]),
            "achievements": reverse("achievements"),
            "research_list": reverse("research_list", args=[c]),
            "idea_list": reverse("idea_list", args=[c]),
            "event_list": reverse("event_list", args=[c]),
            "event_detail": reverse("event_detail", args=[made["event"].pk]),
            "funding_list": reverse("funding_list", args=[c]),
            "cluster_search": reverse("cluster_search", args=[c]) + "?q=phonics",
            "notifications": reverse("notifications"),
        }
        return {name: count_queries(alice, url) for name, url in urls.items()}

    measure(grow_support(cast, 3))  # warms the per-process caches
    small = measure(grow_support(cast, 3))
    big = measure(grow_support(cast, 300))
    assert big == small
    for name, count in big.items():
        assert count <= SUPPORT_BUDGET[name], f"{name} ran {count} queries"


# --- Issue 16: the home page and a long agenda (pages that feel instant) -----------------


def _busy_cluster(cast: Cast, n: int) -> None:
    """Another cluster of the network with its own meetings, requests and notices."""
    import datetime as dt

    from nextpractice.core.models import Notification
    from nextpractice.meetings.models import AgendaItem
    from nextpractice.support.models import HelpRequest

    from .conftest import make_meeting

    user = User.objects.create(email=f"busy{n}@example.test", full_name=f"Busy {n}")
    cluster = Cluster.objects.create(name=f"Busy {n}", area=cast.area, status="active")
    Membership.objects.create(
        cluster=cluster,
        user=user,
        ground_rules_agreed_at=timezone.now(),
        ground_rules_agreed_version=1,
    )
    meeting = make_meeting(cluster, dt.timedelta(days=2 + n % 30))
    AgendaItem.objects.create(meeting=meeting, title="Theirs", raised_by=user)
    HelpRequest.objects.create(
        cluster=cluster, requester=user, title="Theirs", what_happened="x", urgency="urgent"
    )
    Notification.objects.create(user=user, cluster=cluster, kind="notes", text="x", link="/")


def test_the_home_page_costs_the_same_in_a_bigger_network(cast: Cast) -> None:
    import datetime as dt

    from .conftest import make_meeting

    make_meeting(cast.cluster, dt.timedelta(days=5))
    client = client_for(cast.alice)
    _busy_cluster(cast, 0)
    client.get("/")  # the first request of a session also saves it
    small = count_queries(client, "/")
    small_size = len(client.get("/").content)
    for n in range(1, 60):
        _busy_cluster(cast, n)
    assert count_queries(client, "/") == small <= BUDGET["home"]
    assert len(client.get("/").content) == small_size


def test_a_long_agenda_keeps_the_meeting_page_small_and_its_queries_fixed(cast: Cast) -> None:
    import datetime as dt

    from nextpractice.meetings.models import AgendaItem

    from .conftest import make_meeting

    meeting = make_meeting(cast.cluster, dt.timedelta(days=5))
    meeting.chair = meeting.note_taker = cast.alice  # the heaviest page: every tool shown
    meeting.save()

    def add(count: int) -> None:
        AgendaItem.objects.bulk_create(
            [
                AgendaItem(
                    meeting=meeting,
                    title=f"A longer item title, number {k}, about phonics",
                    detail="What we want to talk about, in a few sentences. " * 3,
                    raised_by=cast.bob,
                    position=k,
                )
                for k in range(count)
            ]
        )

    client = client_for(cast.alice)
    url = reverse("meeting_detail", args=[meeting.pk])
    add(8)
    client.get(url)  # the first request of a session also saves it
    few = count_queries(client, url)
    add(70)
    assert count_queries(client, url) == few
    assert len(client.get(url).content) < 40 * 1024
