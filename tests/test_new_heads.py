"""Support for a new head (issue 16): Alice tells her cluster she is new to headship, a
fellow member volunteers to be her buddy (never assigned; one at a time; never herself),
and her induction checklist ticks itself from what she has really done."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from nextpractice.audit.models import AuditEntry
from nextpractice.clusters import services as cluster_services
from nextpractice.clusters.models import Membership, Role
from nextpractice.core.models import Kind, Notification, OutboundEmail, Preference
from nextpractice.directory.models import ClosureDay
from nextpractice.meetings import services as meeting_services
from nextpractice.privacy import services as privacy
from nextpractice.reviews import filetypes
from nextpractice.reviews import services as review_services
from nextpractice.support import induction, services
from nextpractice.support.models import Buddy, InductionStep, NewHead, Tick
from nextpractice.support.services import newheads

from .conftest import Cast, client_for, make_meeting, make_person


@pytest.fixture
def carol(cast: Cast) -> Any:
    """A third agreed member of Alice's cluster."""
    carol = make_person("carol@example.test", "Carol Chen", cast.area.settings.get(urn="100004"))
    Membership.objects.create(
        cluster=cast.cluster,
        user=carol,
        role=Role.MEMBER,
        ground_rules_agreed_at=timezone.now(),
        ground_rules_agreed_version=1,
    )
    return carol


def alice_is_new(cast: Cast) -> NewHead:
    services.say_new(cast.cluster, cast.alice, new=True)
    return NewHead.objects.unscoped().get(cluster=cast.cluster, user=cast.alice)


def emails_to(user: Any) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(to=user.email).order_by("pk"))


def notices_of(user: Any, kind: str) -> list[str]:
    return list(
        Notification.objects.unscoped().filter(user=user, kind=kind).values_list("text", flat=True)
    )


# --- Saying one is new -------------------------------------------------------------------


def test_a_member_says_she_is_new_and_her_fellow_members_are_asked(cast: Cast, carol: Any) -> None:
    response = client_for(cast.alice).post(
        reverse("new_head_me", args=[cast.cluster.pk]), {"new": "yes"}
    )
    assert response.status_code == 302
    assert NewHead.objects.unscoped().current().filter(user=cast.alice).count() == 1
    asked = "Alice Archer is new to headship: would you be Alice's buddy?"
    assert notices_of(cast.bob, Kind.NEW_HEAD) == [asked]
    assert notices_of(carol, Kind.NEW_HEAD) == [asked]
    # The facilitator is not a head there; the outsider and Nina (not agreed) hear nothing.
    for nobody in (cast.fay, cast.oscar, cast.newbie, cast.alice):
        assert notices_of(nobody, Kind.NEW_HEAD) == []
    # Fellow members see the offer on the cluster's page and on their home page.
    page = client_for(cast.bob).get(reverse("cluster_detail", args=[cast.cluster.pk]))
    assert "I'll be Alice&#x27;s buddy</button>" in page.content.decode()
    home = client_for(cast.bob).get(reverse("home")).content.decode()
    assert "Alice Archer is new to headship" in home and "would you be Alice&#x27;s buddy?" in home
    # Alice herself, and the facilitator, are not asked to be her buddy.
    for person in (cast.alice, cast.fay):
        body = client_for(person).get(reverse("cluster_detail", args=[cast.cluster.pk]))
        assert "be Alice&#x27;s buddy</button>" not in body.content.decode()
        assert "would you be Alice" not in client_for(person).get(reverse("home")).content.decode()
    assert AuditEntry.objects.filter(verb="new_head.said", cluster=cast.cluster).count() == 1
    # Opening the page marks Bob's notice read.
    client_for(cast.bob).get(reverse("new_heads", args=[cast.cluster.pk]))
    assert not Notification.objects.unscoped().filter(user=cast.bob, read_at=None).exists()
    # Saying it again is calm: nothing more is sent or recorded.
    client_for(cast.alice).post(reverse("new_head_me", args=[cast.cluster.pk]), {"new": "yes"})
    assert len(notices_of(cast.bob, Kind.NEW_HEAD)) == 1
    assert AuditEntry.objects.filter(verb="new_head.said").count() == 1


def test_the_facilitator_cannot_say_she_is_a_new_head_and_an_empty_answer_changes_nothing(
    cast: Cast,
) -> None:
    url = reverse("new_head_me", args=[cast.cluster.pk])
    assert client_for(cast.fay).post(url, {"new": "yes"}).status_code == 403
    assert client_for(cast.alice).post(url, {}).status_code == 400
    assert client_for(cast.alice).post(url, {"new": "perhaps"}).status_code == 400
    assert not NewHead.objects.unscoped().exists()
    with pytest.raises(services.SupportError):
        services.say_new(cast.cluster, cast.fay, new=True)


def test_no_longer_new_ends_her_buddying_with_thanks(cast: Cast) -> None:
    row = alice_is_new(cast)
    services.volunteer(row, cast.bob)
    client_for(cast.alice).post(reverse("new_head_me", args=[cast.cluster.pk]), {"new": "no"})
    row.refresh_from_db()
    assert not row.is_current
    assert not Buddy.objects.unscoped().current().exists()
    assert "Alice Archer is no longer new to headship: thank you for being their buddy" in (
        notices_of(cast.bob, Kind.BUDDY)
    )
    panel = newheads.new_heads_in(cast.cluster, cast.bob)
    assert panel.heads == []
    # And she can say so again later (a hard term): her colleagues are asked again.
    assert services.say_new(cast.cluster, cast.alice, new=True)
    assert len(notices_of(cast.bob, Kind.NEW_HEAD)) == 2


# --- A buddy -----------------------------------------------------------------------------


def test_the_first_colleague_to_offer_is_her_buddy_and_both_are_told(cast: Cast) -> None:
    row = alice_is_new(cast)
    OutboundEmail.objects.all().delete()
    response = client_for(cast.bob).post(reverse("new_head_buddy", args=[row.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("new_head_detail", args=[row.pk])
    pairing = Buddy.objects.unscoped().current().get()
    assert pairing.buddy == cast.bob and pairing.new_head == row
    # Both are told, by notice and (buddying is emailed straight away by default) email.
    assert notices_of(cast.alice, Kind.BUDDY) == ["Bob Baker will be your buddy"]
    assert notices_of(cast.bob, Kind.BUDDY) == ["You are Alice's buddy"]
    (to_alice,) = emails_to(cast.alice)
    assert to_alice.subject == "Bob Baker will be your buddy in Riverside"
    assert to_alice.body.startswith("Hello Alice,")
    assert "You get this email because you told Riverside that you are new to headship" in (
        to_alice.body
    )
    (to_bob,) = emails_to(cast.bob)
    assert to_bob.subject == "You are Alice's buddy in Riverside"
    assert to_bob.body.startswith("Hello Bob,")
    assert "You get this email because you offered to be the buddy of Alice Archer" in (to_bob.body)
    # Alice sees who her buddy is and how to reach him.
    page = client_for(cast.alice).get(reverse("new_head_detail", args=[row.pk])).content.decode()
    assert "Bob Baker" in page and "bob@example.test" in page and "07700 900111" in page
    assert AuditEntry.objects.filter(verb="buddy.started", cluster=cast.cluster).count() == 1


def test_a_double_click_makes_one_buddy_and_sends_once(cast: Cast) -> None:
    row = alice_is_new(cast)
    OutboundEmail.objects.all().delete()
    client = client_for(cast.bob)
    for _ in range(2):
        assert client.post(reverse("new_head_buddy", args=[row.pk])).status_code == 302
    assert services.volunteer(row, cast.bob) == Buddy.objects.unscoped().get()
    assert Buddy.objects.unscoped().count() == 1
    assert len(emails_to(cast.alice)) == 1 and len(emails_to(cast.bob)) == 1
    assert AuditEntry.objects.filter(verb="buddy.started").count() == 1


def test_at_most_one_buddy_at_a_time(cast: Cast, carol: Any) -> None:
    row = alice_is_new(cast)
    services.volunteer(row, cast.bob)
    with pytest.raises(services.SupportError, match="already has a buddy: Bob Baker"):
        services.volunteer(row, carol)
    response = client_for(carol).post(reverse("new_head_buddy", args=[row.pk]), follow=True)
    assert "already has a buddy" in response.content.decode()
    assert Buddy.objects.unscoped().count() == 1
    # Carol no longer sees the offer.
    body = client_for(carol).get(reverse("cluster_detail", args=[cast.cluster.pk])).content
    assert b"be Alice&#x27;s buddy</button>" not in body
    assert b"Bob Baker is Alice&#x27;s buddy" in body


def test_nobody_is_their_own_buddy_nor_the_facilitators(cast: Cast) -> None:
    row = alice_is_new(cast)
    assert client_for(cast.alice).post(reverse("new_head_buddy", args=[row.pk])).status_code == 403
    assert client_for(cast.fay).post(reverse("new_head_buddy", args=[row.pk])).status_code == 403
    with pytest.raises(services.SupportError):
        services.volunteer(row, cast.alice)
    with pytest.raises(services.SupportError):
        services.volunteer(row, cast.fay)
    assert not Buddy.objects.unscoped().exists()


def test_either_of_them_ends_it_and_another_colleague_can_offer(cast: Cast, carol: Any) -> None:
    row = alice_is_new(cast)
    services.volunteer(row, cast.bob)
    # Carol, not one of the two, cannot end it.
    end = reverse("new_head_buddy_end", args=[row.pk])
    assert client_for(carol).post(end).status_code == 403
    OutboundEmail.objects.all().delete()
    assert client_for(cast.bob).post(end).status_code == 302
    assert not Buddy.objects.unscoped().current().exists()
    assert "Bob Baker is no longer your buddy" in notices_of(cast.alice, Kind.BUDDY)
    (email,) = emails_to(cast.alice)
    assert "You get this email because you were the new head" in email.body
    assert emails_to(cast.bob) == []  # the one who ended it is not told what they did
    # A second click on "end" is calm.
    assert client_for(cast.bob).post(end).status_code in {302, 403}
    services.volunteer(row, carol)
    assert Buddy.objects.unscoped().current().get().buddy == carol
    assert services.end_buddy(NewHead.objects.unscoped().get(pk=row.pk), carol)


def test_a_buddy_who_leaves_the_cluster_is_nobodys_buddy(cast: Cast, carol: Any) -> None:
    row = alice_is_new(cast)
    services.volunteer(row, cast.bob)
    cluster_services.leave(Membership.objects.unscoped().get(user=cast.bob, cluster=cast.cluster))
    assert not Buddy.objects.unscoped().current().exists()
    assert "Bob Baker has left the cluster, so is no longer your buddy" in notices_of(
        cast.alice, Kind.BUDDY
    )
    assert newheads.new_heads_in(cast.cluster, carol).heads[0].buddy is None
    services.volunteer(row, carol)  # and someone else can offer
    assert Buddy.objects.unscoped().current().get().buddy == carol


def test_a_new_head_removed_by_the_cluster_is_no_longer_new_there(cast: Cast, carol: Any) -> None:
    row = alice_is_new(cast)
    services.volunteer(row, cast.bob)
    proposal = cluster_services.propose_removal(cast.cluster, cast.bob, cast.alice, "Absent.")
    cluster_services.vote(proposal, carol, True)
    cluster_services.vote(proposal, cast.fay, True)
    row.refresh_from_db()
    assert not row.is_current and not Buddy.objects.unscoped().current().exists()
    assert "Alice Archer has left the cluster, so you are no longer their buddy" in notices_of(
        cast.bob, Kind.BUDDY
    )
    assert newheads.new_heads_in(cast.cluster, cast.bob).heads == []


def test_buddy_emails_follow_the_persons_choice(cast: Cast) -> None:
    Preference.objects.create(user=cast.alice, kind=Kind.BUDDY, mode="off")
    row = alice_is_new(cast)
    OutboundEmail.objects.all().delete()
    services.volunteer(row, cast.bob)
    assert emails_to(cast.alice) == [] and len(emails_to(cast.bob)) == 1
    assert notices_of(cast.alice, Kind.BUDDY) == ["Bob Baker will be your buddy"]
    prefs = client_for(cast.alice).get(reverse("notification_prefs")).content.decode()
    assert "My buddy, or the new head I buddy" in prefs


# --- The induction checklist -------------------------------------------------------------


def done(row: NewHead, user: Any) -> set[str]:
    return {s.key for s in newheads.checklist(row, user) if s.done}


def test_the_checklist_ticks_itself_from_what_she_has_really_done(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    row = alice_is_new(cast)
    # Agreed the ground rules, and her profile is complete (the cast's is).
    assert done(row, cast.alice) == {"ground_rules", "profile"}
    ClosureDay.objects.create(setting=cast.alice.profile.setting, date=timezone.localdate())
    meeting = make_meeting(cast.cluster, dt.timedelta(days=10))
    meeting_services.respond(meeting, cast.alice, "attending")
    meeting_services.add_item(meeting, cast.alice, "concern", "Our SEF")
    review_services.create_request(
        cast.cluster,
        cast.alice,
        kind="document",
        title="Our SEF",
        feedback_by=dt.date(2030, 1, 1),
        focus=[("Is it convincing?", None)],
        document_kind="sef",
        upload=review_services.CheckedFile(b"%PDF-1.4 test", "sef.pdf", filetypes.PDF),
    )
    assert done(row, cast.alice) == {
        "ground_rules",
        "profile",
        "inset",
        "answer",
        "agenda",
        "feedback",
    }
    # Bob hosts a learning walk; once Alice sends her feedback on it, that step is done.
    walk = review_services.create_request(
        cast.cluster,
        cast.bob,
        kind="walk",
        title="Our outdoor area",
        feedback_by=dt.date(2030, 1, 1),
        focus=[("The mud kitchen", None)],
        walk_starts_at=timezone.now() + dt.timedelta(days=3),
    )
    focus = walk.focus_areas.get()
    review_services.save_feedback(
        walk, cast.alice, {focus.pk: ("Inviting", "Label it")}, submit=True
    )
    assert "walk" in done(row, cast.alice)
    # What ticks itself cannot be ticked by hand.
    with pytest.raises(services.SupportError):
        services.tick(row, cast.alice, "inset", done=True)


def test_by_hand_the_new_head_and_her_buddy_tick_and_nobody_else(cast: Cast, carol: Any) -> None:
    row = alice_is_new(cast)
    url = reverse("new_head_tick", args=[row.pk])
    assert client_for(cast.alice).post(url, {"step": "buddy", "done": "yes"}).status_code == 302
    assert "buddy" in done(row, cast.alice)
    # Bob is not her buddy yet: her checklist is not his to see or tick.
    assert client_for(cast.bob).get(reverse("new_head_detail", args=[row.pk])).status_code == 403
    assert client_for(cast.bob).post(url, {"step": "safety_net", "done": "yes"}).status_code == 403
    services.volunteer(row, cast.bob)
    page = client_for(cast.bob).get(reverse("new_head_detail", args=[row.pk]))
    assert page.status_code == 200 and "Meet your buddy" in page.content.decode()
    assert client_for(cast.bob).post(url, {"step": "safety_net", "done": "yes"}).status_code == 302
    assert client_for(carol).post(url, {"step": "buddy", "done": "no"}).status_code == 403
    # Unticking, a step that ticks itself, a made-up step: the last two are refused inline.
    assert client_for(cast.alice).post(url, {"step": "buddy", "done": "no"}).status_code == 302
    assert client_for(cast.alice).post(url, {"step": "inset", "done": "yes"}).status_code == 400
    assert client_for(cast.alice).post(url, {"step": "own-999", "done": "yes"}).status_code == 400
    assert client_for(cast.alice).post(url, {"step": "", "done": "yes"}).status_code == 400
    for bad in ["own-99999999999999999999", "own-\u0663", "own-0", "own--1"]:
        assert client_for(cast.alice).post(url, {"step": bad, "done": "yes"}).status_code == 400
    assert done(row, cast.alice) == {"ground_rules", "profile", "safety_net"}
    # Audited, but not on the cluster's activity page: her checklist is hers and Bob's.
    ticks = AuditEntry.objects.filter(verb__startswith="induction.")
    assert ticks.count() == 3 and not ticks.exclude(cluster=None).exists()
    # Ticking twice is one tick.
    services.tick(row, cast.alice, "buddy", done=True)
    assert not services.tick(row, cast.alice, "buddy", done=True)
    assert Tick.objects.unscoped().filter(standard="buddy").count() == 1


def test_the_cluster_adds_its_own_first_steps_up_to_a_bound(cast: Cast) -> None:
    row = alice_is_new(cast)
    add = reverse("new_head_step_add", args=[cast.cluster.pk])
    assert client_for(cast.fay).post(add, {"text": "Visit the forest school"}).status_code == 302
    step = InductionStep.objects.unscoped().get()
    assert f"own-{step.pk}" in {s.key for s in newheads.checklist(row, cast.alice)}
    services.tick(row, cast.alice, f"own-{step.pk}", done=True)
    assert f"own-{step.pk}" in done(row, cast.alice)
    # The same step twice, an empty one, one too long: refused, nothing saved.
    for text in ["visit the forest school", " ", "x" * 201]:
        assert client_for(cast.bob).post(add, {"text": text}).status_code == 400
    for n in range(induction.MAX_OWN_STEPS - 1):
        services.add_step(cast.cluster, cast.bob, f"Step {n}")
    response = client_for(cast.bob).post(add, {"text": "One too many"})
    assert response.status_code == 400 and "Remove one first" in response.content.decode()
    assert InductionStep.objects.unscoped().count() == induction.MAX_OWN_STEPS
    remove = reverse("new_head_step_remove", args=[cast.cluster.pk, step.pk])
    assert client_for(cast.oscar).post(remove).status_code == 404
    assert client_for(cast.bob).post(remove).status_code == 302
    assert not InductionStep.objects.unscoped().filter(pk=step.pk).exists()
    assert AuditEntry.objects.filter(verb="induction.step_removed", cluster=cast.cluster).exists()


# --- Who sees what -----------------------------------------------------------------------


def test_nothing_about_a_new_head_is_shown_outside_the_cluster(cast: Cast) -> None:
    row = alice_is_new(cast)
    services.volunteer(row, cast.bob)
    pages = [
        reverse("new_heads", args=[cast.cluster.pk]),
        reverse("new_head_detail", args=[row.pk]),
    ]
    for person in (cast.oscar, cast.cora, cast.rita):
        for url in pages:
            assert client_for(person).get(url).status_code == 404, (person, url)
        home = client_for(person).get(reverse("home")).content.decode()
        assert "new to headship" not in home
    for url in pages:
        assert client_for(cast.newbie).get(url).status_code in {403, 404}
    directory = client_for(cast.cora).get(reverse("area_directory", args=[cast.area.pk]))
    assert b"new to headship" not in directory.content.lower()


def test_erasing_a_new_head_or_her_buddy_leaves_nothing_of_the_buddying(cast: Cast) -> None:
    row = alice_is_new(cast)
    services.volunteer(row, cast.bob)
    services.tick(row, cast.bob, "buddy", done=True)
    privacy.erase(cast.bob, remove_contributions=False)
    assert not Buddy.objects.unscoped().filter(buddy=cast.bob).exists()
    # Alice was told that her buddy left (his name, like every mention of it, is erased).
    assert "a former member has left the cluster, so is no longer your buddy" in notices_of(
        cast.alice, Kind.BUDDY
    )
    privacy.erase(cast.alice, remove_contributions=False)
    assert not NewHead.objects.unscoped().exists() and not Tick.objects.unscoped().exists()


def test_the_pages_cost_the_same_with_many_new_heads(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    row = alice_is_new(cast)
    services.volunteer(row, cast.bob)
    client = client_for(cast.alice)
    urls = [
        reverse("new_heads", args=[cast.cluster.pk]),
        reverse("new_head_detail", args=[row.pk]),
        reverse("cluster_detail", args=[cast.cluster.pk]),
    ]
    counts = []
    for url in urls:
        with django_assert_max_num_queries(40) as captured:
            client.get(url)
        counts.append(len(captured))
    for n in range(6):
        person = make_person(f"head{n}@example.test", f"Head {n}")
        Membership.objects.create(
            cluster=cast.cluster,
            user=person,
            role=Role.MEMBER,
            ground_rules_agreed_at=timezone.now(),
            ground_rules_agreed_version=1,
        )
        services.say_new(cast.cluster, person, new=True)
        services.add_step(cast.cluster, person, f"Step {n}")
        if n % 2:
            services.volunteer(NewHead.objects.unscoped().get(user=person), cast.alice)
    for url, before in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(before) as captured:
            assert client.get(url).status_code == 200


def test_a_member_who_has_just_joined_is_asked_once_on_the_cluster_page(cast: Cast) -> None:
    url = reverse("cluster_detail", args=[cast.cluster.pk])
    welcome = "Welcome. Are you new to headship?"
    assert welcome in client_for(cast.bob).get(url).content.decode()
    assert welcome not in client_for(cast.fay).get(url).content.decode()
    # Bob answers no: he is not asked again, and nobody is told anything.
    response = client_for(cast.bob).post(
        reverse("new_head_me", args=[cast.cluster.pk]), {"new": "no"}
    )
    assert response["Location"] == url
    assert welcome not in client_for(cast.bob).get(url).content.decode()
    assert not Notification.objects.unscoped().exists()
    assert not AuditEntry.objects.filter(verb__startswith="new_head").exists()
    # Alice answers yes, from the same question.
    client_for(cast.alice).post(reverse("new_head_me", args=[cast.cluster.pk]), {"new": "yes"})
    page = client_for(cast.alice).get(url).content.decode()
    assert welcome not in page and "You told the cluster you are new to headship" in page
    # Long-standing members are not asked: the question is for the first weeks.
    Membership.objects.unscoped().filter(user=cast.fay).update(role=Role.MEMBER)
    Membership.objects.unscoped().filter(user=cast.fay).update(
        joined_at=timezone.now() - dt.timedelta(days=newheads.WELCOME_DAYS + 1)
    )
    assert welcome not in client_for(cast.fay).get(url).content.decode()


def test_her_account_page_says_where_she_is_new_and_links_to_her_buddy(cast: Cast) -> None:
    page = client_for(cast.alice).get(reverse("account")).content.decode()
    assert "Riverside: <a" in page and reverse("new_heads", args=[cast.cluster.pk]) in page
    row = alice_is_new(cast)
    page = client_for(cast.alice).get(reverse("account")).content.decode()
    assert "Riverside: you told them you are new to headship" in page
    assert reverse("new_head_detail", args=[row.pk]) in page
    # A coordinator, in no cluster, is not asked.
    assert "New to headship" not in client_for(cast.cora).get(reverse("account")).content.decode()


def test_on_postgresql_two_colleagues_offering_at_once_give_her_one_buddy(
    transactional_db: Any, cast: Cast, carol: Any
) -> None:
    from .test_concurrency import at_once, needs_postgresql

    needs_postgresql()
    row = alice_is_new(cast)
    OutboundEmail.objects.all().delete()

    def offer(person: Any) -> Any:
        def job() -> None:
            # The one who came second is told she has a buddy.
            with contextlib.suppress(services.SupportError):
                services.volunteer(row, person)

        return job

    assert at_once([offer(cast.bob), offer(carol), offer(cast.bob), offer(carol)]) == []
    assert Buddy.objects.unscoped().count() == 1
    assert len(emails_to(cast.alice)) == 1
