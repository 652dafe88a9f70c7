"""Opening up behind the trust boundary: who sees a request (one rule, in the queryset), what
each person may do with it (named capabilities), input that is refused without a 500, and
documents that are looked inside without unpacking them."""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from nextpractice.audit.models import AuditEntry
from nextpractice.clusters.models import Membership
from nextpractice.reviews import filetypes, services
from nextpractice.reviews.models import (
    AccessEntry,
    Checklist,
    ChecklistAnswer,
    DocumentVersion,
    Exemplar,
    Feedback,
    FocusAnswer,
    FocusArea,
    Reply,
    ReviewRequest,
)

from .conftest import Cast, client_for, make_person
from .test_reviews import WEEK, make_person_in, odf, ooxml, pdf_bytes

HUGE = "99999999999999999999"  # 20 digits: beyond any database integer
TEMPLATES = Path(__file__).resolve().parent.parent / "src/nextpractice/templates/reviews"


def ask(cast: Cast, **extra: Any) -> ReviewRequest:
    """Alice asks for feedback on her SEF (the whole cluster, unless told otherwise)."""
    return services.create_request(
        cast.cluster,
        cast.alice,
        kind="document",
        title=extra.pop("title", "Our SEF"),
        feedback_by=timezone.localdate(),
        focus=[("Leadership?", None), ("Impact?", None)],
        document_kind="sef",
        upload=services.CheckedFile(pdf_bytes(), "sef.pdf", filetypes.PDF),
        **extra,
    )


def send(review: ReviewRequest, reviewer: Any, text: str = "Clear") -> Feedback:
    return services.save_feedback(
        review,
        reviewer,
        {f.pk: (f"{text} strengths", f"{text} next") for f in review.focus_areas.all()},
        submit=True,
    )


@pytest.fixture
def world(cast: Cast, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """Alice's SEF with Bob's sent feedback; Oscar's request in his own cluster."""
    settings.MEDIA_ROOT = tmp_path
    review = ask(cast)
    feedback = send(review, cast.bob)
    theirs = services.create_request(
        cast.other_cluster,
        cast.oscar,
        kind="document",
        title="Hilltop plan",
        feedback_by=timezone.localdate(),
        focus=[("Is it clear?", None)],
        document_kind="plan",
        upload=services.CheckedFile(pdf_bytes(), "plan.pdf", filetypes.PDF),
    )
    return {"review": review, "feedback": feedback, "theirs": theirs}


# --- One rule for who sees a request -----------------------------------------------------------


@pytest.mark.parametrize(
    ("audience", "include_facilitator", "sees"),
    [
        ("all", False, {"alice", "bob", "carol"}),
        ("all", True, {"alice", "bob", "carol", "fay"}),
        ("bob", False, {"alice", "bob"}),
        ("bob", True, {"alice", "bob", "fay"}),
    ],
)
def test_visible_to_applies_the_audience_rule_and_the_emails_follow_it(
    cast: Cast,
    settings: Any,
    tmp_path: Path,
    audience: str,
    include_facilitator: bool,
    sees: set[str],
) -> None:
    settings.MEDIA_ROOT = tmp_path
    carol = make_person_in(cast)
    people = {
        "alice": cast.alice,
        "bob": cast.bob,
        "carol": carol,
        "fay": cast.fay,
        "nina": cast.newbie,  # has not agreed the ground rules
        "oscar": cast.oscar,
        "cora": cast.cora,
        "rita": cast.rita,
    }
    review = ask(
        cast,
        whole_cluster=audience == "all",
        audience=[cast.bob] if audience == "bob" else [],
        include_facilitator=include_facilitator,
    )
    seen_by = {
        name
        for name, person in people.items()
        if ReviewRequest.objects.visible_to(person).filter(pk=review.pk).exists()
    }
    assert seen_by == sees
    # The people told are the people who may see it, from the request's side.
    told = {m.user_id for m in review.audience_memberships()}
    assert told == {people[name].pk for name in sees}
    # Its parts follow the request.
    for person in people.values():
        expected = person.pk in told
        assert FocusArea.objects.visible_to(person).filter(request=review).exists() == expected
        assert (
            DocumentVersion.objects.visible_to(person).filter(request=review).exists() == expected
        )


def test_visible_to_reaches_across_all_of_a_persons_clusters_and_stops_when_they_leave(
    cast: Cast, world: dict[str, Any]
) -> None:
    review, theirs = world["review"], world["theirs"]
    Membership.objects.create(
        cluster=cast.other_cluster, user=cast.bob, ground_rules_agreed_version=1
    )
    assert set(ReviewRequest.objects.visible_to(cast.bob)) == {review, theirs}
    assert set(ReviewRequest.objects.visible_to(cast.alice)) == {review}
    assert set(ReviewRequest.objects.visible_to(cast.oscar)) == {theirs}
    assert list(ReviewRequest.objects.in_cluster(cast.bob, cast.other_cluster.pk)) == [theirs]
    # A former member sees nothing of the cluster they left, their own feedback included.
    Membership.objects.filter(user=cast.bob, cluster=cast.cluster).update(left_at=timezone.now())
    assert set(ReviewRequest.objects.visible_to(cast.bob)) == {theirs}
    assert not Feedback.objects.visible_to(cast.bob).filter(request=review).exists()
    assert client_for(cast.bob).get(reverse("review_detail", args=[review.pk])).status_code == 404


def test_a_draft_is_its_reviewers_and_who_opened_what_is_the_requesters(
    cast: Cast, world: dict[str, Any]
) -> None:
    review = world["review"]
    carol = make_person_in(cast)
    first = review.focus_areas.first()
    services.save_feedback(review, carol, {first.pk: ("A private draft", "")})
    draft = Feedback.objects.get(reviewer=carol)
    assert list(Feedback.objects.visible_to(carol).filter(request=review, reviewer=carol)) == [
        draft
    ]
    for other in (cast.alice, cast.bob):
        assert not Feedback.objects.visible_to(other).filter(pk=draft.pk).exists()
        assert not FocusAnswer.objects.visible_to(other).filter(feedback=draft).exists()
    assert (
        b"A private draft"
        not in client_for(cast.alice).get(reverse("review_detail", args=[review.pk])).content
    )
    # Sent feedback is the audience's.
    assert Feedback.objects.visible_to(carol).filter(pk=world["feedback"].pk).exists()
    client_for(cast.bob).get(reverse("review_detail", args=[review.pk]))
    assert AccessEntry.objects.visible_to(cast.alice).filter(user=cast.bob).exists()
    assert not AccessEntry.objects.visible_to(cast.bob).exists()


def test_the_example_library_is_the_members_not_the_facilitators(
    cast: Cast, world: dict[str, Any]
) -> None:
    item = services.share_exemplar(
        cast.cluster, cast.alice, "My SEF", "sef", "Impact", version=world["review"].versions.get()
    )
    fay = client_for(cast.fay)
    assert fay.get(reverse("exemplars", args=[cast.cluster.pk])).status_code == 403
    assert fay.get(reverse("exemplar_download", args=[cast.cluster.pk, item.pk])).status_code == 404
    assert not Exemplar.objects.visible_to(cast.fay).exists()
    assert list(Exemplar.objects.visible_to(cast.bob)) == [item]
    page = fay.get(reverse("review_list", args=[cast.cluster.pk]))
    assert reverse("exemplars", args=[cast.cluster.pk]).encode() not in page.content
    with pytest.raises(services.ReviewError):
        services.share_exemplar(cast.cluster, cast.fay, "Mine", "sef", "x", version=None)


def test_the_cluster_activity_never_names_a_request(
    cast: Cast, settings: Any, tmp_path: Path
) -> None:
    """The facilitator and members outside a request's audience read the cluster's activity."""
    settings.MEDIA_ROOT = tmp_path
    review = ask(cast, title="Our confidential SEF", whole_cluster=False, audience=[cast.bob])
    send(review, cast.bob)
    client_for(cast.alice).post(
        reverse("review_reply", args=[review.pk]), {"text": "Thank you, Bob"}
    )
    client_for(cast.alice).post(reverse("review_close", args=[review.pk]))
    verbs = set(AuditEntry.objects.values_list("verb", flat=True))
    assert {"review.requested", "review.feedback_sent", "review.replied", "review.closed"} <= verbs
    for who in (cast.fay, cast.bob):
        page = client_for(who).get(reverse("cluster_activity", args=[cast.cluster.pk]))
        assert page.status_code == 200
        assert b"confidential" not in page.content


# --- Named capabilities, in views and templates alike -------------------------------------------


def test_templates_ask_the_access_object_not_the_role() -> None:
    tag = re.compile(r"{%.*?%}")  # the conditions; ids printed as data are not rules
    rule = re.compile(r"requester_id|user\.pk|\.role\b|\bmine\b|request\.(GET|POST)")
    for template in TEMPLATES.glob("*.html"):
        found = [t for t in tag.findall(template.read_text()) if rule.search(t)]
        assert not found, f"{template.name}: {found}"


def test_each_person_is_offered_what_they_may_do(cast: Cast, world: dict[str, Any]) -> None:
    review = world["review"]
    url = reverse("review_detail", args=[review.pk])
    alice = client_for(cast.alice).get(url)
    assert alice.context["access"].can_close and alice.context["access"].can_mark_helpful
    assert b"Close the request" in alice.content and b"This helped" in alice.content
    assert b"Who opened it" in alice.content and b"Give your feedback" not in alice.content
    bob = client_for(cast.bob).get(url)
    assert not bob.context["access"].can_close and bob.context["access"].can_give_feedback
    assert b"Close the request" not in bob.content and b"This helped" not in bob.content
    assert b"Make this next step my action" not in bob.content
    assert b"Who opened it" not in bob.content and b"Change your feedback" in bob.content
    # Refused in the view too, whatever the page offers.
    answer = world["feedback"].answers.first()
    bob_client = client_for(cast.bob)
    assert bob_client.post(reverse("review_close", args=[review.pk])).status_code == 403
    assert (
        bob_client.post(reverse("review_helpful", args=[review.pk, answer.pk])).status_code == 403
    )
    # After closing, nobody is offered to give feedback or a new version.
    client_for(cast.alice).post(reverse("review_close", args=[review.pk]))
    assert b"Change your feedback" not in client_for(cast.bob).get(url).content
    closed = client_for(cast.alice).get(url)
    assert not closed.context["access"].can_add_version
    assert b"Upload the new version" not in closed.content


# --- Services check who acts, not only the views ------------------------------------------------


def test_services_refuse_people_outside_the_audience(
    cast: Cast, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    carol = make_person_in(cast)
    review = ask(cast, whole_cluster=False, audience=[cast.bob])
    focus = review.focus_areas.first()
    with pytest.raises(services.ReviewError):
        services.save_feedback(review, carol, {focus.pk: ("x", "y")}, submit=True)
    with pytest.raises(services.ReviewError):
        services.save_feedback(review, cast.fay, {focus.pk: ("x", "y")})
    with pytest.raises(services.ReviewError):
        services.reply(review, cast.oscar, "Hello", None)
    # A chosen person must be a member of the cluster.
    with pytest.raises(services.ReviewError):
        ask(cast, whole_cluster=False, audience=[cast.oscar])
    # Someone else's document, or another cluster's, is not shared as one's own example.
    with pytest.raises(services.ReviewError):
        services.share_exemplar(
            cast.cluster, cast.bob, "Not mine", "sef", "x", version=review.versions.get()
        )
    assert not Feedback.objects.unscoped().filter(reviewer__in=[carol, cast.fay]).exists()
    assert not Reply.objects.unscoped().exists() and not Exemplar.objects.unscoped().exists()
    assert ReviewRequest.objects.unscoped().count() == 1


# --- Malformed input: refused, never a 500, nothing changed -------------------------------------


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.unscoped().count()  # type: ignore[attr-defined]
        for model in (
            ReviewRequest,
            FocusArea,
            DocumentVersion,
            Feedback,
            FocusAnswer,
            ChecklistAnswer,
            Reply,
            Exemplar,
        )
    } | {"AuditEntry": AuditEntry.objects.count()}


BAD_VALUES = ["²", "٣", HUGE, "-1", "0", "abc", "\x00", "x" * 1_000_000, "NaN", "<script>"]
UNSAYABLE = {"\x00", "x" * 1_000_000}  # refused even as free text


@pytest.mark.parametrize("value", BAD_VALUES)
def test_malformed_steps_replies_and_marks_are_refused(
    cast: Cast, world: dict[str, Any], value: str
) -> None:
    review, theirs = world["review"], world["theirs"]
    answer = world["feedback"].answers.first()
    before = counts()
    bob, alice = client_for(cast.bob), client_for(cast.alice)
    feedback_url = reverse("review_feedback", args=[review.pk])
    assert bob.get(feedback_url, {"step": value}).status_code == 200
    reply_url = reverse("review_reply", args=[review.pk])
    tries = [
        {"focus": value, "text": "Thanks"},
        {"focus": str(theirs.focus_areas.get().pk), "text": "Thanks"},  # another cluster's
    ]
    if value in UNSAYABLE:
        tries.append({"text": value})
    for data in tries:
        response = alice.post(reply_url, data, follow=True)
        assert response.status_code == 200, data
        assert [m.level_tag for m in response.context["messages"]] == ["error"]
    response = alice.post(
        reverse("review_helpful", args=[review.pk, answer.pk]), {"helpful": value}
    )
    assert response.status_code == 302
    assert counts() == before
    assert not FocusAnswer.objects.unscoped().filter(helpful=True).exists()


@pytest.mark.parametrize("value", BAD_VALUES)
def test_malformed_feedback_is_refused_and_changes_nothing(
    cast: Cast, world: dict[str, Any], value: str
) -> None:
    review = world["review"]
    url = reverse("review_feedback", args=[review.pk])
    first = review.focus_areas.first()
    carol = make_person_in(cast)
    before = counts()
    tries = [
        {f"strengths-{first.pk}": "Fine", "do": f"step-{value}"},
        {f"strengths-{first.pk}": "Fine", "do": value},
    ]
    if value in UNSAYABLE:
        tries.append({f"strengths-{first.pk}": value, f"next-{first.pk}": "Fine"})
    for data in tries:
        response = client_for(carol).post(url, data)
        assert response.status_code == 400, data
        assert b"There is a problem" in response.content
        assert counts() == before


def test_a_website_checklist_mark_outside_the_choices_is_refused(cast: Cast) -> None:
    checklist = Checklist.objects.get(applies_to="school")
    review = services.create_request(
        cast.cluster,
        cast.alice,
        kind="website",
        title="Our website",
        feedback_by=timezone.localdate(),
        focus=[("Clear?", None)],
        website_url="https://example.org",
        checklist=checklist,
    )
    item = checklist.items.first()
    before = counts()
    for value in ["maybe", "\x00", "x" * 100_000]:
        response = client_for(cast.bob).post(
            reverse("review_feedback", args=[review.pk]), {f"check-{item.pk}": value}
        )
        assert response.status_code == 400
        assert b"Mark each item found, partly or missing" in response.content
        assert value.encode()[:50] not in response.content or value == "maybe"
    assert counts() == before


@pytest.mark.parametrize(
    "field",
    [
        {"feedback_by": "10000-01-01"},
        {"feedback_by": "0000-00-00"},
        {"feedback_by": "9999-12-31"},
        {"feedback_by": "²⁰²⁶-01-01"},
        {"title": "Our SEF\x00"},
        {"title": "x" * 1_000_000},
        {"focus_1": "\x00"},
        {"audience_choice": "chosen", "audience": [HUGE]},
        {"audience_choice": "chosen", "audience": ["²"]},
        {"audience_choice": "x" * 100_000},
        {"topic_1": HUGE},
        {"document_kind": "\x00"},
        {"kind": "walk", "walk_date": "9999-12-31", "walk_time": "23:59"},
        {"kind": "walk", "walk_date": WEEK, "walk_time": "25:61"},
        {"kind": "walk", "walk_date": WEEK, "walk_time": "09:00", "walk_minutes": "²"},
        {"kind": "walk", "walk_date": WEEK, "walk_time": "09:00", "walk_minutes": HUGE},
        {"kind": "walk", "walk_date": WEEK, "walk_time": "09:00", "walk_minutes": "NaN"},
        {"kind": "website", "website_url": "javascript:alert(1)", "checklist": "1"},
        {"kind": "website", "website_url": "https://example.org", "checklist": HUGE},
        {"kind": "website", "website_url": "https://example.org", "checklist": "²"},
    ],
)
def test_a_malformed_request_is_refused_with_a_message(
    cast: Cast, settings: Any, tmp_path: Path, field: dict[str, Any]
) -> None:
    settings.MEDIA_ROOT = tmp_path
    field = dict(field)
    kind = field.pop("kind", "document")
    data = {
        "title": "Our SEF",
        "document_kind": "sef",
        "feedback_by": WEEK,
        "audience_choice": "all",
        "focus_1": "Is my evidence convincing?",
        "file": SimpleUploadedFile("sef.pdf", pdf_bytes()),
    } | field
    response = client_for(cast.alice).post(
        reverse("review_new", args=[cast.cluster.pk, kind]), data
    )
    assert response.status_code == 400
    assert b"There is a problem" in response.content
    assert not ReviewRequest.objects.unscoped().exists()


@pytest.mark.parametrize(
    "name",
    [
        "review_detail",
        "review_download",
        "review_report",
        "review_feedback",
        "review_helpful",
        "review_to_action",
        "review_list",
        "exemplars",
        "exemplar_download",
    ],
)
def test_ids_that_cannot_exist_or_belong_elsewhere_are_not_found(
    cast: Cast, world: dict[str, Any], name: str
) -> None:
    review, theirs = world["review"], world["theirs"]
    ids = {
        "review_id": review.pk,
        "version_id": review.versions.get().pk,
        "answer_id": world["feedback"].answers.first().pk,
        "cluster_id": cast.cluster.pk,
        "exemplar_id": 1,
    }
    elsewhere = {
        "review_id": theirs.pk,
        "version_id": theirs.versions.get().pk,
        "answer_id": 10**9,
        "cluster_id": cast.other_cluster.pk,
        "exemplar_id": 10**9,
    }
    keys = KEYS[name]
    method = "post" if name in {"review_helpful", "review_to_action"} else "get"
    before = counts()
    for key in keys:
        for value in (HUGE, str(2**31), str(elsewhere[key])):
            # Built from a good address, so that a stricter path converter cannot refuse to
            # make the bad one.
            url = reverse(name, kwargs={k: ids[k] for k in keys} | {key: SENTINEL})
            url = url.replace(str(SENTINEL), value)
            response = getattr(client_for(cast.alice), method)(url)
            assert response.status_code == 404, (key, value)
    assert counts() == before


SENTINEL = 987654321
KEYS = {
    "review_detail": ["review_id"],
    "review_download": ["review_id", "version_id"],
    "review_report": ["review_id"],
    "review_feedback": ["review_id"],
    "review_helpful": ["review_id", "answer_id"],
    "review_to_action": ["review_id", "answer_id"],
    "review_list": ["cluster_id"],
    "exemplars": ["cluster_id"],
    "exemplar_download": ["cluster_id", "exemplar_id"],
}


def test_an_example_is_shared_only_from_ones_own_documents(
    cast: Cast, world: dict[str, Any]
) -> None:
    alice = client_for(cast.alice)
    url = reverse("exemplars", args=[cast.cluster.pk])
    bob_review = services.create_request(
        cast.cluster,
        cast.bob,
        kind="document",
        title="Bob's plan",
        feedback_by=timezone.localdate(),
        focus=[("Clear?", None)],
        document_kind="plan",
        upload=services.CheckedFile(pdf_bytes(), "plan.pdf", filetypes.PDF),
    )
    before = counts()
    for version in [
        bob_review.versions.get().pk,  # a fellow member's
        world["theirs"].versions.get().pk,  # another cluster's
        HUGE,
        "²",
        "\x00",
        "x" * 100_000,
    ]:
        data = {"title": "Mine", "document_kind": "sef", "note": "x", "version": version}
        response = alice.post(url, data)
        assert response.status_code == 400, version
        assert "version" in response.context["form"].errors
        assert b"Bob&#x27;s plan" not in response.content
        page = alice.get(url, {"version": version})
        assert page.status_code == 200 and b"Sharing the latest version" not in page.content
    assert counts() == before
    own = world["review"].versions.get()
    assert b"Sharing the latest version" in alice.get(url, {"version": own.pk}).content


# --- Looking inside a document without unpacking it ---------------------------------------------


def deflated(name: str, prefix: bytes, megabytes: int) -> bytes:
    """A small zip whose entry ``name`` inflates to ``megabytes`` of zeros after ``prefix``."""
    buffer = io.BytesIO()
    chunk = b"\0" * (1 << 20)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open(name, "w") as member:
            member.write(prefix)
            for _ in range(megabytes):
                member.write(chunk)
        z.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def peak_while_checking(name: str, data: bytes) -> tuple[int, BaseException | None]:
    tracemalloc.start()
    try:
        filetypes.check(name, data)
        error: BaseException | None = None
    except filetypes.FileRefused as e:
        error = e
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, error


def test_an_opendocument_whose_mimetype_inflates_to_500_mb_is_refused_in_little_memory() -> None:
    bomb = deflated("mimetype", filetypes.ODT.content_type.encode(), 500)
    assert len(bomb) < filetypes.MAX_BYTES
    peak, error = peak_while_checking("policy.odt", bomb)
    assert isinstance(error, filetypes.FileRefused)
    assert "unpacks to far more than any document" in str(error)
    assert peak < 4 * 1024 * 1024


def test_a_mimetype_entry_that_is_not_a_short_line_is_not_read() -> None:
    """Under the total limit, a long ``mimetype`` is still not inflated: not a document."""
    data = deflated("mimetype", filetypes.ODT.content_type.encode(), 50)
    peak, error = peak_while_checking("policy.odt", data)
    assert error is not None and "not a document we accept" in str(error)
    assert peak < 4 * 1024 * 1024


def test_a_mimetype_in_another_compression_is_not_opened() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("mimetype", filetypes.ODT.content_type, compress_type=zipfile.ZIP_BZIP2)
    with pytest.raises(filetypes.FileRefused, match="not a document we accept"):
        filetypes.check("policy.odt", buffer.getvalue())


def test_an_archive_of_too_many_entries_is_refused_before_it_is_parsed() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        for n in range(filetypes.MAX_ENTRIES):
            z.writestr(f"word/{n}", "")
    peak, error = peak_while_checking("plan.docx", buffer.getvalue())
    assert error is not None and "unpacks to far more" in str(error)
    assert peak < 1024 * 1024  # the directory was not read into memory


def test_a_long_presentation_is_still_accepted() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        for n in range(1500):
            z.writestr(f"ppt/slides/slide{n}.xml", "<p:sld/>" * 50)
    assert filetypes.check("inset.pptx", buffer.getvalue())[0] == filetypes.PPTX
    assert filetypes.check("policy.odt", odf(filetypes.ODT.content_type))[0] == filetypes.ODT
    assert filetypes.check("plan.docx", ooxml("word"))[0] == filetypes.DOCX


def test_a_zip_bomb_upload_is_refused_with_the_reason_and_nothing_is_stored(
    cast: Cast, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    bomb = deflated("mimetype", filetypes.ODT.content_type.encode(), 300)
    response = client_for(cast.alice).post(
        reverse("review_new", args=[cast.cluster.pk, "document"]),
        {
            "title": "Policy",
            "document_kind": "policy",
            "feedback_by": WEEK,
            "audience_choice": "all",
            "focus_1": "Clear?",
            "file": SimpleUploadedFile("policy.odt", bomb),
        },
    )
    assert response.status_code == 400
    assert b"unpacks to far more than any document" in response.content
    assert not DocumentVersion.objects.unscoped().exists()
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_nobody_else_is_made_a_reviewer_by_a_crafted_post(
    cast: Cast, world: dict[str, Any]
) -> None:
    """Cora (the coordinator) and Oscar (another cluster) post feedback: 404, nothing saved."""
    review = world["review"]
    first = review.focus_areas.first()
    before = counts()
    for who in (cast.cora, cast.oscar, cast.newbie, cast.rita):
        response = client_for(who).post(
            reverse("review_feedback", args=[review.pk]),
            {f"strengths-{first.pk}": "x", f"next-{first.pk}": "y", "do": "send"},
        )
        assert response.status_code == 404
    other = make_person("zed@example.test", "Zed")
    assert client_for(other).get(reverse("review_detail", args=[review.pk])).status_code == 404
    assert counts() == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("v2.pdf", lambda: b"MZ\x90\x00" + b"\x00" * 100, "content is not a document"),
        ("v2.exe", pdf_bytes, "Share a PDF, Word"),
        ("v2.odt", lambda: deflated("mimetype", b"x", 300), "unpacks to far more"),
        (None, bytes, "Choose the file to upload"),
    ],
)
def test_a_bad_new_version_is_refused_with_the_reason(
    cast: Cast, world: dict[str, Any], name: str | None, content: Any, message: str
) -> None:
    review = world["review"]
    data = {"file": SimpleUploadedFile(name, content())} if name else {}
    response = client_for(cast.alice).post(
        reverse("review_version_add", args=[review.pk]), data, follow=True
    )
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and message in shown[0]
    assert review.versions.count() == 1
