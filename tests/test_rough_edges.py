"""Issue 16's rough edges: the safety net's crises, joining a cluster, the cluster page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from nextpractice.audit.models import AuditEntry
from nextpractice.clusters import services as cluster_services
from nextpractice.clusters.models import Membership
from nextpractice.core.models import OutboundEmail
from nextpractice.directory.models import Setting, Topic
from nextpractice.directory.taxonomy import CRISES
from nextpractice.support import services
from nextpractice.support.models import Experience, HelpRequest

from .conftest import Cast, client_for, make_person

# --- The safety net -----------------------------------------------------------------------


def test_the_common_crises_are_topics_from_the_start(db: Any) -> None:
    names = set(Topic.objects.values_list("name", flat=True))
    assert "Ofsted inspection" in names
    assert set(CRISES) <= names


def test_an_urgent_ofsted_request_suggests_the_member_who_has_been_through_one(
    cast: Cast,
) -> None:
    ofsted = Topic.objects.get(name="Ofsted inspection")
    # Bob records the inspection he had, through the "what I have been through" page.
    response = client_for(cast.bob).post(
        reverse("experiences"), {"topic": ofsted.pk, "when": "2026-03-12", "note": ""}
    )
    assert response.status_code == 302
    assert Experience.objects.filter(user=cast.bob, topic=ofsted).exists()
    # Alice has been through one too: she is never suggested to herself.
    Experience.objects.create(user=cast.alice, topic=ofsted, when=dt.date(2025, 1, 5))
    response = client_for(cast.alice).post(
        reverse("help_new", args=[cast.cluster.pk]),
        {
            "title": "The call came this morning",
            "what_happened": "Inspection starts tomorrow.",
            "urgency": "urgent",
            "topics": [ofsted.pk],
        },
    )
    assert response.status_code == 302
    request = HelpRequest.objects.get()
    helpers = services.who_could_help(request)
    assert [h["user"] for h in helpers] == [cast.bob]
    assert helpers[0]["why"] == ["has been through ofsted inspection (March 2026)"]
    page = client_for(cast.bob).get(reverse("help_detail", args=[request.pk]))
    assert "Who could help best" in page.content.decode()
    mine = client_for(cast.alice).get(reverse("help_detail", args=[request.pk])).content.decode()
    assert "<strong>Alice Archer</strong>:" not in mine


def test_members_see_the_askers_phone_number_on_the_request_and_no_email_carries_it(
    cast: Cast,
) -> None:
    cast.alice.profile.phone = "07700 900222"
    cast.alice.profile.save()
    request = services.ask_for_help(
        cast.cluster, cast.alice, "Flooded", "Water in hall", [], "urgent"
    )
    page = client_for(cast.bob).get(reverse("help_detail", args=[request.pk])).content.decode()
    assert 'href="tel:07700 900222"' in page and "Call Alice" in page
    # Her own page does not offer to call herself.
    own = client_for(cast.alice).get(reverse("help_detail", args=[request.pk])).content.decode()
    assert "Call Alice" not in own
    # People outside the cluster (and the facilitator, not asked) get no page at all.
    for outsider in (cast.oscar, cast.fay, cast.newbie, cast.cora, cast.rita):
        assert (
            client_for(outsider).get(reverse("help_detail", args=[request.pk])).status_code == 404
        )
    assert OutboundEmail.objects.exists()
    assert not any("900222" in e.body for e in OutboundEmail.objects.all())


# --- Joining ------------------------------------------------------------------------------


def _invite_priya(cast: Cast) -> str:
    cluster_services.invite(cast.cluster, cast.alice, "priya@example.test")
    body = OutboundEmail.objects.get(to="priya@example.test").body
    match = re.search(r"/join/([^/\s]+)/", body)
    assert match
    return match.group(1)


def test_the_invitation_says_who_is_in_the_cluster_by_first_name_and_setting(
    cast: Cast,
) -> None:
    token = _invite_priya(cast)
    body = OutboundEmail.objects.get(to="priya@example.test").body
    assert "Who is in it:" in body
    assert "- Alice, Setting 0" in body and "- Bob, Setting 1" in body
    # First names only (the inviter signs with her own name above); no one's email address.
    assert "Baker" not in body and "bob@example.test" not in body
    # Nina has not agreed the ground rules: she is not named.
    assert "Nina" not in body
    page = Client().get(reverse("join", args=[token])).content.decode()
    assert "Who is in it" in page and "Alice, Setting 0" in page and "Nina" not in page


def test_an_invitation_to_someone_with_an_account_greets_her_by_name(cast: Cast) -> None:
    cluster_services.invite(cast.other_cluster, cast.oscar, cast.bob.email)
    assert OutboundEmail.objects.get(to=cast.bob.email).body.startswith("Hello Bob,")


def test_accepting_twice_is_a_calm_no_op_with_one_audit_entry(cast: Cast) -> None:
    cluster_services.invite(cast.other_cluster, cast.oscar, cast.bob.email)
    body = OutboundEmail.objects.get(to=cast.bob.email).body
    token = re.search(r"/join/([^/\s]+)/", body).group(1)  # type: ignore[union-attr]
    client = client_for(cast.bob)
    first = client.post(reverse("join", args=[token]), {"answer": "accept"})
    assert first["Location"] == f"/clusters/{cast.other_cluster.pk}/"
    second = client.post(reverse("join", args=[token]), {"answer": "accept"}, follow=True)
    assert second.status_code == 200
    assert "You have already joined Hilltop" in second.content.decode()
    assert "There is a problem" not in second.content.decode()
    # The email's link opened again says the same, calmly.
    again = client.get(reverse("join", args=[token]), follow=True)
    assert "You have already joined Hilltop" in again.content.decode()
    assert Membership.objects.filter(user=cast.bob, cluster=cast.other_cluster).count() == 1
    assert AuditEntry.objects.filter(verb="membership.joined", actor=cast.bob).count() == 1


def test_agreeing_the_ground_rules_twice_records_it_once(cast: Cast) -> None:
    client = client_for(cast.newbie)
    url = reverse("cluster_agree", args=[cast.cluster.pk])
    first = client.post(url, {"agree": "yes"}, follow=True)
    assert "Welcome to the cluster." in first.content.decode()
    agreed_at = Membership.objects.get(user=cast.newbie).ground_rules_agreed_at
    second = client.post(url, {"agree": "yes"}, follow=True)
    assert second.status_code == 200
    assert "You have already agreed to the ground rules" in second.content.decode()
    assert Membership.objects.get(user=cast.newbie).ground_rules_agreed_at == agreed_at
    assert AuditEntry.objects.filter(verb="ground_rules.agreed", actor=cast.newbie).count() == 1


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("Riverside leaders", "Riverside leaders'"),
        ("Alice", "Alice's"),
        ("St James", "St James'"),
        ("", ""),
        ("Tom & Jerry", "Tom &amp; Jerry's"),
    ],
)
def test_possessives_of_names_ending_in_s_take_the_apostrophe_alone(
    name: str, written: str
) -> None:
    assert Template("{{ name|possessive }}").render(Context({"name": name})) == written.replace(
        "'", "&#x27;"
    )


def test_no_email_greets_without_a_name_where_one_is_known() -> None:
    from pathlib import Path

    import nextpractice

    emails = Path(nextpractice.__file__).parent / "templates" / "emails"
    bare = [p.name for p in emails.glob("*_body.txt") if p.read_text().startswith("Hello,")]
    assert bare == []


# --- The cluster page ---------------------------------------------------------------------


def test_recent_successes_on_the_cluster_page_render_markdown_safely(cast: Cast) -> None:
    services.record_success(
        cast.cluster,
        cast.alice,
        cast.bob,
        "Ran **the phonics workshop** for parents.\n\n- 40 came\n\n<script>alert(1)</script>",
    )
    page = client_for(cast.alice).get(reverse("cluster_detail", args=[cast.cluster.pk]))
    html = page.content.decode()
    assert "<strong>the phonics workshop</strong>" in html and "<li>40 came</li>" in html
    assert "**the phonics" not in html and "<script>alert(1)" not in html


def test_proposals_to_remove_someone_sit_behind_a_disclosure_below_the_members(
    cast: Cast,
) -> None:
    carol = _member(cast, "carol@example.test", "Carol Cole")
    cluster_services.propose_removal(cast.cluster, cast.alice, carol, "Has not come all year.")
    html = client_for(cast.bob).get(reverse("cluster_detail", args=[cast.cluster.pk])).content
    page = html.decode()
    members = page.index(">Members</h2>")
    disclosure = page.index('<details class="govuk-details">')
    assert members < page.index('id="removals-heading"') < disclosure
    assert page.index("Has not come all year.") > disclosure
    assert "1 open proposal: read and answer" in page
    # The vote buttons are inside the disclosure, reachable once it is opened.
    assert page.index("I agree to remove Carol Cole") > disclosure


def _member(cast: Cast, email: str, name: str) -> Any:
    setting = Setting.objects.create(
        name=f"{name}'s", kind="primary", area=cast.area, urn=email[:3] + "999"
    )
    person = make_person(email, name, setting)
    Membership.objects.create(cluster=cast.cluster, user=person, ground_rules_agreed_version=1)
    return person


def test_the_audit_log_writes_possessives_as_a_colleague_would(cast: Cast) -> None:
    from nextpractice.core.words import possessive

    assert possessive("Riverside leaders") == "Riverside leaders'"
    assert possessive("Ines Morris") == "Ines Morris'"
    assert possessive("Bob Baker") == "Bob Baker's"


def test_no_template_or_service_writes_a_names_possessive_by_hand() -> None:
    """ "Riverside leaders's" came from `{{ cluster }}'s`: names take |possessive (templates)
    or core.words.possessive (services), which know a name ending in s."""
    import re
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "src" / "nextpractice"
    by_hand = re.compile(r"(\}\}'s|\}'s)\b")
    found = [
        f"{path.relative_to(src)}:{n}"
        for path in [*src.rglob("*.html"), *src.rglob("*.txt"), *src.rglob("*.py")]
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if by_hand.search(line) and path.name != "words.py"  # the rule itself
    ]
    assert found == []
