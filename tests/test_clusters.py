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
