"""Starting, joining, leaving and removing: the life of a cluster's membership."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from nextpractice.accounts.models import Invitation
from nextpractice.audit.models import AuditEntry
from nextpractice.clusters import services
from nextpractice.clusters.models import Cluster, Membership, RemovalProposal, Role
from nextpractice.core.models import OutboundEmail

from .conftest import Cast, client_for, make_person


def test_any_leader_can_start_a_cluster_and_is_its_first_member(cast: Cast) -> None:
    client = client_for(cast.oscar)
    response = client.post(reverse("cluster_new"), {"name": "Canal side", "area": cast.area.pk})
    cluster = Cluster.objects.get(name="Canal side")
    assert response.status_code == 302 and response["Location"] == f"/clusters/{cluster.pk}/"
    membership = cluster.memberships.get()
    assert membership.user == cast.oscar and membership.has_agreed


def test_starting_a_cluster_without_a_name_shows_the_error_inline(cast: Cast) -> None:
    response = client_for(cast.oscar).post(
        reverse("cluster_new"), {"name": "", "area": cast.area.pk}
    )
    assert response.status_code == 200
    assert b"There is a problem" in response.content
    assert b"govuk-form-group--error" in response.content
    assert Cluster.objects.count() == 2


def test_a_member_invites_by_email_and_the_invitation_is_queued(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        reverse("cluster_invite", args=[cast.cluster.pk]),
        {"email": "Priya@Example.test", "role": "member", "message": "Join us, Priya!"},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="priya@example.test")
    assert invitation.cluster == cast.cluster and invitation.is_open
    email = OutboundEmail.objects.get(to="priya@example.test")
    assert "Alice Archer invites you to join Riverside" in email.subject
    assert "/join/" in email.body and "Join us, Priya!" in email.body
    assert AuditEntry.objects.filter(cluster=cast.cluster, verb="invitation.sent").exists()


def test_a_cluster_cannot_grow_past_its_area_maximum(cast: Cast) -> None:
    cast.area.max_cluster_size = 4  # Alice, Bob and Nina are members; Fay facilitates
    cast.area.save()
    services.invite(cast.cluster, cast.alice, "one@example.test")
    with pytest.raises(services.ClusterError, match="at most 4 members"):
        services.invite(cast.cluster, cast.alice, "two@example.test")
    # A facilitator does not take a member's place.
    services.invite(cast.cluster, cast.alice, "adviser@example.test", role=Role.FACILITATOR)


def test_the_same_person_cannot_be_invited_twice(cast: Cast) -> None:
    services.invite(cast.cluster, cast.alice, "priya@example.test")
    with pytest.raises(services.ClusterError, match="already been invited"):
        services.invite(cast.cluster, cast.bob, "PRIYA@example.test")
    with pytest.raises(services.ClusterError, match="already in this cluster"):
        services.invite(cast.cluster, cast.bob, cast.oscar.email.replace("oscar", "bob"))


def test_the_cluster_warns_when_below_its_minimum(cast: Cast) -> None:
    response = client_for(cast.alice).get(reverse("cluster_detail", args=[cast.cluster.pk]))
    assert b"This cluster has 3 members" in response.content
    cast.area.min_cluster_size = 3
    cast.area.save()
    response = client_for(cast.alice).get(reverse("cluster_detail", args=[cast.cluster.pk]))
    assert b"This cluster has 3 members" not in response.content


def test_no_one_sees_cluster_content_before_agreeing_the_ground_rules(cast: Cast) -> None:
    client = client_for(cast.newbie)
    page = client.get(reverse("cluster_detail", args=[cast.cluster.pk]))
    assert b"Our ground rules" in page.content and b"I agree to these ground rules" in page.content
    assert b"Bob Baker" not in page.content
    assert client.get(reverse("cluster_activity", args=[cast.cluster.pk])).status_code == 403
    client.post(reverse("cluster_agree", args=[cast.cluster.pk]), {"agree": "yes"})
    page = client.get(reverse("cluster_detail", args=[cast.cluster.pk]))
    assert b"Bob Baker" in page.content and b"07700 900111" in page.content


def test_agreeing_needs_the_box_ticked(cast: Cast) -> None:
    client_for(cast.newbie).post(reverse("cluster_agree", args=[cast.cluster.pk]), {})
    assert not Membership.objects.get(user=cast.newbie).has_agreed


def test_changing_the_ground_rules_asks_everyone_else_again(cast: Cast) -> None:
    client = client_for(cast.alice)
    client.post(
        reverse("cluster_ground_rules", args=[cast.cluster.pk]),
        {"ground_rules": "We keep confidences. We challenge ideas, not people."},
    )
    assert Membership.objects.get(user=cast.alice).has_agreed
    assert not Membership.objects.get(user=cast.bob).has_agreed
    page = client_for(cast.bob).get(reverse("cluster_detail", args=[cast.cluster.pk]))
    assert b"have changed since you agreed" in page.content
    told = set(
        OutboundEmail.objects.filter(subject__contains="ground rules of Riverside").values_list(
            "to", flat=True
        )
    )
    assert told == {"bob@example.test", "fay@example.test", "nina@example.test"}


def test_a_member_can_leave_and_loses_access(cast: Cast) -> None:
    client = client_for(cast.bob)
    client.post(reverse("cluster_leave", args=[cast.cluster.pk]))
    assert client.get(reverse("cluster_detail", args=[cast.cluster.pk])).status_code == 404
    assert AuditEntry.objects.filter(verb="membership.left", cluster=cast.cluster).exists()


def test_removal_needs_more_than_half_of_the_other_members(cast: Cast, db: Any) -> None:
    # Members other than Bob: Alice, Fay (facilitator) and Nina: three, so two must agree.
    client_for(cast.alice).post(
        reverse("cluster_propose_removal", args=[cast.cluster.pk, cast.bob.pk]),
        {"reason": "Shared a member's SEF outside the cluster."},
    )
    proposal = RemovalProposal.objects.get()
    assert proposal.state == RemovalProposal.OPEN
    assert (
        client_for(cast.bob).get(reverse("cluster_detail", args=[cast.cluster.pk])).status_code
        == 200
    )
    # Bob cannot vote on his own removal.
    response = client_for(cast.bob).post(
        reverse("cluster_removal_vote", args=[cast.cluster.pk, proposal.pk]), {"agrees": "no"}
    )
    assert response.status_code == 403
    client_for(cast.fay).post(
        reverse("cluster_removal_vote", args=[cast.cluster.pk, proposal.pk]), {"agrees": "yes"}
    )
    proposal.refresh_from_db()
    assert proposal.state == RemovalProposal.CARRIED
    # Bob loses access at once and is told by email.
    assert (
        client_for(cast.bob).get(reverse("cluster_detail", args=[cast.cluster.pk])).status_code
        == 404
    )
    email = OutboundEmail.objects.get(to=cast.bob.email)
    assert "no longer a member of Riverside" in email.subject
    assert "Shared a member's SEF outside the cluster." in email.body


def test_a_disagreeing_vote_does_not_carry_a_removal(cast: Cast) -> None:
    proposal = services.propose_removal(cast.cluster, cast.alice, cast.bob, "Broke confidence.")
    services.vote(proposal, cast.fay, agrees=False)
    services.vote(proposal, cast.newbie, agrees=False)
    proposal.refresh_from_db()
    assert proposal.state == RemovalProposal.OPEN
    assert Membership.objects.filter(user=cast.bob, left_at=None).exists()


def test_a_removal_needs_a_reason(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        reverse("cluster_propose_removal", args=[cast.cluster.pk, cast.bob.pk]), {"reason": " "}
    )
    assert response.status_code == 200 and b"There is a problem" in response.content
    assert not RemovalProposal.objects.exists()


def test_members_read_the_clusters_audit_trail(cast: Cast) -> None:
    services.invite(cast.cluster, cast.alice, "priya@example.test")
    page = client_for(cast.bob).get(reverse("cluster_activity", args=[cast.cluster.pk]))
    assert b"Alice Archer invited a new member" in page.content
    other = client_for(cast.oscar).get(reverse("cluster_activity", args=[cast.cluster.pk]))
    assert other.status_code == 404


def test_home_shows_my_clusters_and_what_needs_me(cast: Cast) -> None:
    proposal = services.propose_removal(cast.cluster, cast.alice, cast.newbie, "Never came.")
    assert proposal.state == RemovalProposal.OPEN
    page = client_for(cast.bob).get("/")
    text = page.content.decode()
    assert "Riverside" in text and "Alice Archer" in text
    assert "Your vote is needed" in text
    outsider = client_for(cast.oscar).get("/").content.decode()
    assert "Riverside" not in outsider and "Alice Archer" not in outsider


def test_an_invitation_shows_on_the_invitees_home_page(cast: Cast) -> None:
    services.invite(cast.other_cluster, cast.oscar, cast.bob.email)
    page = client_for(cast.bob).get("/").content.decode()
    assert "Oscar Outsider invited you to join" in page and "Hilltop" in page


def test_a_late_joiner_is_told_if_the_cluster_filled_up(cast: Cast) -> None:
    invitation = services.invite(cast.cluster, cast.alice, "late@example.test")
    cast.area.max_cluster_size = 3
    cast.area.save()
    late = make_person("late@example.test", "Lee Late")
    with pytest.raises(services.ClusterError, match="already full"):
        services.accept(invitation, late)
    invitation.refresh_from_db()
    assert invitation.used_at is None


# --- Starting a cluster is bounded ---------------------------------------------------------


def test_only_a_leader_with_a_confirmed_setting_can_start_a_cluster(cast: Cast) -> None:
    lee = make_person("lee@example.test", "Lee Leader")  # no setting confirmed
    client = client_for(lee)
    page = client.get(reverse("cluster_new"))
    assert b"confirmed by the area&#x27;s coordinator" in page.content
    response = client.post(reverse("cluster_new"), {"name": "Mine"})
    assert response.status_code == 200 and b"There is a problem" in response.content
    assert not Cluster.objects.filter(name="Mine").exists()


def test_a_cluster_starts_in_the_area_of_its_founders_setting(cast: Cast) -> None:
    from nextpractice.directory.models import Area

    elsewhere = Area.objects.create(name="Elsewhere")
    client_for(cast.oscar).post(reverse("cluster_new"), {"name": "Canal", "area": elsewhere.pk})
    assert Cluster.objects.get(name="Canal").area == cast.area


def test_one_forming_cluster_at_a_time(cast: Cast) -> None:
    services.start_cluster(cast.oscar, "First")
    with pytest.raises(services.ClusterError, match="still forming"):
        services.start_cluster(cast.oscar, "Second")
    response = client_for(cast.oscar).post(reverse("cluster_new"), {"name": "Second"})
    assert b"still forming" in response.content
    assert not Cluster.objects.filter(name="Second").exists()


def test_a_leader_is_in_a_bounded_number_of_clusters(cast: Cast) -> None:
    for n in range(services.MAX_MEMBERSHIPS - 1):  # Alice is already in Riverside
        other = Cluster.objects.create(name=f"C{n}", area=cast.area)
        Membership.objects.create(cluster=other, user=cast.alice)
    with pytest.raises(services.ClusterError, match="the most one person can be in"):
        services.start_cluster(cast.alice, "One too many")
    with pytest.raises(services.ClusterError, match="the most one person can be in"):
        services.ask_to_join(cast.other_cluster, cast.alice)
    invitation, _ = Invitation.issue("alice@example.test", cluster=cast.other_cluster)
    with pytest.raises(services.ClusterError, match="the most one person can be in"):
        services.accept(invitation, cast.alice)
    assert not cast.other_cluster.memberships.filter(user=cast.alice).exists()


# --- Capabilities, asked of the access object ----------------------------------------------


def test_a_member_who_has_not_agreed_may_do_nothing_but_agree_or_leave(cast: Cast) -> None:
    proposal = services.propose_removal(cast.cluster, cast.alice, cast.bob, "Broke a rule")
    join = services.ask_to_join(cast.other_cluster, cast.newbie)
    nina = client_for(cast.newbie)
    c = cast.cluster.pk
    assert nina.get(reverse("cluster_invite", args=[c])).status_code == 403
    assert nina.get(reverse("cluster_ground_rules", args=[c])).status_code == 403
    assert nina.get(reverse("cluster_activity", args=[c])).status_code == 403
    assert nina.get(reverse("cluster_propose_removal", args=[c, cast.bob.pk])).status_code == 403
    vote = reverse("cluster_removal_vote", args=[c, proposal.pk])
    assert nina.post(vote, {"agrees": "yes"}).status_code == 403
    assert nina.get(reverse("cluster_leave", args=[c])).status_code == 200
    page = nina.get(reverse("cluster_detail", args=[c])).content.decode()
    assert "Broke a rule" not in page and "Bob Baker" not in page
    assert not proposal.votes.filter(voter=cast.newbie).exists()
    # Oscar's cluster: Nina is no member there at all.
    decide = reverse("cluster_join_decide", args=[cast.other_cluster.pk, join.pk])
    assert nina.post(decide, {"accept": "yes"}).status_code == 404


def test_the_subject_of_a_proposal_is_not_offered_a_vote(cast: Cast) -> None:
    services.propose_removal(cast.cluster, cast.alice, cast.bob, "Broke a rule")
    bob = client_for(cast.bob).get(reverse("cluster_detail", args=[cast.cluster.pk]))
    assert b"I agree to remove" not in bob.content and b"The other members are deciding" in (
        bob.content
    )
    fay = client_for(cast.fay).get(reverse("cluster_detail", args=[cast.cluster.pk]))
    assert b"I agree to remove" in fay.content


def test_the_activity_page_shows_this_clusters_entries_only(cast: Cast) -> None:
    services.invite(cast.other_cluster, cast.oscar, "secret-guest@example.test")
    services.invite(cast.cluster, cast.alice, "guest@example.test")
    page = client_for(cast.alice).get(reverse("cluster_activity", args=[cast.cluster.pk]))
    assert page.content.decode().count("Oscar Outsider") == 0
    assert b"Alice Archer invited" in page.content
    services.leave(Membership.objects.of(cast.bob).current().get(cluster=cast.cluster))
    response = client_for(cast.bob).get(reverse("cluster_activity", args=[cast.cluster.pk]))
    assert response.status_code == 404


# --- Malformed input never breaks a page, and changes nothing ------------------------------

HUGE_ID = 10**20 - 1


def test_twenty_digit_ids_are_not_found(cast: Cast) -> None:
    alice = client_for(cast.alice)
    c = cast.cluster.pk
    for url in [
        f"/clusters/{HUGE_ID}/",
        f"/clusters/{c}/members/{HUGE_ID}/remove/",
        f"/clusters/{HUGE_ID}/activity/",
    ]:
        assert alice.get(url).status_code == 404, url
    for url in [
        f"/clusters/{c}/removals/{HUGE_ID}/vote/",
        f"/clusters/{c}/join-requests/{HUGE_ID}/",
        f"/clusters/{HUGE_ID}/agree/",
    ]:
        assert alice.post(url, {"agrees": "yes", "accept": "yes"}).status_code == 404, url


@pytest.mark.parametrize("bad", ["²", "\x00", "x" * 1_000_000, "yes\x00", ""])
def test_malformed_answers_change_nothing(cast: Cast, bad: str) -> None:
    proposal = services.propose_removal(cast.cluster, cast.alice, cast.newbie, "Never came")
    join = services.ask_to_join(cast.cluster, cast.oscar)
    bob = client_for(cast.bob)
    c = cast.cluster.pk
    before = AuditEntry.objects.unscoped().count()
    vote = bob.post(reverse("cluster_removal_vote", args=[c, proposal.pk]), {"agrees": bad})
    decide = bob.post(reverse("cluster_join_decide", args=[c, join.pk]), {"accept": bad})
    agree = client_for(cast.newbie).post(reverse("cluster_agree", args=[c]), {"agree": bad})
    # Refused with a message (302 back to the page), or at the door for a NUL (400).
    assert {vote.status_code, decide.status_code, agree.status_code} <= {302, 400}
    assert AuditEntry.objects.unscoped().count() == before
    join.refresh_from_db()
    assert join.state == "pending" and not proposal.votes.filter(voter=cast.bob).exists()
    assert not Membership.objects.agreed().filter(user=cast.newbie).exists()
    for form_post in [
        bob.post(reverse("cluster_ground_rules", args=[c]), {"ground_rules": bad}),
        bob.post(reverse("cluster_invite", args=[c]), {"email": bad, "role": bad}),
        bob.post(reverse("cluster_new"), {"name": bad}),
    ]:
        assert form_post.status_code in {200, 302, 400}


def test_the_cluster_page_offers_the_example_library_to_members_only(cast: Cast) -> None:
    # The library is the members' own: the facilitator is refused it, so not offered it.
    library = reverse("exemplars", args=[cast.cluster.pk]).encode()
    page = reverse("cluster_detail", args=[cast.cluster.pk])
    assert library in client_for(cast.alice).get(page).content
    assert library not in client_for(cast.fay).get(page).content
    assert client_for(cast.fay).get(library.decode()).status_code == 403
