"""What a security review of the trust boundary found after it landed, each kept fixed:
nobody is told what they may no longer read, a deputy sees this meeting and nothing else
of the cluster, a facilitator not asked for help does not learn of it from the activity
log, and the outbox's admin never shows what was written to members."""

from __future__ import annotations

from datetime import timedelta

from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import reverse

from nextpractice.accounts.models import User
from nextpractice.clusters import services as cluster_services
from nextpractice.clusters.models import Membership
from nextpractice.core.models import OutboundEmail
from nextpractice.meetings import services as meeting_services
from nextpractice.meetings.models import Action, Note
from nextpractice.support import services as support_services

from .conftest import Cast, client_for, make_meeting


def test_an_answer_to_help_is_not_emailed_to_someone_who_has_left(cast: Cast) -> None:
    request = support_services.ask_for_help(
        cast.cluster, cast.alice, "Budget cuts", "We lose two TAs", [], "urgent"
    )
    cluster_services.leave(Membership.objects.of(cast.alice).current().get(cluster=cast.cluster))
    OutboundEmail.objects.all().delete()
    support_services.answer_help(request, cast.bob, "Call me about our restructure")
    support_services.answer_help(request, cast.bob, "", calling=True)
    assert not OutboundEmail.objects.filter(to=cast.alice.email).exists()


def test_an_answer_to_help_is_emailed_to_the_member_who_asked(cast: Cast) -> None:
    request = support_services.ask_for_help(
        cast.cluster, cast.alice, "Budget cuts", "We lose two TAs", [], "urgent"
    )
    support_services.answer_help(request, cast.bob, "", calling=True)
    assert OutboundEmail.objects.filter(to=cast.alice.email).exists()


def deputy_for_bob(cast: Cast) -> tuple[object, User]:
    meeting = make_meeting(cast.cluster, timedelta(days=10))
    meeting_services.respond(meeting, cast.bob, "deputy", "Dee Deputy", "dee@school.test")
    return meeting, User.objects.get(email="dee@school.test")


def test_a_deputy_is_not_shown_the_clusters_actions_on_the_agenda(cast: Cast) -> None:
    earlier = make_meeting(cast.cluster, timedelta(days=-30))
    meeting_services.add_action(earlier, cast.alice, "Rewrite the SEND policy", cast.alice)
    meeting, dee = deputy_for_bob(cast)
    url = reverse("meeting_detail", args=[meeting.pk])  # type: ignore[attr-defined]
    assert b"Rewrite the SEND policy" in client_for(cast.alice).get(url).content
    page = client_for(dee).get(url)
    assert page.status_code == 200 and b"Rewrite the SEND policy" not in page.content


def test_a_deputys_agenda_email_leaves_out_the_clusters_actions(cast: Cast) -> None:
    earlier = make_meeting(cast.cluster, timedelta(days=-30))
    meeting_services.add_action(earlier, cast.alice, "Rewrite the SEND policy", cast.alice)
    meeting, _ = deputy_for_bob(cast)
    context = meeting_services.agenda(meeting)  # type: ignore[arg-type]
    assert [a.title for a in context["actions_to_review"]] == ["Rewrite the SEND policy"]
    OutboundEmail.objects.all().delete()
    meeting_services.tell_everyone(meeting, "emails/agenda", context)  # type: ignore[arg-type]
    to_alice = OutboundEmail.objects.get(to=cast.alice.email)
    to_dee = OutboundEmail.objects.get(to="dee@school.test")
    assert "Rewrite the SEND policy" in to_alice.body
    assert "Rewrite the SEND policy" not in to_dee.body


def test_a_deputy_cannot_write_a_note_on_one_of_the_clusters_actions(cast: Cast) -> None:
    earlier = make_meeting(cast.cluster, timedelta(days=-30))
    action = meeting_services.add_action(earlier, cast.alice, "Rewrite policy", cast.alice)
    meeting, dee = deputy_for_bob(cast)
    client_for(dee).post(
        reverse("meeting_note_add", args=[meeting.pk]),  # type: ignore[attr-defined]
        {"text": "Bob says it is late", "action": action.pk},
    )
    assert not Note.objects.unscoped().filter(action=action).exists()
    assert Action.objects.unscoped().get(pk=action.pk).updates.count() == 0


def test_no_notes_at_a_cancelled_meeting(cast: Cast) -> None:
    meeting = make_meeting(cast.cluster, timedelta(days=-1), status="cancelled")
    response = client_for(cast.alice).post(
        reverse("meeting_note_add", args=[meeting.pk]), {"text": "We met anyway"}
    )
    assert response.status_code == 403
    assert not meeting.notes.exists()


def test_the_activity_log_keeps_help_the_facilitator_was_not_asked_for_from_her(
    cast: Cast,
) -> None:
    support_services.ask_for_help(cast.cluster, cast.alice, "Private", "x", [], "week")
    support_services.ask_for_help(
        cast.cluster, cast.bob, "Shared", "y", [], "week", to_facilitator=True
    )
    url = reverse("cluster_activity", args=[cast.cluster.pk])
    seen_by_fay = client_for(cast.fay).get(url).content
    assert b"Alice Archer asked for help" not in seen_by_fay
    assert b"Bob Baker asked for help" in seen_by_fay


def test_the_outbox_admin_shows_neither_part_of_an_email(cast: Cast) -> None:
    support_services.ask_for_help(
        cast.cluster, cast.alice, "Ofsted tomorrow", "Our lead is off sick", [], "urgent"
    )
    email = OutboundEmail.objects.filter(to=cast.bob.email).first()
    assert email is not None and "Our lead is off sick" in email.html
    root = User.objects.create_superuser("root@example.test", "pw-root-1234")
    TOTP.activate(root, "JBSWY3DPEHPK3PXPADMINONLY")
    client = Client()
    client.force_login(root)
    page = client.get(reverse("admin:core_outboundemail_change", args=[email.pk]))
    assert page.status_code == 200 and b"Our lead is off sick" not in page.content


def test_a_closed_request_no_longer_offers_the_feedback_form(cast: Cast) -> None:
    from nextpractice.reviews import filetypes
    from nextpractice.reviews import services as review_services

    review = review_services.create_request(
        cast.cluster,
        cast.alice,
        kind="document",
        title="Our SEF",
        feedback_by=cast.cluster.created_at.date() + timedelta(days=30),
        focus=[("Is it clear?", None)],
        document_kind="sef",
        upload=review_services.CheckedFile(b"%PDF-1.4 test", "sef.pdf", filetypes.PDF),
    )
    review_services.close(review, cast.alice)
    response = client_for(cast.bob).get(reverse("review_feedback", args=[review.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("review_detail", args=[review.pk])
