"""A request reads the person's clusters once (core.scoping.remembering), and never stale.

Pages filter cluster content on the ids of the person's clusters once the request has read
their memberships, instead of a membership subquery in every query. These tests hold the
two forms to the same answer, for every role, and show that joining, leaving, agreeing or a
rolled-back change in the same request is never read from a stale memory.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from nextpractice.clusters import services as cluster_services
from nextpractice.clusters.models import Membership, current_memberships
from nextpractice.core.models import Kind, Notification
from nextpractice.core.scoping import remembered, remembering
from nextpractice.directory.models import Setting, SettingKind
from nextpractice.meetings.models import AgendaItem, Attendance, Meeting, Response
from nextpractice.reviews.models import ReviewKind, ReviewRequest
from nextpractice.support.models import HelpRequest, Urgency

from .conftest import Cast, client_for, make_meeting


def test_it_computes_once_within_a_request_and_every_time_outside(db: Any) -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert remembered("k", compute) == 1 and remembered("k", compute) == 2
    with remembering():
        assert remembered("k", compute) == 3
        assert remembered("k", compute) == 3
    assert remembered("k", compute) == 4


def test_it_forgets_on_any_write_and_keeps_nothing_inside_a_transaction(cast: Cast) -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    with remembering():
        assert remembered("k", compute) == 1
        cast.area.name = "Southbridge"
        cast.area.save()  # an UPDATE: whatever was remembered may be out of date
        assert remembered("k", compute) == 2
        with transaction.atomic():
            assert remembered("k", compute) == 3
            assert remembered("k", compute) == 4
        # Opening the transaction (a savepoint) counted as a write: read afresh, then kept.
        assert remembered("k", compute) == 5
        assert remembered("k", compute) == 5


def scoped_reads(user: Any, riverside: int = 0) -> dict[str, set[int]]:
    return {
        "riverside meetings": set(
            Meeting.objects.in_cluster(user, riverside).values_list("pk", flat=True)
        ),
        "riverside items": set(
            AgendaItem.objects.in_clusters(user, [riverside]).values_list("pk", flat=True)
        ),
        "meetings": set(Meeting.objects.visible_to(user).values_list("pk", flat=True)),
        "items": set(AgendaItem.objects.visible_to(user).values_list("pk", flat=True)),
        "help": set(HelpRequest.objects.visible_to(user).values_list("pk", flat=True)),
        "reviews": set(ReviewRequest.objects.visible_to(user).values_list("pk", flat=True)),
        "notices": set(Notification.objects.visible_to(user).values_list("pk", flat=True)),
        "fellows": set(Membership.objects.visible_to(user).values_list("pk", flat=True)),
    }


def test_the_ids_and_the_subquery_read_the_same_for_every_role(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=3))
    other = make_meeting(cast.other_cluster, dt.timedelta(days=4))
    AgendaItem.objects.create(meeting=meeting, title="Phonics", raised_by=cast.alice)
    AgendaItem.objects.create(meeting=other, title="Outdoor play", raised_by=cast.oscar)
    # Oscar deputises for Bob at Riverside's meeting: he reads that one meeting too.
    Attendance.objects.create(
        meeting=meeting, member=cast.bob, response=Response.DEPUTY, deputy=cast.oscar
    )
    for cluster, who in [(cast.cluster, cast.bob), (cast.other_cluster, cast.oscar)]:
        HelpRequest.objects.create(
            cluster=cluster, requester=who, title="Staffing", urgency=Urgency.URGENT
        )
    HelpRequest.objects.create(
        cluster=cast.cluster, requester=cast.bob, title="To Fay too", to_facilitator=True
    )
    ReviewRequest.objects.create(
        cluster=cast.cluster,
        requester=cast.bob,
        kind=ReviewKind.WEBSITE,
        title="Our website",
        whole_cluster=True,
        feedback_by=timezone.localdate() + dt.timedelta(days=7),
    )
    Notification.objects.create(user=cast.alice, cluster=cast.cluster, kind=Kind.NOTES, text="x")
    people = [cast.alice, cast.bob, cast.fay, cast.oscar, cast.cora, cast.rita, cast.newbie]
    for person in people:
        expected = scoped_reads(person, cast.cluster.pk)
        with remembering():
            current_memberships(person)  # as a page does first: the ids are then used
            assert scoped_reads(person, cast.cluster.pk) == expected, person
    assert scoped_reads(cast.oscar)["meetings"] == {meeting.pk, other.pk}
    # Oscar is no member of Riverside: its one meeting he deputises at is all he reads there.
    assert scoped_reads(cast.oscar, cast.cluster.pk)["riverside meetings"] == {meeting.pk}
    assert scoped_reads(cast.fay)["help"] and scoped_reads(cast.newbie, cast.cluster.pk) == {
        "riverside meetings": set(),
        "riverside items": set(),
        "meetings": set(),
        "items": set(),
        "help": set(),
        "reviews": set(),
        "notices": set(),
        "fellows": set(),
    }


def test_leaving_in_the_same_request_reads_nothing_more_of_the_cluster(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=3))
    with remembering():
        (membership,) = current_memberships(cast.bob)
        assert list(Meeting.objects.visible_to(cast.bob)) == [meeting]
        cluster_services.leave(membership)
        assert not Meeting.objects.visible_to(cast.bob).exists()
        assert current_memberships(cast.bob) == []


def test_agreeing_in_the_same_request_opens_the_cluster(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=3))
    with remembering():
        (membership,) = current_memberships(cast.newbie)
        assert not Meeting.objects.visible_to(cast.newbie).exists()
        cluster_services.agree_ground_rules(membership)
        assert list(Meeting.objects.visible_to(cast.newbie)) == [meeting]


def test_a_rolled_back_change_leaves_nothing_remembered(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, dt.timedelta(days=3))

    def join_then_fail() -> None:
        with transaction.atomic():
            Membership.objects.create(
                cluster=cast.cluster,
                user=cast.oscar,
                ground_rules_agreed_at=timezone.now(),
                ground_rules_agreed_version=1,
            )
            assert meeting in Meeting.objects.visible_to(cast.oscar)
            raise RuntimeError("the change fails")

    with remembering():
        current_memberships(cast.oscar)
        with pytest.raises(RuntimeError):
            join_then_fail()
        assert meeting not in Meeting.objects.visible_to(cast.oscar)
        assert [m.cluster for m in current_memberships(cast.oscar)] == [cast.other_cluster]


def test_a_page_reads_cluster_content_by_the_clusters_ids(cast: Cast) -> None:
    make_meeting(cast.cluster, dt.timedelta(days=3))
    client = client_for(cast.alice)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("cluster_detail", args=[cast.cluster.pk])).status_code == 200
    # The person's memberships are read (once, kept for the request), and no read of the
    # cluster's content then asks the membership subquery again.
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert any(s.startswith('SELECT "clusters_membership"."id"') for s in sqls)
    subqueries = [s for s in sqls if 'IN (SELECT U0."cluster_id"' in s]
    assert not subqueries, "\n\n".join(subqueries)


def test_the_area_directory_stays_under_40_kb_with_many_settings(cast: Cast) -> None:
    Setting.objects.bulk_create(
        [
            Setting(
                name=f"A setting with a longer name, number {n}",
                kind=SettingKind.PRIMARY,
                area=cast.area,
                urn=f"2{n:05}",
                postcode="BD1 1AA",
            )
            for n in range(200)
        ]
    )
    page = client_for(cast.cora).get(reverse("area_directory", args=[cast.area.pk]))
    assert page.status_code == 200
    assert len(page.content) < 40 * 1024
