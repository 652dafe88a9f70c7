"""Every form on the directory, cluster, formation and invitation pages, filled with malformed
values: never a server error, and a refusal changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from nextpractice.accounts.models import Invitation
from nextpractice.clusters import services
from nextpractice.clusters.models import Cluster
from nextpractice.directory.models import Setting
from nextpractice.formation.models import FormationRound

from .conftest import Cast, client_for

MALFORMED = [
    "²",  # a digit to str.isdigit(), not to int()
    "١٢٣",  # digits of another script
    "99999999999999999999",  # past any database integer
    "-1",
    "NaN",
    "31/02/0000",
    "bad\x00text",
    "x" * 200_000,
    "<script>alert(1)</script>",
]

NAME_RE = re.compile(r'name="([a-z_0-9]+)"')


def field_names(client: Client, url: str) -> set[str]:
    page = client.get(url)
    assert page.status_code == 200, url
    return set(NAME_RE.findall(page.content.decode())) - {"csrfmiddlewaretoken"}


def pages(cast: Cast) -> list[tuple[Client, str]]:
    _, token = Invitation.issue("priya@example.test", cluster=cast.cluster, invited_by=cast.alice)
    round_ = FormationRound.objects.create(area=cast.area, name="Autumn", created_by=cast.cora)
    alice, cora = client_for(cast.alice), client_for(cast.cora)
    c = cast.cluster.pk
    return [
        (alice, reverse("profile_edit")),
        (alice, reverse("setting_edit")),
        (client_for(cast.fay), reverse("setting_claim")),
        (alice, reverse("cluster_invite", args=[c])),
        (alice, reverse("cluster_ground_rules", args=[c])),
        (alice, reverse("cluster_propose_removal", args=[c, cast.bob.pk])),
        (client_for(cast.oscar), reverse("find_cluster")),
        (client_for(cast.fay), reverse("cluster_new")),
        (cora, reverse("area_invite", args=[cast.area.pk])),
        (cora, reverse("area_directory", args=[cast.area.pk])),
        (cora, reverse("formation_rounds", args=[cast.area.pk])),
        (cora, reverse("formation_round", args=[cast.area.pk, round_.pk])),
        (Client(), reverse("join", args=[token])),
    ]


@pytest.mark.parametrize("bad", MALFORMED)
def test_no_form_of_these_apps_fails_on_malformed_input(cast: Cast, bad: str) -> None:
    before = (Setting.objects.count(), Cluster.objects.count())
    for client, url in pages(cast):
        names = field_names(client, url)
        data: dict[str, Any] = dict.fromkeys(names, bad)
        response = client.post(url, data)
        assert response.status_code < 500, f"POST {url}"
        response = client.get(url, data)
        assert response.status_code < 500, f"GET {url}"
    # No malformed value made a setting or started a cluster.
    assert (Setting.objects.count(), Cluster.objects.count()) == before


def test_a_refused_invitation_answer_changes_nothing(cast: Cast) -> None:
    invitation, token = Invitation.issue("nina@example.test", cluster=cast.other_cluster)
    response = client_for(cast.newbie).post(reverse("join", args=[token]), {"answer": "²"})
    assert response.status_code == 400
    invitation.refresh_from_db()
    assert invitation.is_open
    assert not services.Membership.objects.of(cast.newbie).filter(cluster=cast.other_cluster)
