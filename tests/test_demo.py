"""The demo network: built the same way every time, with every part of the practice in it."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from nextpractice.accounts.models import User
from nextpractice.clusters.models import Cluster, ClusterStatus, Role
from nextpractice.core.logging import RedactFilter, redact
from nextpractice.directory.models import LeaderProfile, Setting
from nextpractice.site import demo


class Rollback(Exception):
    pass


def fingerprint() -> list[Any]:
    return list(
        Setting.objects.order_by("urn").values_list(
            "urn", "name", "kind", "latitude", "longitude", "idaci_decile", "percent_disadvantaged"
        )
    )


def build_then_roll_back() -> None:
    with transaction.atomic():
        demo.build()
        raise Rollback(fingerprint())


def test_the_demo_network_is_deterministic(db: Any) -> None:
    with pytest.raises(Rollback) as built:
        build_then_roll_back()
    first = built.value.args[0]
    assert not Setting.objects.exists()
    demo.build()
    assert fingerprint() == first


def test_the_demo_network_has_every_part_of_the_practice(db: Any) -> None:
    logins = demo.build()
    settings = Setting.objects.filter(area__name="Northbridge")
    assert settings.count() == 60
    assert len(set(settings.values_list("kind", flat=True))) == 9
    assert set(settings.values_list("idaci_decile", flat=True)) == set(range(1, 11))
    assert LeaderProfile.objects.filter(completed_at__isnull=False).count() == 60
    clusters = Cluster.objects.filter(area__name="Northbridge")
    assert clusters.count() == 10
    assert clusters.filter(status=ClusterStatus.FORMING).count() == 1
    assert clusters.filter(memberships__role=Role.FACILITATOR).distinct().count() == 3
    for cluster in clusters.exclude(status=ClusterStatus.FORMING):
        assert 4 <= cluster.member_count() <= 7
    assert User.objects.get(email=logins.coordinator).needs_second_factor
    from nextpractice.formation import services as formation
    from nextpractice.formation.models import FormationRound

    round_ = FormationRound.objects.get(area__name="Northbridge")
    assert formation.pool(round_).count() >= round_.min_size  # ready to run
    assert User.objects.get(email=logins.researcher).is_researcher
    leader = User.objects.get(email=logins.leader)
    assert leader.check_password(demo.DEMO_PASSWORD) and leader.profile.is_new_leader


def test_the_demo_command_prints_the_logins_and_keeps_data_on_rerun(
    db: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    assert "DEMO ONLY" in out and demo.DEMO_PASSWORD in out
    assert "sam.coordinator@demo.nextpractice.test" in out and demo.DEMO_TOTP_SECRET in out
    call_command("demo", no_serve=True)
    assert "already loaded" in capsys.readouterr().out
    assert Setting.objects.count() == 60


def test_invitation_tokens_never_reach_the_logs() -> None:
    assert redact('"GET /join/Xy_z-123abc/ HTTP/1.1"') == '"GET /join/[token]/ HTTP/1.1"'
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/join/secret-token/",),
        None,
    )
    RedactFilter().filter(record)
    assert "secret-token" not in record.getMessage()


def test_every_active_demo_cluster_has_its_year_of_meetings(db: Any) -> None:
    from django.utils import timezone

    from nextpractice.core.models import OutboundEmail
    from nextpractice.meetings import services as meeting_services
    from nextpractice.meetings.models import Action, Meeting, MeetingStatus
    from nextpractice.meetings.planner import academic_year_of

    demo.build()
    now = timezone.now()
    this_year = academic_year_of(timezone.localdate())
    for cluster in Cluster.objects.filter(status=ClusterStatus.ACTIVE):
        plan = cluster.year_plans.get(start_year=this_year)
        assert plan.confirmed_at is not None
        meetings = Meeting.objects.filter(cluster=cluster, status=MeetingStatus.SCHEDULED)
        held = meetings.filter(starts_at__lt=now)
        assert held.filter(notes_published_at__isnull=False).count() == held.count() >= 6
        assert held.filter(notes__isnull=False).exists()
        assert Action.objects.filter(cluster=cluster).exists()
        coming = meetings.filter(starts_at__gte=now).order_by("starts_at").first()
        if coming is not None:  # none left only in the last weeks of July
            assert coming.items.exists()
            # Open actions from the last meeting are on the next agenda already.
            assert list(meeting_services.agenda(coming)["actions_to_review"]) == list(
                Action.objects.to_review_at(coming)
            )
        record = meeting_services.attendance_record(cluster, plan)
        assert all(
            r["attended"] + r["deputised"] + r["apologies"] == held.filter(plan=plan).count()
            for r in record
        )
    assert not OutboundEmail.objects.exists()  # loading the demo sends nothing


def test_every_active_demo_cluster_has_open_and_closed_reviews_of_each_kind(db: Any) -> None:
    from nextpractice.reviews.models import Exemplar, Feedback, ReviewRequest

    demo.build()
    for cluster in Cluster.objects.filter(status=ClusterStatus.ACTIVE):
        reviews = ReviewRequest.objects.filter(cluster=cluster)
        for kind in ("document", "website", "walk"):
            assert reviews.filter(kind=kind, closed_at__isnull=True).exists()
            assert reviews.filter(kind=kind, closed_at__isnull=False).exists()
        assert (
            Feedback.objects.filter(request__cluster=cluster, submitted_at__isnull=False).count()
            >= 6
        )
        assert Exemplar.objects.filter(cluster=cluster).exists()
        for version in ReviewRequest.objects.filter(cluster=cluster, kind="document"):
            stored = version.versions.get()
            assert stored.file.read(5) == b"%PDF-"


def test_every_active_demo_cluster_has_life_between_meetings(db: Any) -> None:
    from nextpractice.support.models import (
        Event,
        Funding,
        HelpRequest,
        IdeaTrial,
        ResearchPiece,
        Success,
    )

    demo.build()
    from django.utils import timezone

    now = timezone.now()
    for cluster in Cluster.objects.filter(status=ClusterStatus.ACTIVE):
        helps = HelpRequest.objects.filter(cluster=cluster)
        assert helps.filter(resolved_at__isnull=False).exists()
        assert helps.filter(resolved_at__isnull=True).exists()
        assert Success.objects.filter(cluster=cluster).exists()
        assert ResearchPiece.objects.filter(cluster=cluster).exists()
        assert IdeaTrial.objects.filter(idea__cluster=cluster).exists()
        events = Event.objects.filter(cluster=cluster)
        assert events.filter(ends_at__lt=now).exists() and events.filter(starts_at__gt=now).exists()
        assert Funding.objects.filter(cluster=cluster).exists()


def test_the_demo_new_head_has_a_buddy_and_a_checklist(db: Any) -> None:
    from nextpractice.accounts.models import User
    from nextpractice.support.models import Buddy, NewHead
    from nextpractice.support.services import newheads

    logins = demo.build()
    priya = User.objects.get(email=logins.leader)
    new_head = NewHead.objects.unscoped().current().get(user=priya)
    assert Buddy.objects.unscoped().current().get(new_head=new_head).buddy.email == logins.fellow
    steps = newheads.checklist(new_head, priya)
    assert {s.key for s in steps if s.done} >= {"buddy", "ground_rules", "profile"}
    assert any(s.own is not None for s in steps)
