"""A formation round: the coordinator matches the area's leaders into proposed clusters,
adjusts, and publishes; each leader is invited to their cluster."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import Invitation, User
from nextpractice.clusters.models import Cluster, ClusterStatus
from nextpractice.directory.models import (
    Area,
    LeaderProfile,
    Setting,
    SettingKind,
    Topic,
    TopicChoice,
    Value,
    ValueRating,
)
from nextpractice.formation import services
from nextpractice.formation.models import FormationRound, RoundStatus

from .conftest import TOTP_SECRET, make_person


@pytest.fixture
def area_with_leaders(db: Any) -> dict[str, Any]:
    return build_area_with_leaders()


def make_round(time_limit: int = 1) -> FormationRound:
    """A round of 22 leaders ready to run (for tests that need no fixture)."""
    round_: FormationRound = build_area_with_leaders()["round"]
    FormationRound.objects.filter(pk=round_.pk).update(time_limit=time_limit)
    round_.refresh_from_db()
    return round_


def build_area_with_leaders() -> dict[str, Any]:
    from allauth.mfa.totp.internal.auth import TOTP

    rng = random.Random(4)
    area = Area.objects.create(name="Northbridge")
    sam = make_person("sam@example.test", "Sam Coordinator")
    area.coordinators.add(sam)
    TOTP.activate(sam, TOTP_SECRET)
    # The migrations' values and topics, or (after a transactional test flushed them) a few.
    for k in range(6 - Value.objects.count()):
        Value.objects.create(name=f"Value {k}")
    for k in range(8 - Topic.objects.count()):
        Topic.objects.create(name=f"Topic {k}")
    values, topics = list(Value.objects.all()), list(Topic.objects.all())
    leaders = []
    for k in range(22):
        setting = Setting.objects.create(
            name=f"Setting {k}",
            kind=SettingKind.PRIMARY,
            area=area,
            urn=f"1{k:05d}",
            latitude=None if k == 0 else 53.7 + rng.uniform(0, 0.1),
            longitude=None if k == 0 else -1.6 + rng.uniform(0, 0.1),
            idaci_decile=1 + k % 10,
        )
        user = User.objects.create_user(f"leader{k}@example.test", None, full_name=f"Leader {k}")
        profile = LeaderProfile.objects.create(
            user=user,
            setting=setting,
            years_in_leadership=k % 6,
            max_travel_km=10,
            completed_at=timezone.now(),
        )
        ValueRating.objects.bulk_create(
            [ValueRating(profile=profile, value=v, importance=rng.randint(1, 5)) for v in values]
        )
        picks = rng.sample(topics, 4)
        TopicChoice.objects.bulk_create(
            [TopicChoice(profile=profile, topic=t, kind="strength") for t in picks[:2]]
            + [TopicChoice(profile=profile, topic=t, kind="develop") for t in picks[2:]]
        )
        leaders.append(user)
    round_ = FormationRound.objects.create(
        area=area, name="Autumn 2026", created_by=sam, time_limit=1
    )
    client = Client()
    client.force_login(sam)
    return {"area": area, "sam": sam, "leaders": leaders, "round": round_, "client": client}


def run(round_: FormationRound) -> FormationRound:
    services.start(round_)
    services.run(round_.pk)  # what the worker does
    round_.refresh_from_db()
    return round_


def test_a_round_proposes_clusters_of_the_right_sizes_with_reasons(
    area_with_leaders: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    round_ = run(area_with_leaders["round"])
    assert round_.status == RoundStatus.PROPOSED and round_.progress == 1.0
    groups = services.proposal(round_)
    assert sum(len(g.members) for g in groups) == 22
    assert all(4 <= len(g.members) <= 7 for g in groups)
    assert round_.best_score > round_.random_average
    assert sum(g.score for g in groups) == pytest.approx(round_.best_score, rel=1e-6)
    page = area_with_leaders["client"].get(
        reverse("formation_round", args=[round_.area_id, round_.pk])
    )
    text = page.content.decode()
    assert "Proposed clusters" in text and "Furthest journey" in text
    assert "Travel cannot be judged for 1 leader" in text and "Leader 0" in text


def test_the_coordinator_moves_a_leader_and_locks_a_cluster(
    area_with_leaders: dict[str, Any],
) -> None:
    round_ = run(area_with_leaders["round"])
    groups = services.proposal(round_)
    source = next(g for g in groups if len(g.members) > 4)
    target = next(g for g in groups if len(g.members) < 7 and g.index != source.index)
    person = source.members[0].user_id
    client = area_with_leaders["client"]
    client.post(
        reverse("formation_move", args=[round_.area_id, round_.pk]),
        {"user": person, "group": target.index},
    )
    assert round_.placements.get(user_id=person).group == target.index
    client.post(reverse("formation_lock", args=[round_.area_id, round_.pk, target.index]))
    round_.refresh_from_db()
    assert round_.locked_groups == [target.index]
    kept = set(round_.placements.filter(group=target.index).values_list("user_id", flat=True))
    round_ = run(round_)  # re-run the rest
    assert (
        set(round_.placements.filter(group=target.index).values_list("user_id", flat=True)) == kept
    )
    with pytest.raises(services.FormationError, match="Unlock the cluster first"):
        services.move(round_, area_with_leaders["sam"], person, source.index)


def publish_through_the_summary(client: Client, round_: FormationRound) -> Any:
    """What the coordinator does: read the summary, then confirm it."""
    summary = client.get(reverse("formation_publish_confirm", args=[round_.area_id, round_.pk]))
    assert summary.status_code == 200
    return client.post(
        reverse("formation_publish", args=[round_.area_id, round_.pk]),
        {"proposal": summary.context["form"]["proposal"].value()},
        follow=True,
    )


def test_publishing_creates_forming_clusters_and_invites_everyone(
    area_with_leaders: dict[str, Any],
) -> None:
    round_ = run(area_with_leaders["round"])
    response = publish_through_the_summary(area_with_leaders["client"], round_)
    assert b"Published" in response.content
    clusters = Cluster.objects.filter(area=round_.area)
    assert clusters.count() == len(services.proposal(round_))
    assert all(c.status == ClusterStatus.FORMING for c in clusters)
    assert Invitation.objects.filter(cluster__in=clusters).count() == 22
    # The coordinator is not a member of any of them: they never see inside.
    assert not clusters.filter(memberships__user=area_with_leaders["sam"]).exists()
    with pytest.raises(services.FormationError, match="only once"):
        services.publish(round_, area_with_leaders["sam"])
    # A leader declines; the coordinator sees it.
    from nextpractice.clusters import services as cluster_services

    cluster_services.decline(Invitation.objects.get(email="leader3@example.test"))
    page = area_with_leaders["client"].get(
        reverse("formation_round", args=[round_.area_id, round_.pk])
    )
    assert b"1 declined: leader3@example.test" in page.content


def test_a_pool_too_small_is_reported_not_run(area_with_leaders: dict[str, Any]) -> None:
    round_ = area_with_leaders["round"]
    LeaderProfile.objects.exclude(
        user__email__in=["leader1@example.test", "leader2@example.test"]
    ).update(completed_at=None)
    round_ = run(round_)
    assert round_.status == RoundStatus.DRAFT
    assert "Only 2 leaders" in round_.error


def test_bad_round_settings_are_shown_inline(area_with_leaders: dict[str, Any]) -> None:
    area = area_with_leaders["area"]
    response = area_with_leaders["client"].post(
        reverse("formation_rounds", args=[area.pk]),
        {
            "name": "Spring",
            "min_size": "6",
            "max_size": "4",
            "w_values": "1",
            "w_context": "1",
            "w_complement": "1",
            "w_travel": "-2",
            "time_limit": "10",
        },
    )
    text = response.content.decode()
    assert "The largest cluster must be at least the smallest" in text
    assert "greater than or equal to 0" in text
    assert not FormationRound.objects.filter(name="Spring").exists()


def test_a_leader_who_prefers_not_to_be_with_another_never_is(
    area_with_leaders: dict[str, Any],
) -> None:
    round_ = area_with_leaders["round"]
    a, b = area_with_leaders["leaders"][1], area_with_leaders["leaders"][2]
    client = area_with_leaders["client"]
    pa, pb = a.profile.pk, b.profile.pk
    client.post(
        reverse("formation_wish", args=[round_.area_id, round_.pk]),
        {"leader": pa, "kind": "avoid", "other": pb},
    )
    assert round_.wishes.get().kind == "avoid"
    for seed in (1, 2, 3):
        round_.seed = seed
        round_.save()
        round_ = run(round_)
        assert round_.placements.get(user=a).group != round_.placements.get(user=b).group
        round_.status = RoundStatus.DRAFT
        round_.save()


def test_a_wish_needs_two_leaders_of_the_pool(area_with_leaders: dict[str, Any]) -> None:
    round_ = area_with_leaders["round"]
    a = area_with_leaders["leaders"][1]
    with pytest.raises(services.FormationError, match="two different leaders"):
        services.add_wish(round_, area_with_leaders["sam"], a.pk, a.pk, "like")
    with pytest.raises(services.FormationError, match="pool"):
        services.add_wish(
            round_, area_with_leaders["sam"], a.pk, area_with_leaders["sam"].pk, "like"
        )


def test_the_coordinator_is_told_when_experience_is_too_thin(
    area_with_leaders: dict[str, Any],
) -> None:
    round_ = area_with_leaders["round"]
    assert services.experience_note(round_, list(services.pool(round_))) == ""
    LeaderProfile.objects.update(years_in_leadership=1)
    LeaderProfile.objects.filter(user__email="leader5@example.test").update(years_in_leadership=9)
    assert "Only 1 of the 22 leaders have three or more years' experience, for 4 clusters" in (
        services.experience_note(round_, list(services.pool(round_)))
    )


def test_find_me_a_cluster_ranks_clusters_with_room_and_members_decide(
    area_with_leaders: dict[str, Any],
) -> None:
    from nextpractice.clusters.models import JoinRequest, Membership
    from nextpractice.core.models import OutboundEmail

    leaders = area_with_leaders["leaders"]
    area = area_with_leaders["area"]
    like_me, unlike_me, full = (
        Cluster.objects.create(name=n, area=area, status=ClusterStatus.ACTIVE)
        for n in ("Alike", "Different", "Full")
    )
    seeker = leaders[0]
    mine = {r.value_id: r.importance for r in seeker.profile.ratings.all()}
    for user in leaders[1:5]:
        user.profile.ratings.all().delete()
        ValueRating.objects.bulk_create(
            [ValueRating(profile=user.profile, value_id=v, importance=i) for v, i in mine.items()]
        )
        Membership.objects.create(cluster=like_me, user=user, ground_rules_agreed_version=1)
    for user in leaders[5:9]:
        user.profile.ratings.all().delete()
        ValueRating.objects.bulk_create(
            [
                ValueRating(profile=user.profile, value_id=v, importance=6 - i)
                for v, i in mine.items()
            ]
        )
        Membership.objects.create(cluster=unlike_me, user=user, ground_rules_agreed_version=1)
    for user in leaders[9:16]:
        Membership.objects.create(cluster=full, user=user, ground_rules_agreed_version=1)
    client = Client()
    client.force_login(seeker)
    page = client.get(reverse("find_cluster")).content.decode()
    assert page.index("Alike") < page.index("Different")
    assert "Full" not in page
    assert "Leader 1" not in page  # nobody inside is named before they say yes
    client.post(reverse("find_cluster"), {"cluster": like_me.pk, "message": "Hello all"})
    join = JoinRequest.objects.get(cluster=like_me, user=seeker)
    assert OutboundEmail.objects.filter(subject__contains="asks to join Alike").count() == 4
    assert client.post(reverse("find_cluster"), {"cluster": full.pk}).status_code == 404
    member = Client()
    member.force_login(leaders[2])
    cluster_page = member.get(reverse("cluster_detail", args=[like_me.pk])).content.decode()
    assert "asks to join" in cluster_page and "Hello all" in cluster_page
    member.post(reverse("cluster_join_decide", args=[like_me.pk, join.pk]), {"accept": "yes"})
    join.refresh_from_db()
    assert join.state == JoinRequest.ACCEPTED
    assert Membership.objects.filter(cluster=like_me, user=seeker, left_at=None).exists()
    assert OutboundEmail.objects.filter(to=seeker.email, subject__contains="join Alike").exists()


def test_with_an_opt_in_date_only_leaders_who_opt_in_are_matched(
    area_with_leaders: dict[str, Any],
) -> None:
    from datetime import date

    from nextpractice.core.models import OutboundEmail

    round_ = area_with_leaders["round"]
    round_.opt_in_by = date(2026, 12, 4)
    round_.save()
    assert services.pool(round_).count() == 0
    area_with_leaders["client"].post(reverse("formation_invite", args=[round_.area_id, round_.pk]))
    emails = OutboundEmail.objects.filter(subject__contains="Join a new peer-support cluster")
    assert emails.count() == 22
    assert f"/rounds/{round_.pk}/opt-in/" in emails.first().body  # type: ignore[union-attr]
    for k, user in enumerate(area_with_leaders["leaders"]):
        client = Client()
        client.force_login(user)
        page = client.get(reverse("formation_opt_in", args=[round_.pk]))
        assert b"Join a new cluster?" in page.content
        client.post(
            reverse("formation_opt_in", args=[round_.pk]), {"joining": "yes" if k < 12 else "no"}
        )
    assert services.pool(round_).count() == 12
    # A second invitation goes only to those who have not answered: nobody now.
    area_with_leaders["client"].post(reverse("formation_invite", args=[round_.area_id, round_.pk]))
    assert emails.count() == 22
    round_ = run(round_)
    assert round_.placements.count() == 12


def test_find_a_cluster_never_describes_or_locates_one_member(cast: Any) -> None:
    from nextpractice.directory.models import Setting, Value

    from .conftest import client_for, make_person

    places = {  # Oscar's setting is next door to the seeker's; Riverside's a town away
        "Setting 0": (53.90, -1.50),
        "Setting 1": (53.91, -1.52),
        "Setting 2": (53.800, -1.550),
        "Setting 3": (53.92, -1.51),
        "Setting 4": (53.801, -1.551),
    }
    for name, (lat, lon) in places.items():
        Setting.objects.filter(name=name).update(latitude=lat, longitude=lon)
    seeker = make_person("sid@example.test", "Sid Seeker", Setting.objects.get(name="Setting 4"))
    value = Value.objects.first()
    assert value is not None
    for person in (seeker, cast.oscar):
        ValueRating.objects.create(profile=person.profile, value=value, importance=5)
    page = client_for(seeker).get(reverse("find_cluster")).content.decode()
    hilltop = page[page.index("Hilltop") :]
    riverside = page[page.index("Riverside") : page.index("Hilltop")]
    # Hilltop has one member: neither their values nor where they are is told.
    assert "Too few members yet" in hilltop
    assert value.name not in hilltop and " km" not in hilltop
    # Riverside (three members) is described, its distance a band from its middle.
    assert "The middle of its members' settings is 10 to 20 km from yours" in riverside
    assert "Nearest" not in page
    assert page.index("Riverside") < page.index("Hilltop")


def test_distance_bands_are_coarse() -> None:
    assert [services.distance_band(km) for km in (0.2, 4.9, 5, 12, 19.9, 20, 300)] == [
        "within 5 km",
        "within 5 km",
        "5 to 10 km",
        "10 to 20 km",
        "10 to 20 km",
        "more than 20 km",
        "more than 20 km",
    ]


def test_another_areas_coordinator_gets_404_on_this_areas_rounds(
    area_with_leaders: dict[str, Any],
) -> None:
    from allauth.mfa.totp.internal.auth import TOTP

    from .conftest import client_for

    round_ = area_with_leaders["round"]
    elsewhere = Area.objects.create(name="Elsewhere")
    carl = make_person("carl@example.test", "Carl Coordinator")
    elsewhere.coordinators.add(carl)
    TOTP.activate(carl, TOTP_SECRET)
    cora = client_for(carl)  # coordinates Elsewhere, not this area
    a, r = round_.area_id, round_.pk
    assert cora.get(reverse("formation_rounds", args=[a])).status_code == 404
    assert cora.get(reverse("formation_round", args=[a, r])).status_code == 404
    assert cora.post(reverse("formation_run", args=[a, r])).status_code == 404
    assert cora.post(reverse("formation_publish", args=[a, r])).status_code == 404
    # Nor through her own area's address.
    assert cora.get(reverse("formation_round", args=[elsewhere.pk, r])).status_code == 404
    round_.refresh_from_db()
    assert round_.status == RoundStatus.DRAFT


@pytest.mark.parametrize("bad", ["²", "99999999999999999999", "\x00", "x" * 100_000, "-1"])
def test_malformed_formation_input_changes_nothing(
    area_with_leaders: dict[str, Any], bad: str
) -> None:
    from nextpractice.clusters.models import JoinRequest

    round_ = area_with_leaders["round"]
    client = area_with_leaders["client"]
    a, r = round_.area_id, round_.pk
    for url, data in [
        (reverse("formation_move", args=[a, r]), {"user": bad, "group": bad}),
        (reverse("formation_wish", args=[a, r]), {"leader": bad, "other": bad, "kind": bad}),
    ]:
        assert client.post(url, data).status_code == 302
    assert client.post(f"/areas/{a}/rounds/{r}/wishes/{'9' * 20}/delete/").status_code == 404
    assert client.post(f"/areas/{a}/rounds/{r}/groups/{'9' * 20}/lock/").status_code == 404
    assert client.get(f"/areas/{a}/rounds/{'9' * 20}/").status_code == 404
    assert client.post(reverse("formation_rounds", args=[a]), {"name": bad}).status_code in {
        200,
        302,
    }
    leader = Client()
    leader.force_login(area_with_leaders["leaders"][0])
    response = leader.post(reverse("find_cluster"), {"cluster": bad, "message": bad})
    assert response.status_code == 404
    assert leader.get(f"/rounds/{'9' * 20}/opt-in/").status_code == 404
    round_.refresh_from_db()
    assert round_.locked_groups == [] and not round_.wishes.exists()
    assert not JoinRequest.objects.unscoped().exists()


def test_a_running_round_cannot_be_run_twice(area_with_leaders: dict[str, Any]) -> None:
    round_ = area_with_leaders["round"]
    services.start(round_)
    with pytest.raises(services.FormationError, match="already running"):
        services.start(round_)


def test_an_unexpected_error_ends_the_run_with_a_message(
    area_with_leaders: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        name = "Leader 3"  # in the message only, where the log must not repeat it
        raise RuntimeError(f"{name} broke the search")

    monkeypatch.setattr(services, "solve", broken)
    round_ = run(area_with_leaders["round"])
    assert round_.status == RoundStatus.DRAFT and round_.finished_at is not None
    assert round_.error == services.STOPPED_UNEXPECTEDLY
    page = area_with_leaders["client"].get(
        reverse("formation_round", args=[round_.area_id, round_.pk])
    )
    assert b"The last run stopped: an unexpected error. Run it again" in page.content
    assert b"Leader 3 broke" not in page.content
    assert "RuntimeError" in caplog.text and "Leader 3" not in caplog.text  # no names in logs
    monkeypatch.undo()
    assert run(round_).status == RoundStatus.PROPOSED  # and it can be run again


def test_a_run_declared_stopped_cannot_overwrite_the_run_that_replaced_it(
    area_with_leaders: dict[str, Any], settings: Any
) -> None:
    round_ = area_with_leaders["round"]
    services.start(round_)
    first = FormationRound.objects.get(pk=round_.pk).run_number
    page = reverse("formation_round", args=[round_.area_id, round_.pk])
    assert b"The run stopped" not in area_with_leaders["client"].get(page).content
    # Nothing heard from the run for longer than the stale timeout: its worker died.
    silent = dt.timedelta(seconds=settings.FORMATION_STALE_SECONDS + 1)
    FormationRound.objects.filter(pk=round_.pk).update(heartbeat_at=timezone.now() - silent)
    text = area_with_leaders["client"].get(page).content.decode()
    assert "The run stopped before it finished; run it again." in text
    assert "Run the matching" in text and "Stopped: run it again" in text
    services.start(round_)
    services.run(round_.pk, first)  # the old run's task, picked up late: it writes nothing
    round_.refresh_from_db()
    assert round_.status == RoundStatus.RUNNING and not round_.placements.exists()
    services.run(round_.pk, first + 1)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PROPOSED and round_.placements.count() == 22


@pytest.mark.django_db(transaction=True)
def test_a_round_whose_worker_is_killed_says_so_and_runs_again(
    area_with_leaders: dict[str, Any], settings: Any, tmp_path: Any
) -> None:
    """A real worker running the round is killed (SIGKILL) mid-search; once its heartbeat
    is stale the page says the run stopped, and a new run is accepted and completes."""
    from .test_worker import start_worker, stop, wait_for

    round_, client = area_with_leaders["round"], area_with_leaders["client"]
    FormationRound.objects.filter(pk=round_.pk).update(time_limit=60)
    page = reverse("formation_round", args=[round_.area_id, round_.pk])
    client.post(reverse("formation_run", args=[round_.area_id, round_.pk]))
    worker = start_worker(tmp_path / "worker.log")
    try:
        wait_for(
            lambda: FormationRound.objects.filter(pk=round_.pk, progress__gt=0).exists(),
            120,
            "the worker never started the search",
        )
        assert b"Matching leaders" in client.get(page).content
    finally:
        worker.kill()
        worker.wait(10)
    settings.FORMATION_STALE_SECONDS = 2
    wait_for(
        lambda: FormationRound.objects.get(pk=round_.pk).run_stopped, 10, "the run never went stale"
    )
    assert b"The run stopped before it finished; run it again." in client.get(page).content
    FormationRound.objects.filter(pk=round_.pk).update(time_limit=1)
    client.post(reverse("formation_run", args=[round_.area_id, round_.pk]))
    assert FormationRound.objects.get(pk=round_.pk).run_number == 2
    again = start_worker(tmp_path / "again.log", "--batch")
    try:
        assert again.wait(120) == 0, (tmp_path / "again.log").read_text()
    finally:
        stop(again)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PROPOSED and round_.placements.count() == 22
    assert b"Proposed clusters" in client.get(page).content
