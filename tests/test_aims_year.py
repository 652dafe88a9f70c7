"""Shared aims a cluster sets for its children, and its "Our year" page (issue 16).

Alice and Bob are members of Riverside, Fay facilitates it; Oscar is in another cluster,
Cora coordinates the area, Rita researches. Aims are the members' own, as equals; the
year's story is theirs alone, told in counts and words, ranking nobody.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from nextpractice.audit.models import AuditEntry
from nextpractice.clusters import aims
from nextpractice.clusters.forms import AimForm
from nextpractice.clusters.models import Aim, AimStatus, Cluster
from nextpractice.core.models import OutboundEmail
from nextpractice.core.year import Year
from nextpractice.meetings import services as meeting_services
from nextpractice.meetings.models import (
    Action,
    ActionStatus,
    Attendance,
    Mark,
    Meeting,
)
from nextpractice.reviews.models import Feedback, ReviewRequest
from nextpractice.support import services as support
from nextpractice.support.models import Event, HelpReply, HelpRequest, Participation, Success

from .conftest import Cast, client_for, make_meeting

TZ = timezone.get_current_timezone()


def propose(cast: Cast, title: str = "Every child has a turn to compete", **kw: Any) -> Aim:
    fields = {
        "title": title,
        "why": "Children who rarely get picked for a team, in every setting.",
        "how_we_know": "Each setting counts first-timers.",
        "review_on": None,
        **kw,
    }
    return aims.propose_aim(cast.cluster, cast.alice, **fields)


def aim_post(**kw: Any) -> dict[str, Any]:
    return {
        "title": "Every child has a turn to compete",
        "why": "Children who are rarely picked.",
        "how_we_know": "Counts of first-timers.",
        "review_on": "",
        **kw,
    }


def backdate(cluster: Cluster, years: int) -> None:
    """The cluster was formed ``years`` academic years ago (the chooser offers them)."""
    Cluster.objects.filter(pk=cluster.pk).update(
        created_at=timezone.now() - dt.timedelta(days=366 * years)
    )


# --- Aims: the services ------------------------------------------------------------------


def test_it_records_who_proposed_an_aim_in_the_activity_log(cast: Cast) -> None:
    aim = propose(cast)
    assert aim.is_open and aim.proposed_by == cast.alice
    entry = AuditEntry.objects.unscoped().get(verb="aim.proposed")
    assert entry.cluster_id == cast.cluster.pk
    assert "Alice Archer proposed the aim" in entry.summary


def test_a_cluster_works_on_six_aims_at_most(cast: Cast) -> None:
    for i in range(Aim.MAX_OPEN):
        propose(cast, f"Aim number {i}")
    with pytest.raises(aims.AimError, match="6 aims already"):
        propose(cast, "One too many")
    assert Aim.objects.unscoped().count() == Aim.MAX_OPEN
    # Closing one makes room; taking it up again when full is refused.
    first = Aim.objects.unscoped().first()
    assert first is not None
    aims.change_aim(first, cast.bob, status=AimStatus.ACHIEVED, reflection="Done well")
    propose(cast, "Now there is room")
    with pytest.raises(aims.AimError):
        aims.change_aim(first, cast.bob, status=AimStatus.WORKING)


def test_closing_an_aim_asks_how_it_went_and_is_audited(cast: Cast) -> None:
    aim = propose(cast)
    with pytest.raises(aims.AimError, match="how it went"):
        aims.change_aim(aim, cast.bob, status=AimStatus.SET_ASIDE, reflection="  ")
    aim.refresh_from_db()
    assert aim.is_open and aim.closed_at is None
    assert aims.change_aim(
        aim, cast.bob, status=AimStatus.ACHIEVED, reflection="Forty children ran"
    )
    aim.refresh_from_db()
    assert aim.status == AimStatus.ACHIEVED and aim.closed_at is not None
    entry = AuditEntry.objects.unscoped().get(verb="aim.achieved")
    assert entry.summary.startswith("Bob Baker marked the aim")
    # Saving it again unchanged changes nothing and records nothing.
    assert not aims.change_aim(
        aim, cast.bob, status=AimStatus.ACHIEVED, reflection="Forty children ran"
    )
    assert AuditEntry.objects.unscoped().filter(verb__startswith="aim.").count() == 2


def test_the_form_says_no_data_about_individual_children() -> None:
    form = AimForm(closing=True)
    assert "never one child" in form.fields["why"].help_text
    assert "never one child" in form.fields["reflection"].help_text


@pytest.mark.parametrize(
    ("review_on", "message"),
    [
        ("2001-01-01", "today or a day ahead"),
        ("9999-12-31", "within the next 3 years"),
        ("31/02/2027", "Enter a valid date"),
        ("²", "Enter a valid date"),
    ],
)
def test_a_bad_review_date_is_refused_with_a_reason(
    cast: Cast, review_on: str, message: str
) -> None:
    response = client_for(cast.alice).post(
        reverse("cluster_aim_new", args=[cast.cluster.pk]), aim_post(review_on=review_on)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Aim.objects.unscoped().exists()


# --- Aims: the pages --------------------------------------------------------------------


def test_any_member_proposes_an_aim_and_it_shows_on_the_cluster_page(cast: Cast) -> None:
    bob = client_for(cast.bob)
    review = timezone.localdate() + dt.timedelta(days=10)
    response = bob.post(
        reverse("cluster_aim_new", args=[cast.cluster.pk]),
        aim_post(review_on=review.isoformat()),
    )
    assert response.status_code == 302
    aim = Aim.objects.unscoped().get()
    assert aim.proposed_by == cast.bob and aim.review_on == review
    page = client_for(cast.alice).get(reverse("cluster_detail", args=[cast.cluster.pk]))
    assert "Every child has a turn to compete" in page.content.decode()
    assert "Our aims for our children" in page.content.decode()


def test_a_member_closes_an_aim_from_its_page(cast: Cast) -> None:
    aim = propose(cast)
    url = reverse("cluster_aim_edit", args=[cast.cluster.pk, aim.pk])
    fay = client_for(cast.fay)  # the facilitator too: the aims are the cluster's
    refused = fay.post(url, aim_post(status="achieved", reflection=""))
    assert "how it went" in refused.content.decode()
    done = fay.post(url, aim_post(status="achieved", reflection="Every child ran"))
    assert done.status_code == 302
    aim.refresh_from_db()
    assert aim.status == AimStatus.ACHIEVED
    listing = client_for(cast.alice).get(reverse("cluster_aims", args=[cast.cluster.pk]))
    assert "Achieved or set aside" in listing.content.decode()
    assert "Every child ran" in listing.content.decode()


@pytest.mark.parametrize("who", ["oscar", "cora", "rita", "newbie"])
def test_nobody_outside_changes_or_reads_an_aim(cast: Cast, who: str) -> None:
    aim = propose(cast)
    client = client_for(getattr(cast, who))
    urls = [
        reverse("cluster_aims", args=[cast.cluster.pk]),
        reverse("cluster_aim_edit", args=[cast.cluster.pk, aim.pk]),
        reverse("cluster_our_year", args=[cast.cluster.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code in {403, 404}
    post = client.post(urls[1], aim_post(title="Hijacked"))
    assert post.status_code in {403, 404}
    new = client.post(reverse("cluster_aim_new", args=[cast.cluster.pk]), aim_post())
    assert new.status_code in {403, 404}
    aim.refresh_from_db()
    assert aim.title == "Every child has a turn to compete"
    assert Aim.objects.unscoped().count() == 1


def test_an_aim_of_another_cluster_is_not_found(cast: Cast) -> None:
    other = aims.propose_aim(
        cast.other_cluster,
        cast.oscar,
        title="Hilltop's aim",
        why="x",
        how_we_know="y",
        review_on=None,
    )
    response = client_for(cast.alice).get(
        reverse("cluster_aim_edit", args=[cast.cluster.pk, other.pk])
    )
    assert response.status_code == 404


# --- Aims on the agenda, and successes that served one -----------------------------------


def test_an_aim_due_for_review_joins_the_next_meeting_until_reviewed(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=14))
    aim = propose(cast, review_on=timezone.localdate() + dt.timedelta(days=7))
    later = propose(cast, "Not yet", review_on=timezone.localdate() + dt.timedelta(days=60))
    url = reverse("meeting_detail", args=[meeting.pk])
    body = client_for(cast.bob).get(url).content.decode()
    assert "Our aims to look at again" in body and aim.title in body
    assert later.title not in body
    assert [a.pk for a in aims.due_for_review(meeting)] == [aim.pk]
    aims.change_aim(aim, cast.bob, status=AimStatus.ACHIEVED, reflection="Done")
    assert "Our aims to look at again" not in client_for(cast.bob).get(url).content.decode()


def test_the_agenda_email_names_the_aims_to_look_at_again(cast: Cast) -> None:
    make_meeting(cast.cluster, dt.timedelta(days=20))
    propose(cast, review_on=timezone.localdate() + dt.timedelta(days=10))
    now = timezone.now()
    assert meeting_services.send_due_meeting_emails(now + dt.timedelta(days=17, hours=1)) == 1
    agenda = OutboundEmail.objects.get(to=cast.bob.email, subject__startswith="Agenda:")
    assert "Our aims to look at again:\n   - Every child has a turn to compete" in agenda.body


def test_the_aims_page_costs_the_same_for_one_aim_and_many(cast: Cast) -> None:
    client = client_for(cast.alice)
    url = reverse("cluster_aims", args=[cast.cluster.pk])

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    propose(cast)
    one = count()
    for i in range(40):
        aim = propose(cast, f"Aim {i}")
        aims.change_aim(aim, cast.bob, status=AimStatus.SET_ASIDE, reflection="Not now")
    assert count() == one


def test_a_success_can_name_the_aim_it_served(cast: Cast) -> None:
    aim = propose(cast)
    response = client_for(cast.bob).post(
        reverse("successes", args=[cast.cluster.pk]),
        {"about": cast.bob.pk, "text": "Twelve first-timers ran", "related": f"aim-{aim.pk}"},
    )
    assert response.status_code == 302
    assert Success.objects.unscoped().get().aim == aim
    year = client_for(cast.alice).get(reverse("cluster_our_year", args=[cast.cluster.pk]))
    assert "Towards our aim: Every child has a turn to compete" in year.content.decode()


def test_an_event_can_name_the_aim_it_serves_and_keeps_it_when_edited(cast: Cast) -> None:
    from .test_events import edit_form
    from .test_support import event_form

    aim = propose(cast)
    theirs = aims.propose_aim(
        cast.other_cluster,
        cast.oscar,
        title="Hilltop's aim",
        why="x",
        how_we_know="y",
        review_on=None,
    )
    alice = client_for(cast.alice)
    url = reverse("event_list", args=[cast.cluster.pk])
    refused = alice.post(url, event_form(cast, served_aim=theirs.pk))
    assert refused.status_code == 400 and not Event.objects.unscoped().exists()
    assert alice.post(url, event_form(cast, served_aim=aim.pk)).status_code == 302
    event = Event.objects.unscoped().get()
    assert event.served_aim == aim
    detail = alice.get(reverse("event_detail", args=[event.pk])).content.decode()
    assert "Serves our aim" in detail and aim.title in detail
    # Closed since, the aim stays the event's through an edit of its title.
    aims.change_aim(aim, cast.bob, status=AimStatus.ACHIEVED, reflection="Done")
    edit = alice.post(
        reverse("event_edit", args=[event.pk]),
        edit_form(
            event,
            title="Cluster sports day 2",
            host_setting=event.host_setting_id,
            served_aim=aim.pk,
        ),
    )
    assert edit.status_code == 302
    event.refresh_from_db()
    assert event.title == "Cluster sports day 2" and event.served_aim == aim
    year = alice.get(reverse("cluster_our_year", args=[cast.cluster.pk])).content.decode()
    assert f"towards our aim: {aim.title}" in year


# --- Our year -----------------------------------------------------------------------------


def at(day: dt.date, hour: int = 15) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def last_year_with_a_term_each(cast: Cast) -> Year:
    """Last academic year: a meeting each term (register taken), successes, an event."""
    backdate(cast.cluster, 2)
    year = Year(Year.of(timezone.localdate()).start_year - 1)
    days = {
        "autumn": dt.date(year.start_year, 10, 14),
        "spring": dt.date(year.start_year + 1, 2, 10),
        "summer": dt.date(year.start_year + 1, 5, 19),
    }
    for term, day in days.items():
        meeting = make_meeting(cast.cluster, at(day))
        Attendance.objects.create(meeting=meeting, member=cast.alice, mark=Mark.ATTENDED)
        Attendance.objects.create(meeting=meeting, member=cast.bob, mark=Mark.APOLOGIES)
        Meeting.objects.filter(pk=meeting.pk).update(register_taken_at=at(day, 17))
        Success.objects.create(
            cluster=cast.cluster,
            author=cast.alice,
            about=cast.alice,
            text=f"A **{term}** success",
            created_at=at(day, 18),
        )
    Event.objects.create(
        cluster=cast.cluster,
        kind="sports",
        title="Cluster sports day",
        starts_at=at(days["summer"]),
        ends_at=at(days["summer"], 17),
        for_children=True,
    )
    return year


def test_our_year_tells_the_year_term_by_term(cast: Cast) -> None:
    year = last_year_with_a_term_each(cast)
    response = client_for(cast.bob).get(
        reverse("cluster_our_year", args=[cast.cluster.pk]), {"year": year.start_year}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f"Our year: {year.name}" in body
    autumn, spring, summer = (body.index(f"{t} term") for t in ("Autumn", "Spring", "Summer"))
    assert autumn < body.index("autumn</strong> success") < spring
    assert spring < body.index("spring</strong> success") < summer
    assert summer < body.index("Cluster sports day")
    # Attendance as counts, never names; the glance counts the cluster's, ranking nobody.
    assert body.count("1 person there, 1 apology") == 3
    assert "3 meetings held" in body and "3 successes recorded" in body
    assert "1 event, 1 for the children" in body
    main = body[body.index("<main") : body.index("</main>")]
    assert "Alice Archer" not in main and "Bob Baker" not in main
    assert "most" not in main.lower().replace("almost", "")
    # The print stylesheet goes with the page.
    assert 'media="print"' in body and "our-year.print.css" in body


def test_the_year_chooser_links_each_year_and_refuses_others_calmly(cast: Cast) -> None:
    backdate(cast.cluster, 2)
    this = Year.of(timezone.localdate())
    url = reverse("cluster_our_year", args=[cast.cluster.pk])
    client = client_for(cast.alice)
    body = client.get(url).content.decode()
    assert f"Our year: {this.name}" in body
    assert f'href="?year={this.start_year - 1}"' in body
    # This year's later terms are still to come; last year's empty ones hold nothing.
    summer_begun = timezone.localdate() >= this.term_starts("summer")
    assert ("Still to come." in body) != summer_begun
    last = client.get(url, {"year": this.start_year - 1}).content.decode()
    assert "Still to come." not in last and "Nothing recorded for this term." in last
    for bad in ["1999", "2101", "abc", "²", "99999999999999999999"]:
        response = client.get(url, {"year": bad}, follow=True)
        assert response.status_code == 200
        assert f"Our year: {this.name}" in response.content.decode()
    future = client.get(url, {"year": this.start_year + 3})
    assert f"Our year: {this.name}" in future.content.decode()
    assert "has no story for" in future.content.decode()


def test_the_facilitator_counts_only_the_help_she_was_asked_for(cast: Cast) -> None:
    support.ask_for_help(cast.cluster, cast.alice, "Inspection tomorrow", "Help", [], "week")
    url = reverse("cluster_our_year", args=[cast.cluster.pk])
    assert "Help asked for 1 time" in client_for(cast.bob).get(url).content.decode()
    assert "No help asked for" in client_for(cast.fay).get(url).content.decode()


def big_year(cast: Cast, n: int) -> None:
    """``n`` of everything the year holds, spread over this academic year so far."""
    start = Year.of(timezone.localdate()).first_day
    span = max((timezone.localdate() - start).days, 1)

    def moment(i: int) -> dt.datetime:
        return at(start + dt.timedelta(days=i * span // (n + 1)), 10 + i % 6)

    meetings = [make_meeting(cast.cluster, moment(i)) for i in range(n)]
    Attendance.objects.bulk_create(
        Attendance(meeting=m, member=u, mark=Mark.ATTENDED)
        for m in meetings
        for u in (cast.alice, cast.bob)
    )
    Action.objects.bulk_create(
        Action(
            cluster=cast.cluster,
            meeting=meetings[i],
            title=f"Action {i}",
            status=ActionStatus.DONE,
            closed_at=moment(i),
        )
        for i in range(n)
    )
    Success.objects.bulk_create(
        Success(
            cluster=cast.cluster,
            author=cast.bob,
            about=cast.bob,
            text=f"S {i}",
            created_at=moment(i),
        )
        for i in range(n * 3)
    )
    events = Event.objects.bulk_create(
        Event(
            cluster=cast.cluster,
            kind="sports",
            title=f"Event {i}",
            starts_at=moment(i),
            ends_at=moment(i) + dt.timedelta(hours=2),
            for_children=True,
        )
        for i in range(n)
    )
    Participation.objects.bulk_create(
        Participation(event=e, setting=cast.alice.profile.setting, children=30) for e in events
    )
    requests = HelpRequest.objects.bulk_create(
        HelpRequest(
            cluster=cast.cluster,
            requester=cast.alice,
            title=f"H {i}",
            what_happened="x",
            created_at=moment(i),
        )
        for i in range(n)
    )
    HelpReply.objects.bulk_create(
        HelpReply(request=r, author=cast.bob, text="y", created_at=r.created_at) for r in requests
    )
    reviews = ReviewRequest.objects.bulk_create(
        ReviewRequest(
            cluster=cast.cluster,
            requester=cast.alice,
            kind=kind,
            title=f"R {i}",
            feedback_by=dt.date(2030, 1, 1),
            whole_cluster=True,
            created_at=moment(i),
            walk_starts_at=moment(i) if kind == "walk" else None,
        )
        for i in range(n)
        for kind in ("document", "walk")
    )
    Feedback.objects.bulk_create(
        Feedback(request=r, reviewer=cast.bob, submitted_at=moment(0)) for r in reviews
    )
    for i in range(min(n, Aim.MAX_OPEN) - Aim.objects.unscoped().open().count()):
        propose(cast, f"Aim {n} {i}")


def queries_for_the_year(cast: Cast) -> tuple[int, str]:
    client = client_for(cast.bob)
    url = reverse("cluster_our_year", args=[cast.cluster.pk])
    client.get(url)  # sessions, caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


#: The page's queries: the session and person (2), the membership (1), the messages and the
#: header (0-2), then one or two for each of the eight sources.
YEAR_BUDGET = 18


def test_our_year_costs_the_same_for_a_quiet_year_and_a_busy_one(cast: Cast) -> None:
    big_year(cast, 2)
    quiet, _ = queries_for_the_year(cast)
    big_year(cast, 80)
    busy, body = queries_for_the_year(cast)
    assert busy == quiet, f"{quiet} queries for a quiet year, {busy} for a busy one"
    assert busy <= YEAR_BUDGET
    # A busy year's successes come a page at a time: the rest is a count and a link.
    assert "more not shown here" in body
    assert len(body) < 200_000


def test_the_cluster_page_shows_open_aims_in_one_query(cast: Cast) -> None:
    for i in range(3):
        propose(cast, f"Aim {i}")
    client = client_for(cast.alice)
    url = reverse("cluster_detail", args=[cast.cluster.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(url).content.decode()
    assert all(f"Aim {i}" in body for i in range(3))
    assert sum("clusters_aim" in q["sql"] for q in ctx.captured_queries) == 1


def test_the_demo_gives_each_active_cluster_two_aims(cast: Cast) -> None:
    from nextpractice.clusters import demo

    demo.build([cast.cluster])
    assert Aim.objects.unscoped().filter(cluster=cast.cluster).open().count() == 2


def test_a_register_taken_at_a_meeting_counts_in_the_year(cast: Cast) -> None:
    # The year counts the marks the register writes: the same marks, from the service.
    meeting = make_meeting(cast.cluster, dt.timedelta(minutes=-30))
    meeting_services.take_register(meeting, cast.alice, {cast.alice.pk: Mark.ATTENDED})
    url = reverse("cluster_our_year", args=[cast.cluster.pk])
    assert "1 person there" in client_for(cast.bob).get(url).content.decode()
