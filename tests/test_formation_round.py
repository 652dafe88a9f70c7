"""A round the coordinator can trust (issue 13): fit figures that follow every move and say
what they are made of, a poor total explained, moves around locked clusters, a publish
summary to confirm, clusters named from their place and renamed by their members, a map of
the proposal, and each invited leader told why this cluster."""

from __future__ import annotations

import random
import re
from typing import Any

import numpy as np
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from nextpractice.accounts.models import Invitation
from nextpractice.audit.models import AuditEntry
from nextpractice.clusters.models import Cluster, Membership
from nextpractice.core.models import OutboundEmail
from nextpractice.directory.models import Setting
from nextpractice.formation import fit, mapping, naming, services
from nextpractice.formation.models import FormationRound, RoundStatus
from nextpractice.formation.scoring import Leader, Weights, score_matrix

from .conftest import Cast, client_for
from .test_formation import build_area_with_leaders, publish_through_the_summary, run

# Three places of Northbridge, by compass: addresses as GIAS writes them.
PLACES = [
    ("Riverside", "NB1 2AA", 53.75, -1.60),
    ("Hilltop", "NB2 3BB", 53.80, -1.55),
    ("Ashby", "NB3 4CC", 53.70, -1.50),
]


@pytest.fixture
def placed(db: Any) -> dict[str, Any]:
    """The 22 leaders of test_formation, their settings given addresses in three places."""
    made = build_area_with_leaders()
    for k, setting in enumerate(Setting.objects.filter(area=made["area"]).order_by("pk")):
        locality, postcode, _, _ = PLACES[k % 3]
        setting.address = f"{k} High Street, {locality}, Northbridge"
        setting.postcode = postcode
        setting.save()
    return made


def round_page(made: dict[str, Any], round_: FormationRound) -> str:
    response = made["client"].get(reverse("formation_round", args=[round_.area_id, round_.pk]))
    assert response.status_code == 200
    return str(response.content.decode())


def total_on(page: str) -> float:
    found = re.search(r'data-testid="total-fit">([-\d.]+)<', page)
    assert found, "the page shows a total fit"
    return float(found.group(1))


# --- the fit, by part ------------------------------------------------------------------


def random_leaders(n: int, seed: int) -> list[Leader]:
    rng = random.Random(seed)
    values = ["Inclusion", "Curiosity", "Rigour", "Kindness"]
    topics = [f"Topic {k}" for k in range(6)]
    return [
        Leader(
            key=k,
            name=f"L{k}",
            values={v: rng.randint(1, 5) for v in values},
            strengths=frozenset(rng.sample(topics, 2)),
            develop=frozenset(rng.sample(topics, 2)),
            latitude=53.7 + rng.uniform(0, 0.3),
            longitude=-1.6 + rng.uniform(0, 0.3),
            max_travel_km=rng.choice([None, 5.0, 10.0]),
            years=rng.randint(0, 6),
            idaci_decile=rng.randint(1, 10),
            would_like=frozenset({(k + 1) % n}) if k % 4 == 0 else frozenset(),
        )
        for k in range(n)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_it_splits_a_clusters_fit_into_parts_that_add_up_to_the_engines_score(
    seed: int,
) -> None:
    group = random_leaders(7, seed)
    w = Weights(values=1.0, context=0.5, complement=0.7, travel=2.0)
    parts = fit.group_parts(group, w)
    assert parts.total == pytest.approx(float(np.triu(score_matrix(group, w), 1).sum()))
    assert parts.travel <= 0 and parts.novices <= 0 and parts.values > 0


def test_it_says_the_parts_in_words_with_a_true_minus_sign() -> None:
    words = fit.Parts(values=3.14, context=1.0, travel=-0.9).words()
    assert words == (
        "shared values +3.1, similar settings +1.0 and "
        "journeys beyond what people will travel \u22120.9"
    )


def test_it_explains_that_a_pool_of_alike_leaders_leaves_little_to_gain() -> None:
    alike = [Leader(key=k, name=f"L{k}", values={"Inclusion": 4}, years=5) for k in range(12)]
    w = Weights()
    total = sum((fit.group_parts(alike[k : k + 4], w) for k in range(0, 12, 4)), fit.Parts())
    verdict = fit.judge(total, fit.pool_pairs(alike, w), [4, 4, 4], w, locked=1, avoid=2)
    assert verdict.poor
    said = " ".join(verdict.reasons)
    assert "much alike" in said and "1 cluster is locked" in said
    assert '2 "prefers not to be with" wishes are always kept' in said


def test_it_credits_a_good_grouping_with_its_gain_over_chance() -> None:
    # Two camps who rate everything oppositely: grouping each camp together gains a lot.
    camps = [
        Leader(key=k, name=f"L{k}", values={"A": 5 if k < 6 else 1, "B": 1 if k < 6 else 5})
        for k in range(12)
    ]
    w = Weights(context=0, complement=0, travel=0, novices=0)
    total = fit.group_parts(camps[:6], w) + fit.group_parts(camps[6:], w)
    verdict = fit.judge(total, fit.pool_pairs(camps, w), [6, 6], w)
    assert not verdict.poor and verdict.gain > 10
    assert verdict.best_part == "shared values"


def test_a_large_pool_is_judged_from_a_fixed_sample_of_pairs() -> None:
    pool = random_leaders(400, 5)
    first = fit.pool_pairs(pool, Weights(), seed=3)
    assert first.sampled == fit.SAMPLE_PAIRS
    assert first == fit.pool_pairs(pool, Weights(), seed=3)  # the same on every visit


# --- names -------------------------------------------------------------------------------


def test_it_reads_the_place_from_a_gias_address() -> None:
    place = naming.place_of("1 High Street, Riverside, Northbridge", "nb3 4xy")
    assert (place.locality, place.town, place.district) == ("Riverside", "Northbridge", "NB3")
    assert naming.place_of("1 Mill Lane, Northbridge", "NB34XY").locality == ""
    assert naming.place_of("", "").town == ""


def test_clusters_are_named_after_their_commonest_locality_and_kept_unique() -> None:
    def at(locality: str, lat: float, lon: float, district: str = "NB1") -> naming.Place:
        return naming.Place(locality, "Northbridge", district, lat, lon)

    groups = {
        0: [at("Riverside", 53.8, -1.6), at("Riverside", 53.8, -1.6), at("Ashby", 53.8, -1.6)],
        # No locality shared: the town, then told apart by compass point.
        1: [at("Oak", 53.9, -1.6), at("Elm", 53.9, -1.6)],
        2: [at("Fir", 53.7, -1.6), at("Yew", 53.7, -1.6)],
        3: [at("Riverside", 53.8, -1.5), at("Riverside", 53.8, -1.5)],
    }
    names = naming.propose_names(groups, taken=["Riverside West"])
    assert names[1] == "Northbridge North" and names[2] == "Northbridge South"
    assert {names[0], names[3]} == {"Riverside West 2", "Riverside East"}
    assert len(set(names.values())) == 4


def test_a_cluster_with_no_address_is_still_named() -> None:
    names = naming.propose_names({0: [naming.Place()], 1: [naming.Place()]})
    assert names == {0: "Cluster", 1: "Cluster 2"}


# --- the map -----------------------------------------------------------------------------


def test_the_map_has_one_mark_per_setting_in_its_clusters_colour_and_shape() -> None:
    points = [
        mapping.Point(k, f"Setting {k}", k % 3, 53.7 + k * 0.01, -1.6 + (k % 5) * 0.01)
        for k in range(15)
    ]
    # Two leaders of setting 0 in the same cluster: still one mark.
    points.append(mapping.Point(0, "Setting 0", 0, 53.7, -1.6))
    drawn = mapping.draw(points, order=[2, 0, 1])
    assert sorted(m.key for m in drawn.marks) == list(range(15))
    for mark in drawn.marks:
        style = mapping.style([2, 0, 1].index(mark.group))
        assert (mark.colour, mark.shape) == (style.colour, style.shape)
        assert 0 <= mark.x <= drawn.width and 0 <= mark.y <= drawn.height
    assert [lab.number for lab in drawn.labels] == [1, 2, 3]
    assert all(j.km > 0 for j in drawn.journeys) and len(drawn.journeys) == 3


def test_no_two_of_the_first_35_clusters_look_alike() -> None:
    looks = {(s.colour, s.shape) for s in (mapping.style(k) for k in range(35))}
    assert len(looks) == 35


# --- the round's page --------------------------------------------------------------------


def marks_on(page: str) -> list[tuple[str, str, str]]:
    """(fill, setting, cluster) of each mark of the map on the page."""
    return re.findall(
        r'<path d="[^"]+" fill="(#[0-9A-F]{6})" stroke="#0b0c0c" stroke-width="1" '
        r'data-setting="(\d+)" data-cluster="(\d+)">',
        page,
    )


def test_a_move_changes_the_figures_and_the_map(placed: dict[str, Any]) -> None:
    round_ = run(placed["round"])
    page = round_page(placed, round_)
    before = total_on(page)
    groups = services.proposal(round_)
    assert before == pytest.approx(sum(g.score for g in groups), abs=0.06)
    assert "made of shared values +" in page and "would be expected to reach" in page
    # Every located setting is on the map once, in its cluster's colour.
    marks = marks_on(page)
    located = [p for g in groups for p in g.members if p.setting.latitude is not None]
    assert sorted(int(s) for _, s, _ in marks) == sorted(p.setting_id for p in located)
    colour = {str(g.index): g.style.colour for g in groups if g.style}
    assert all(fill == colour[cluster] for fill, _, cluster in marks)

    source = next(g for g in groups if len(g.members) > 4 and g.members[0].setting.latitude)
    target = next(g for g in groups if len(g.members) < 7 and g.index != source.index)
    mover = source.members[0]
    placed["client"].post(
        reverse("formation_move", args=[round_.area_id, round_.pk]),
        {"user": mover.user_id, "group": target.index},
    )
    after_page = round_page(placed, round_)
    after = total_on(after_page)
    assert after != before
    assert after == pytest.approx(sum(g.score for g in services.proposal(round_)), abs=0.06)
    moved_mark = [c for _, s, c in marks_on(after_page) if s == str(mover.setting_id)]
    assert moved_mark == [str(target.index)]


def test_locking_a_cluster_keeps_the_move_menus_for_the_others(placed: dict[str, Any]) -> None:
    round_ = run(placed["round"])
    groups = services.proposal(round_)
    locked = groups[0]
    placed["client"].post(reverse("formation_lock", args=[round_.area_id, round_.pk, locked.index]))
    page = round_page(placed, round_)
    assert "This cluster is locked: its members stay and no one joins it." in page
    for p in locked.members:
        assert f'id="move-{p.user_id}"' not in page
    other = groups[1].members[0]
    menu = re.search(rf'<select[^>]+id="move-{other.user_id}"[^>]*>(.*?)</select>', page)
    assert menu, "members of unlocked clusters can still be moved"
    offered = re.findall(r'<option value="(\d+)">', menu.group(1))
    assert offered and str(locked.index) not in offered and str(groups[1].index) not in offered
    assert sorted(offered) == sorted(str(g.index) for g in groups[2:])
    with pytest.raises(services.FormationError, match="locked cluster keeps its members"):
        services.move(round_, placed["sam"], other.user_id, locked.index)


def test_a_poor_total_is_explained_on_the_page(placed: dict[str, Any]) -> None:
    from nextpractice.directory.models import TopicChoice, ValueRating

    # Everyone alike: the same ratings, no strengths or needs, one place.
    ValueRating.objects.update(importance=4)
    TopicChoice.objects.all().delete()
    Setting.objects.update(latitude=53.75, longitude=-1.55, idaci_decile=5)
    round_ = run(placed["round"])
    page = round_page(placed, round_)
    assert "This is little better than chance. Why:" in page
    assert "much alike" in page


# --- publishing --------------------------------------------------------------------------


def test_publishing_asks_first_with_a_summary_and_sends_each_leader_why(
    placed: dict[str, Any],
) -> None:
    round_ = run(placed["round"])
    client = placed["client"]
    summary = client.get(reverse("formation_publish_confirm", args=[round_.area_id, round_.pk]))
    text = summary.content.decode()
    groups = services.proposal(round_)
    assert "Publish and send 22 invitations" in text
    assert re.search(rf"Clusters</dt><dd[^>]*>{len(groups)}, each created as forming", text)
    assert "Left out</dt><dd" in text and "No one" in text
    assert not Cluster.objects.filter(area=round_.area).exists()  # nothing happened yet

    mail.outbox.clear()
    publish_through_the_summary(client, round_)
    clusters = list(Cluster.objects.filter(area=round_.area))
    names = {c.name for c in clusters}
    assert names == {g.name for g in groups} and len(names) == len(clusters)
    assert not any("cluster 1" in n.lower() for n in names)
    # Named after a place of their settings: a locality, else the town.
    assert all(n.split()[0] in {"Riverside", "Hilltop", "Ashby", "Northbridge"} for n in names)

    emails = OutboundEmail.objects.filter(subject__contains="invites you to join")
    assert emails.count() == 22
    # Each subject names the cluster from its place.
    assert {e.subject.rsplit("invites you to join ", 1)[1] for e in emails} == names
    invitation = Invitation.objects.get(email="leader5@example.test")
    body = OutboundEmail.objects.get(to="leader5@example.test").body
    assert "Why this cluster:" in body
    assert "Your longest journey to another member's setting is" in body
    # Nothing a member did not choose to share: no one else named, no exact distance.
    others = [
        p.user.full_name
        for g in groups
        for p in g.members
        if p.user.email != "leader5@example.test"
    ]
    assert not any(name in body for name in others)
    assert not re.search(r"\d+\.\d+ km", body)

    join = Client().get(reverse("join", args=[invitation_token(invitation)]))
    assert join.status_code == 200
    assert "Why this cluster" in join.content.decode()


def invitation_token(invitation: Invitation) -> str:
    body = OutboundEmail.objects.filter(to=invitation.email).latest("pk").body
    found = re.search(r"/join/([^/\s]+)/", body)
    assert found
    return found.group(1)


def test_publishing_twice_sends_nothing_twice(placed: dict[str, Any]) -> None:
    round_ = run(placed["round"])
    client = placed["client"]
    summary = client.get(reverse("formation_publish_confirm", args=[round_.area_id, round_.pk]))
    key = summary.context["form"]["proposal"].value()
    url = reverse("formation_publish", args=[round_.area_id, round_.pk])
    client.post(url, {"proposal": key})
    second = client.post(url, {"proposal": key}, follow=True)  # the double click
    assert "already published; nothing was sent twice" in second.content.decode()
    assert Invitation.objects.filter(cluster__area=round_.area).count() == 22
    assert OutboundEmail.objects.filter(subject__contains="invites you to join").count() == 22


def test_a_summary_read_before_a_move_publishes_nothing(placed: dict[str, Any]) -> None:
    round_ = run(placed["round"])
    client = placed["client"]
    summary = client.get(reverse("formation_publish_confirm", args=[round_.area_id, round_.pk]))
    key = summary.context["form"]["proposal"].value()
    groups = services.proposal(round_)
    source = next(g for g in groups if len(g.members) > 4)
    target = next(g for g in groups if len(g.members) < 7 and g.index != source.index)
    services.move(round_, placed["sam"], source.members[0].user_id, target.index)
    response = client.post(
        reverse("formation_publish", args=[round_.area_id, round_.pk]),
        {"proposal": key},
        follow=True,
    )
    assert "changed since you read the summary" in response.content.decode()
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PROPOSED
    assert not Invitation.objects.filter(cluster__area=round_.area).exists()


@pytest.mark.parametrize("bad", [{}, {"proposal": "x" * 32}, {"proposal": "'; drop"}])
def test_a_malformed_confirmation_publishes_nothing(placed: dict[str, Any], bad: Any) -> None:
    round_ = run(placed["round"])
    response = placed["client"].post(
        reverse("formation_publish", args=[round_.area_id, round_.pk]), bad
    )
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PROPOSED
    assert not Cluster.objects.filter(area=round_.area).exists()


def test_the_summary_of_a_round_not_yet_run_says_there_is_nothing_to_publish(
    placed: dict[str, Any],
) -> None:
    round_ = placed["round"]
    page = placed["client"].get(
        reverse("formation_publish_confirm", args=[round_.area_id, round_.pk])
    )
    assert page.status_code == 200
    assert "There is no proposal to publish yet" in page.content.decode()


def test_why_you_shares_values_only_with_three_or_more_others() -> None:
    me = Leader(key=0, name="Me", values={"Kindness": 5}, develop=frozenset({"Reading"}))
    two = [
        Leader(key=k, name=f"L{k}", values={"Kindness": 5}, strengths=frozenset({"Reading"}))
        for k in (1, 2)
    ]
    said = services.why_you(me, two)
    assert not any("Kindness" in line for line in said)
    assert any("strong at Reading" in line for line in said)
    three = [*two, Leader(key=3, name="L3", values={"Kindness": 4})]
    assert any("Kindness" in line for line in services.why_you(me, three))
    assert not any("L1" in line or "L2" in line for line in services.why_you(me, three))


# --- renaming ----------------------------------------------------------------------------


def test_members_rename_their_cluster_and_everyone_sees_who(cast: Cast) -> None:
    cluster = cast.cluster
    response = client_for(cast.alice).post(
        reverse("cluster_rename", args=[cluster.pk]), {"name": "  Riverside   North "}
    )
    assert response.status_code == 302
    cluster.refresh_from_db()
    assert cluster.name == "Riverside North"
    entry = AuditEntry.objects.unscoped().get(verb="cluster.renamed")  # the test's own check
    assert entry.actor == cast.alice and entry.cluster_id == cluster.pk
    page = client_for(cast.bob).get(reverse("cluster_detail", args=[cluster.pk])).content.decode()
    assert "Named by Alice" in page and "Riverside North" in page


@pytest.mark.parametrize("bad", ["", " ", "x", "y" * 121])
def test_a_bad_name_is_refused_and_changes_nothing(cast: Cast, bad: str) -> None:
    before = cast.cluster.name
    response = client_for(cast.alice).post(
        reverse("cluster_rename", args=[cast.cluster.pk]), {"name": bad}
    )
    assert response.status_code == 200 and b"govuk-error-summary" in response.content
    cast.cluster.refresh_from_db()
    assert cast.cluster.name == before
    assert not AuditEntry.objects.unscoped().filter(verb="cluster.renamed").exists()


def test_only_agreed_members_rename(cast: Cast) -> None:
    url = reverse("cluster_rename", args=[cast.cluster.pk])
    assert client_for(cast.oscar).post(url, {"name": "Mine now"}).status_code == 404
    assert client_for(cast.cora).post(url, {"name": "Mine now"}).status_code == 404
    assert client_for(cast.newbie).post(url, {"name": "Mine now"}).status_code == 403
    cast.cluster.refresh_from_db()
    assert cast.cluster.name != "Mine now"
    assert Membership.objects.unscoped().filter(user=cast.newbie).exists()  # a member indeed


# --- queries -----------------------------------------------------------------------------

ROUND_BUDGET = {"formation_round": 24, "formation_publish_confirm": 20}


def grow_pool(made: dict[str, Any], leaders: int) -> None:
    """Add located leaders with values and topics, placed in new clusters of five."""
    from django.utils import timezone

    from nextpractice.accounts.models import User
    from nextpractice.directory.models import (
        LeaderProfile,
        SettingKind,
        Topic,
        TopicChoice,
        Value,
        ValueRating,
    )
    from nextpractice.formation.models import Placement

    round_, area = made["round"], made["area"]
    start = Setting.objects.count()
    rng = random.Random(leaders)
    settings_ = Setting.objects.bulk_create(
        [
            Setting(
                name=f"Bulk {k}",
                kind=SettingKind.DAY_NURSERY,
                area=area,
                urn=f"EY{800000 + k}",
                address=f"{k} Mill Lane, {PLACES[k % 3][0]}, Northbridge",
                postcode=PLACES[k % 3][1],
                latitude=53.7 + rng.uniform(0, 0.1),
                longitude=-1.6 + rng.uniform(0, 0.1),
            )
            for k in range(start, start + leaders)
        ]
    )
    users = User.objects.bulk_create(
        [User(email=f"bulk{s.pk}@example.test", full_name=f"Bulk {s.pk}") for s in settings_]
    )
    profiles = LeaderProfile.objects.bulk_create(
        [
            LeaderProfile(user=u, setting=s, completed_at=timezone.now(), years_in_leadership=3)
            for u, s in zip(users, settings_, strict=True)
        ]
    )
    values, topics = list(Value.objects.all()), list(Topic.objects.all())
    ValueRating.objects.bulk_create(
        [
            ValueRating(profile=p, value=v, importance=rng.randint(1, 5))
            for p in profiles
            for v in values
        ]
    )
    TopicChoice.objects.bulk_create(
        [
            TopicChoice(profile=p, topic=topics[(p.pk + k) % len(topics)], kind=kind)
            for p in profiles
            for k, kind in enumerate(["strength", "strength", "develop"])
        ]
    )
    first = max(round_.placements.values_list("group", flat=True)) + 1
    Placement.objects.bulk_create(
        [Placement(round=round_, user=u, group=first + k // 5) for k, u in enumerate(users)]
    )


def round_queries(made: dict[str, Any], round_: FormationRound) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    out = {}
    for name in ROUND_BUDGET:
        with CaptureQueriesContext(connection) as ctx:
            response = made["client"].get(reverse(name, args=[round_.area_id, round_.pk]))
        assert response.status_code == 200
        out[name] = len(ctx.captured_queries)
    return out


def test_the_round_pages_run_the_same_queries_for_22_leaders_and_for_622(
    placed: dict[str, Any],
) -> None:
    round_ = run(placed["round"])
    round_page(placed, round_)  # the first request saves the new session: not the page's
    small = round_queries(placed, round_)
    grow_pool(placed, 600)
    big = round_queries(placed, round_)
    assert big == small
    for name, count in big.items():
        assert count <= ROUND_BUDGET[name], f"{name} ran {count} queries"
    page = round_page(placed, round_)
    assert len(marks_on(page)) == 621  # every located setting: Leader 0's has no place


def test_a_large_proposal_moves_by_cluster_number_with_one_form_per_cluster(
    placed: dict[str, Any],
) -> None:
    round_ = run(placed["round"])
    grow_pool(placed, 60)  # 16 clusters: too many for a menu beside every leader
    page = round_page(placed, round_)
    assert 'id="move-from-' in page and "<select" in page
    assert not re.search(r'id="move-\d+"', page)
    groups = services.proposal(round_)
    source = next(g for g in groups if len(g.members) > 4)
    target = next(g for g in groups if len(g.members) < 7 and g.index != source.index)
    mover = source.members[0].user_id
    url = reverse("formation_move", args=[round_.area_id, round_.pk])
    placed["client"].post(url, {"user": mover, "number": target.number})
    assert round_.placements.get(user_id=mover).group == target.index
    response = placed["client"].post(url, {"user": mover, "number": 99}, follow=True)
    assert f"Choose a cluster numbered 1 to {len(groups)}" in response.content.decode()
    assert round_.placements.get(user_id=mover).group == target.index
