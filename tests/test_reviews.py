"""Opening up: review requests, feedback, the example library, and files kept private."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from nextpractice.core.models import OutboundEmail
from nextpractice.meetings import planner
from nextpractice.meetings.models import Action
from nextpractice.reviews import filetypes, services
from nextpractice.reviews.models import (
    AccessEntry,
    Checklist,
    DocumentVersion,
    Exemplar,
    Feedback,
    ReviewRequest,
)

from .conftest import Cast, client_for, make_meeting

WEEK = (timezone.localdate() + dt.timedelta(days=7)).isoformat()


# --- Real files of each allowed type -------------------------------------------------------


def pdf_bytes(text: str = "Self-evaluation: leadership and management") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def ooxml(part: str) -> bytes:
    """A minimal Office Open XML package (what Word, Excel and PowerPoint save)."""
    kinds = {
        "word": ("word/document.xml", "wordprocessingml.document.main+xml"),
        "xl": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
        "ppt": ("ppt/presentation.xml", "presentationml.presentation.main+xml"),
    }
    path, ct = kinds[part]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'content-types"><Override PartName="/{path}" ContentType="application/'
            f'vnd.openxmlformats-officedocument.{ct}"/></Types>',
        )
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        z.writestr(path, '<?xml version="1.0"?><document/>')
    return buffer.getvalue()


def odf(mimetype: str) -> bytes:
    """A minimal OpenDocument package: the mimetype first and stored, as the standard says."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest/>')
    return buffer.getvalue()


def ole() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


GOOD_FILES = [
    ("sef.pdf", pdf_bytes(), "application/pdf"),
    ("plan.docx", ooxml("word"), filetypes.DOCX.content_type),
    ("budget.xlsx", ooxml("xl"), filetypes.XLSX.content_type),
    ("inset.pptx", ooxml("ppt"), filetypes.PPTX.content_type),
    ("policy.odt", odf(filetypes.ODT.content_type), filetypes.ODT.content_type),
    ("figures.ods", odf(filetypes.ODS.content_type), filetypes.ODS.content_type),
    ("slides.odp", odf(filetypes.ODP.content_type), filetypes.ODP.content_type),
    ("old-policy.doc", ole(), "application/octet-stream"),
]


def new_request(client: Any, cluster_id: int, kind: str = "document", **extra: Any) -> Any:
    data = {
        "title": "Our SEF",
        "document_kind": "sef",
        "feedback_by": WEEK,
        "audience_choice": "all",
        "focus_1": "Is my evidence for leadership convincing?",
        "focus_2": "Does the impact section read well?",
    } | extra
    return client.post(reverse("review_new", args=[cluster_id, kind]), data)


@pytest.mark.parametrize(("name", "content", "content_type"), GOOD_FILES)
def test_each_allowed_kind_of_document_is_stored_privately_and_downloads(
    cast: Cast, settings: Any, tmp_path: Path, name: str, content: bytes, content_type: str
) -> None:
    settings.MEDIA_ROOT = tmp_path
    response = new_request(
        client_for(cast.alice), cast.cluster.pk, file=SimpleUploadedFile(name, content)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    version = DocumentVersion.objects.get()
    assert version.original_name == name and version.content_type == content_type
    stored = Path(version.file.path)
    assert stored.is_relative_to(tmp_path) and name not in str(stored)  # a random name
    assert stored.read_bytes() == content
    download = client_for(cast.bob).get(
        reverse("review_download", args=[version.request_id, version.pk])
    )
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="{name}"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == content
    assert AccessEntry.objects.filter(user=cast.bob, what="downloaded").exists()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("sef.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "content is not a document"),
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "Share a PDF, Word"),
        ("sef.pdf", b"This is plain text pretending to be a PDF", "content is not a document"),
        ("sef.pdf", ooxml("word"), "named .pdf but its content is Word"),
        ("macro.docm", ooxml("word"), "Share a PDF, Word"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_a_bad_file_is_refused_with_the_reason_and_nothing_is_stored(
    cast: Cast, settings: Any, tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    settings.MEDIA_ROOT = tmp_path
    response = new_request(
        client_for(cast.alice), cast.cluster.pk, file=SimpleUploadedFile(name, content)
    )
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not ReviewRequest.objects.exists() and not DocumentVersion.objects.exists()
    assert not any(tmp_path.rglob("*")) or not any(p.is_file() for p in tmp_path.rglob("*"))
    assert not OutboundEmail.objects.exists()


def test_an_oversize_file_is_refused_before_it_is_read(
    cast: Cast, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    big = pdf_bytes() + b"0" * (20 * 1024 * 1024)
    response = new_request(
        client_for(cast.alice), cast.cluster.pk, file=SimpleUploadedFile("big.pdf", big)
    )
    assert response.status_code == 400 and b"the most we take is 20 MB" in response.content
    assert not DocumentVersion.objects.exists()


def test_a_filename_with_path_characters_is_made_safe(
    cast: Cast, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    new_request(
        client_for(cast.alice),
        cast.cluster.pk,
        file=SimpleUploadedFile('../../etc/Our SEF; "final".pdf', pdf_bytes()),
    )
    version = DocumentVersion.objects.get()
    assert version.original_name == "Our SEF_ _final_.pdf"
    assert Path(version.file.path).resolve().is_relative_to(tmp_path.resolve())
    response = client_for(cast.bob).get(
        reverse("review_download", args=[version.request_id, version.pk])
    )
    assert (
        "/" not in response["Content-Disposition"] and ".." not in response["Content-Disposition"]
    )


# --- Asking, answering, using the feedback ----------------------------------------------------


@pytest.fixture
def sef(cast: Cast, settings: Any, tmp_path: Path) -> ReviewRequest:
    settings.MEDIA_ROOT = tmp_path
    new_request(
        client_for(cast.alice), cast.cluster.pk, file=SimpleUploadedFile("sef.pdf", pdf_bytes())
    )
    return ReviewRequest.objects.get()


def answer(
    review: ReviewRequest, strengths: str = "Clear vision", nxt: str = "Show impact"
) -> dict[str, str]:
    data = {}
    for focus in review.focus_areas.all():
        data[f"strengths-{focus.pk}"] = f"{strengths} ({focus.position})"
        data[f"next-{focus.pk}"] = f"{nxt} ({focus.position})"
    return data


def test_asking_emails_the_audience_and_not_the_facilitator_unless_asked(
    cast: Cast, sef: ReviewRequest
) -> None:
    assert sorted(OutboundEmail.objects.values_list("to", flat=True)) == [cast.bob.email]
    email = OutboundEmail.objects.get()
    assert "Is my evidence for leadership convincing?" in email.body
    assert f"/reviews/{sef.pk}/" in email.body
    # Fay (facilitator, not asked) and Oscar (another cluster) cannot see it.
    assert client_for(cast.fay).get(reverse("review_detail", args=[sef.pk])).status_code == 404
    assert client_for(cast.oscar).get(reverse("review_detail", args=[sef.pk])).status_code == 404
    sef.include_facilitator = True
    sef.save()
    assert client_for(cast.fay).get(reverse("review_detail", args=[sef.pk])).status_code == 200


def test_feedback_needs_strengths_and_next_steps_for_every_focus_area(
    cast: Cast, sef: ReviewRequest
) -> None:
    bob = client_for(cast.bob)
    url = reverse("review_feedback", args=[sef.pk])
    first = sef.focus_areas.first()
    half = {f"strengths-{first.pk}": "Clear vision", f"next-{first.pk}": ""}  # type: ignore[union-attr]
    response = bob.post(url, half | {"do": "send"})
    assert response.status_code == 400
    assert b"Give both strengths and next steps" in response.content
    draft = Feedback.objects.get(reviewer=cast.bob)
    assert draft.submitted_at is None  # the draft is kept, not sent
    assert draft.answers.get().strengths == "Clear vision"
    response = bob.post(url, answer(sef) | {"do": "send", "overall": "A strong start."})
    assert response.status_code == 302
    sent = Feedback.objects.get(reviewer=cast.bob)
    assert sent.submitted_at is not None and sent.overall == "A strong start."
    assert OutboundEmail.objects.filter(
        to=cast.alice.email, subject__contains="sent feedback"
    ).exists()
    # Still editable until Alice closes the request; then not.
    assert bob.post(url, answer(sef, "Even clearer") | {"do": "send"}).status_code == 302
    client_for(cast.alice).post(reverse("review_close", args=[sef.pk]))
    response = bob.post(url, answer(sef, "Too late") | {"do": "send"})
    assert response.status_code == 400 and b"closed" in response.content
    assert "Even clearer" in sef.focus_areas.first().answers.get().strengths  # type: ignore[union-attr]


def test_the_requester_sees_feedback_by_focus_area_replies_and_makes_an_action(
    cast: Cast, sef: ReviewRequest
) -> None:
    make_meeting(cast.cluster, dt.timedelta(days=20))
    client_for(cast.bob).post(
        reverse("review_feedback", args=[sef.pk]), answer(sef) | {"do": "send"}
    )
    alice = client_for(cast.alice)
    page = alice.get(reverse("review_detail", args=[sef.pk]))
    assert page.status_code == 200
    sections = page.context["sections"]
    assert [s["focus"].question for s in sections] == [
        "Is my evidence for leadership convincing?",
        "Does the impact section read well?",
    ]
    given = sections[0]["answers"][0]
    assert given.strengths == "Clear vision (0)" and given.next_steps == "Show impact (0)"
    # Bob opens the request: Alice sees that he did, and when.
    client_for(cast.bob).get(reverse("review_detail", args=[sef.pk]))
    assert b"Bob Baker opened" in alice.get(reverse("review_detail", args=[sef.pk])).content
    alice.post(reverse("review_helpful", args=[sef.pk, given.pk]), {"helpful": "yes"})
    alice.post(
        reverse("review_reply", args=[sef.pk]),
        {"focus": sections[0]["focus"].pk, "text": "Thank you!"},
    )
    alice.post(reverse("review_to_action", args=[sef.pk, given.pk]))
    action = Action.objects.get(owner=cast.alice)
    assert action.title == "Show impact (0)"
    assert action.due is not None  # the next meeting, so it is on that agenda
    page = alice.get(reverse("review_detail", args=[sef.pk]))
    assert b"Helped" in page.content and b"Thank you!" in page.content
    assert b"your actions" in page.content
    # Only Alice uses her feedback that way.
    assert (
        client_for(cast.bob).post(reverse("review_to_action", args=[sef.pk, given.pk])).status_code
        == 403
    )


def test_the_report_downloads_as_a_pdf_with_the_feedback_in_it(
    cast: Cast, sef: ReviewRequest
) -> None:
    from pypdf import PdfReader

    client_for(cast.bob).post(
        reverse("review_feedback", args=[sef.pk]),
        answer(sef, "Your \u201cvision\u201d is clear", "Declutter the entrance") | {"do": "send"},
    )
    response = client_for(cast.alice).get(reverse("review_report_pdf", args=[sef.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Our SEF" in text
    assert "Is my evidence for leadership convincing?" in text
    assert 'Your "vision" is clear (0)' in text and "Declutter the entrance (1)" in text
    assert "Bob Baker" in text
    printable = client_for(cast.alice).get(reverse("review_report", args=[sef.pk]))
    assert b"Declutter the entrance (1)" in printable.content


def test_a_new_version_keeps_the_old_one_and_its_feedback(cast: Cast, sef: ReviewRequest) -> None:
    client_for(cast.bob).post(
        reverse("review_feedback", args=[sef.pk]), answer(sef) | {"do": "send"}
    )
    client_for(cast.alice).post(
        reverse("review_version_add", args=[sef.pk]),
        {"file": SimpleUploadedFile("sef-v2.pdf", pdf_bytes("Version two"))},
    )
    versions = list(sef.versions.all())
    assert [v.number for v in versions] == [2, 1]
    assert Feedback.objects.get().version == versions[1]
    for v in versions:
        assert (
            client_for(cast.bob).get(reverse("review_download", args=[sef.pk, v.pk])).status_code
            == 200
        )
    # Bob cannot upload a version of Alice's document.
    response = client_for(cast.bob).post(
        reverse("review_version_add", args=[sef.pk]),
        {"file": SimpleUploadedFile("x.pdf", pdf_bytes())},
    )
    assert response.status_code == 403


def test_chosen_members_only(cast: Cast, settings: Any, tmp_path: Path) -> None:
    from nextpractice.clusters.models import Membership

    settings.MEDIA_ROOT = tmp_path
    carol = make_person_in(cast)
    response = new_request(
        client_for(cast.alice),
        cast.cluster.pk,
        file=SimpleUploadedFile("sef.pdf", pdf_bytes()),
        audience_choice="chosen",
        audience=[str(cast.bob.pk)],
    )
    assert response.status_code == 302
    review = ReviewRequest.objects.get()
    assert client_for(cast.bob).get(reverse("review_detail", args=[review.pk])).status_code == 200
    assert client_for(carol).get(reverse("review_detail", args=[review.pk])).status_code == 404
    version = review.versions.get()
    assert (
        client_for(carol).get(reverse("review_download", args=[review.pk, version.pk])).status_code
        == 404
    )
    assert Membership.objects.filter(user=carol, cluster=cast.cluster).exists()


def make_person_in(cast: Cast) -> Any:
    from nextpractice.clusters.models import Membership

    from .conftest import make_person

    carol = make_person("carol@example.test", "Carol Cole")
    Membership.objects.create(cluster=cast.cluster, user=carol, ground_rules_agreed_version=1)
    return carol


def test_a_website_is_reviewed_against_the_checklist(cast: Cast) -> None:
    checklist = Checklist.objects.get(applies_to="school")
    response = new_request(
        client_for(cast.alice),
        cast.cluster.pk,
        "website",
        title="Our website",
        website_url="https://setting0.example",
        checklist=str(checklist.pk),
    )
    assert response.status_code == 302
    review = ReviewRequest.objects.get()
    items = list(checklist.items.all())
    assert any("SENCo" in i.text for i in items) and any(
        "PE and sport premium" in i.text for i in items
    )
    marks = {
        f"check-{items[0].pk}": "found",
        f"check-{items[1].pk}": "missing",
        f"note-{items[1].pk}": "No behaviour policy on the site",
    }
    bad = client_for(cast.bob).post(
        reverse("review_feedback", args=[review.pk]), {f"check-{items[2].pk}": "maybe"}
    )
    assert bad.status_code == 400
    client_for(cast.bob).post(
        reverse("review_feedback", args=[review.pk]), answer(review) | marks | {"do": "send"}
    )
    page = client_for(cast.alice).get(reverse("review_detail", args=[review.pk]))
    assert b"No behaviour policy on the site" in page.content and b"missing" in page.content


def test_a_learning_walk_is_one_focus_area_per_screen_and_in_the_diary(cast: Cast) -> None:
    from icalendar import Calendar

    from nextpractice.meetings.models import CalendarFeed

    day = timezone.localdate() + dt.timedelta(days=10)
    response = new_request(
        client_for(cast.alice),
        cast.cluster.pk,
        "walk",
        title="Walk our outdoor area",
        walk_date=day.isoformat(),
        walk_time="09:30",
        walk_minutes=60,
        arrival="Park on Mill Lane; ring the nursery bell.",
    )
    assert response.status_code == 302
    walk = ReviewRequest.objects.get()
    bob = client_for(cast.bob)
    url = reverse("review_feedback", args=[walk.pk])
    first, second = list(walk.focus_areas.all())
    assert bob.get(url)["Location"].endswith("?step=1")
    step1 = bob.get(url + "?step=1")
    assert b"Area 1 of 2" in step1.content and b"no photographs" in step1.content
    # Every area is on the page (for moving between them offline), one shown: the others
    # are hidden and their fields disabled, so that without JavaScript a screen's button
    # sends that screen only.
    screens = re.findall(rb"<div class=\"np-walk-screen\"[^>]*>", step1.content)
    assert [b" hidden" in s for s in screens] == [False, True, True]
    assert first.question.encode() in step1.content and second.question.encode() in step1.content
    assert step1.content.count(b" disabled data-off") == 2  # area 2's fieldset, overall
    # Each screen keeps its answers as a draft and moves on.
    r = bob.post(
        url + "?step=1",
        {
            f"strengths-{first.pk}": "Calm",
            f"next-{first.pk}": "Declutter the entrance",
            "do": "step-2",
        },
    )
    assert r["Location"].endswith("?step=2")
    bob.post(
        url + "?step=2",
        {
            f"strengths-{second.pk}": "Lovely garden",
            f"next-{second.pk}": "More shade",
            "do": "step-3",
        },
    )
    r = bob.post(url + "?step=3", {"overall": "Thank you", "do": "send"})
    assert r.status_code == 302
    assert Feedback.objects.get().submitted_at is not None
    # In Bob's calendar feed and on the cluster's year page.
    feed = CalendarFeed.objects.create(user=cast.bob)
    cal = Calendar.from_ical(
        client_for(None).get(reverse("calendar_feed", args=[feed.token])).content
    )
    walks = [e for e in cal.walk("VEVENT") if "Learning walk" in str(e["SUMMARY"])]
    assert len(walks) == 1 and walks[0].decoded("DTSTART").hour == 9
    assert "Setting 0" in str(walks[0]["LOCATION"])
    start_year = planner.academic_year_of(day)
    year = client_for(cast.bob).get(
        reverse("meetings_year", args=[cast.cluster.pk]) + f"?year={start_year}"
    )
    assert b"Learning walk: Walk our outdoor area" in year.content
    # Not in Oscar's.
    oscar = CalendarFeed.objects.create(user=cast.oscar)
    assert (
        b"Learning walk"
        not in client_for(None).get(reverse("calendar_feed", args=[oscar.token])).content
    )


def test_a_walk_in_the_past_or_without_focus_is_refused(cast: Cast) -> None:
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    r = new_request(
        client_for(cast.alice), cast.cluster.pk, "walk", walk_date=yesterday, walk_time="09:00"
    )
    assert r.status_code == 400 and b"Choose a date in the future" in r.content
    r = new_request(
        client_for(cast.alice),
        cast.cluster.pk,
        "walk",
        walk_date=WEEK,
        walk_time="09:00",
        focus_1="",
    )
    assert r.status_code == 400 and b"This field is required" in r.content
    assert not ReviewRequest.objects.exists()


def test_the_example_library_shares_a_document_with_the_cluster_only(
    cast: Cast, sef: ReviewRequest
) -> None:
    version = sef.versions.get()
    alice = client_for(cast.alice)
    r = alice.post(
        reverse("exemplars", args=[cast.cluster.pk]),
        {
            "title": "My SEF, for the impact section",
            "document_kind": "sef",
            "note": "How I framed impact",
            "version": str(version.pk),
        },
    )
    assert r.status_code == 302
    item = Exemplar.objects.get()
    assert item.file.name == version.file.name  # shared, not copied
    r = client_for(cast.bob).get(reverse("exemplar_download", args=[cast.cluster.pk, item.pk]))
    assert r.status_code == 200 and r["X-Content-Type-Options"] == "nosniff"
    assert (
        client_for(cast.oscar)
        .get(reverse("exemplar_download", args=[cast.cluster.pk, item.pk]))
        .status_code
        == 404
    )
    # A bad file is refused and nothing is shared.
    r = alice.post(
        reverse("exemplars", args=[cast.cluster.pk]),
        {
            "title": "x",
            "document_kind": "sef",
            "note": "x",
            "file": SimpleUploadedFile("x.pdf", b"nope"),
        },
    )
    assert r.status_code == 400 and Exemplar.objects.count() == 1


REVIEW_GETS = ["review_detail", "review_download", "review_report", "review_report_pdf"]


@pytest.mark.parametrize("name", REVIEW_GETS)
@pytest.mark.parametrize(
    ("who", "include_facilitator", "expected"),
    [
        ("alice", False, 200),  # asked
        ("bob", False, 200),  # chosen
        ("carol", False, 404),  # a member outside the audience
        ("fay", False, 404),  # the facilitator, not asked
        ("fay", True, 200),  # the facilitator, asked
        ("oscar", False, 404),  # another cluster
        ("cora", False, 404),  # the coordinator
        ("rita", False, 404),  # the researcher
    ],
)
def test_only_the_audience_sees_a_request_for_chosen_members(
    cast: Cast,
    settings: Any,
    tmp_path: Path,
    name: str,
    who: str,
    include_facilitator: bool,
    expected: int,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    carol = make_person_in(cast)
    people = {
        "alice": cast.alice,
        "bob": cast.bob,
        "carol": carol,
        "fay": cast.fay,
        "oscar": cast.oscar,
        "cora": cast.cora,
        "rita": cast.rita,
    }
    review = services.create_request(
        cast.cluster,
        cast.alice,
        kind="document",
        title="Our SEF",
        feedback_by=timezone.localdate(),
        focus=[("Leadership?", None)],
        document_kind="sef",
        whole_cluster=False,
        audience=[cast.bob],
        include_facilitator=include_facilitator,
        upload=services.CheckedFile(pdf_bytes(), "sef.pdf", filetypes.PDF),
    )
    kwargs: dict[str, int] = {"review_id": review.pk}
    if name == "review_download":
        kwargs["version_id"] = review.versions.get().pk
    response = client_for(people[who]).get(reverse(name, kwargs=kwargs))
    assert response.status_code == expected
    if expected == 404:
        assert b"Our SEF" not in response.content
    feedback = client_for(people[who]).get(reverse("review_feedback", args=[review.pk]))
    assert feedback.status_code == {200: 403 if who == "alice" else 200, 404: 404}[expected]
