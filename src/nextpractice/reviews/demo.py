"""The demo network's reviews: in each active cluster, an open and a closed request of each
kind (document, website, learning walk) with feedback. Written straight to the database,
so loading the demo sends no email; documents are small invented PDFs."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.core.files.base import ContentFile
from django.utils import timezone
from fpdf import FPDF

from nextpractice.accounts.models import User
from nextpractice.clusters.models import Cluster
from nextpractice.core.words import possessive
from nextpractice.directory.access import get_own_setting
from nextpractice.directory.models import Topic
from nextpractice.meetings import planner

from . import filetypes
from .models import (
    Checklist,
    ChecklistAnswer,
    DocumentKind,
    DocumentVersion,
    Exemplar,
    Feedback,
    FocusAnswer,
    FocusArea,
    Found,
    ReviewKind,
    ReviewRequest,
)

QUESTIONS = {
    ReviewKind.DOCUMENT: [
        "Is my evidence for leadership convincing?",
        "Does the impact section show what changed for children?",
    ],
    ReviewKind.WEBSITE: [
        "Would a parent find what they need in two clicks?",
        "What would an inspector look for that is missing?",
    ],
    ReviewKind.WALK: [
        "How does our outdoor area feel to a visitor?",
        "Is the entrance welcoming?",
    ],
}
STRENGTHS = [
    "Clear and honest; the priorities follow from the evidence.",
    "Warm, calm and purposeful: children were busy and talking.",
    "Easy to read, with the important things first.",
    "Good use of your own data rather than generic statements.",
]
NEXT_STEPS = [
    "Your evidence lists activities, not impact: say what changed for children.",
    "Declutter the entrance: it hides the children's work.",
    "Put the SEND information report one click from the home page.",
    "Cut the section by half and lead with the three priorities.",
]
# A walk's visitors often say the same thing in their own words: the report groups them
# ("Declutter the entrance: 3 visitors"). Four, as above, so the demo's draws stay the same.
WALK_NEXT_STEPS = [
    "Declutter the entrance: it hides the children's work.",
    "The entrance needs decluttering so families see the children's work.",
    "More shade and seating in the outdoor area.",
    "Declutter the entrance; label the trays in the book corner.",
]


def _pdf(title: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(text=title)
    pdf.ln(12)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "An invented document for the Next Practice demo network.")
    return bytes(pdf.output())


def _feedback(
    review: ReviewRequest,
    reviewers: Sequence[User],
    rng: random.Random,
    *,
    sent: int,
    at: dt.datetime,
) -> None:
    focus = list(review.focus_areas.all())
    items = list(review.checklist.items.all()) if review.checklist else []
    for n, reviewer in enumerate(reviewers):
        feedback = Feedback.objects.create(
            request=review,
            reviewer=reviewer,
            overall="Thank you for opening this up to us." if n < sent else "",
            submitted_at=at if n < sent else None,
            updated_at=at,
            version=review.versions.first(),
        )
        FocusAnswer.objects.bulk_create(
            [
                FocusAnswer(
                    feedback=feedback,
                    focus=f,
                    strengths=rng.choice(STRENGTHS),
                    next_steps=rng.choice(
                        WALK_NEXT_STEPS if review.kind == ReviewKind.WALK else NEXT_STEPS
                    )
                    if n < sent
                    else "",
                    helpful=review.closed_at is not None and rng.random() < 0.5,
                )
                for f in focus
            ]
        )
        ChecklistAnswer.objects.bulk_create(
            [
                ChecklistAnswer(
                    feedback=feedback,
                    item=item,
                    status=rng.choice([Found.FOUND] * 4 + [Found.PARTLY, Found.MISSING]),
                )
                for item in items
            ]
        )


def build_cluster(cluster: Cluster, rng: random.Random) -> int:
    members = [
        m.user
        for m in cluster.memberships.current().members().select_related("user__profile__setting")
    ]
    if len(members) < 3:
        return 0
    now = timezone.now()
    topics = list(Topic.objects.all()[:6])
    checklists = {c.applies_to: c for c in Checklist.objects.all()}
    made = 0
    for k, kind in enumerate([ReviewKind.DOCUMENT, ReviewKind.WEBSITE, ReviewKind.WALK]):
        for closed in (True, False):
            requester = members[(2 * k + closed) % len(members)]
            others = [m for m in members if m != requester]
            asked = now - dt.timedelta(days=40 if closed else 5)
            setting = get_own_setting(requester)
            walk_day = timezone.localdate(asked) + dt.timedelta(days=10 if closed else 14)
            while walk_day.weekday() >= 5:
                walk_day += dt.timedelta(days=1)
            review = ReviewRequest.objects.create(
                cluster=cluster,
                requester=requester,
                kind=kind,
                title={
                    ReviewKind.DOCUMENT: "Our SEF" if closed else "Behaviour policy, new draft",
                    ReviewKind.WEBSITE: "Our website",
                    ReviewKind.WALK: "Walk our early years unit" if closed else "Outdoor area",
                }[kind],
                document_kind=(DocumentKind.SEF if closed else DocumentKind.POLICY)
                if kind == ReviewKind.DOCUMENT
                else "",
                website_url=(setting.website or "https://example.org")
                if kind == ReviewKind.WEBSITE and setting
                else "",
                checklist=checklists.get("school" if k % 2 == 0 else "early_years")
                if kind == ReviewKind.WEBSITE
                else None,
                walk_starts_at=planner.local_datetime(walk_day, dt.time(9, 30))
                if kind == ReviewKind.WALK
                else None,
                arrival="Park on the school road; the office will meet you."
                if kind == ReviewKind.WALK
                else "",
                feedback_by=timezone.localdate(asked) + dt.timedelta(days=14),
                created_at=asked,
                updated_at=asked,
                closed_at=asked + dt.timedelta(days=20) if closed else None,
            )
            FocusArea.objects.bulk_create(
                [
                    FocusArea(
                        request=review,
                        question=q,
                        topic=rng.choice(topics) if topics else None,
                        position=i,
                    )
                    for i, q in enumerate(QUESTIONS[kind])
                ]
            )
            if kind == ReviewKind.DOCUMENT:
                content = _pdf(review.title)
                version = DocumentVersion(
                    request=review,
                    number=1,
                    original_name=f"{review.title}.pdf",
                    content_type=filetypes.PDF.content_type,
                    size=len(content),
                    uploaded_by=requester,
                    uploaded_at=asked,
                )
                version.file.save("document", ContentFile(content), save=False)
                version.save()
                if closed:
                    Exemplar.objects.create(
                        cluster=cluster,
                        shared_by=requester,
                        title=f"{possessive(requester.get_short_name())} SEF",
                        document_kind=DocumentKind.SEF,
                        note="How we framed impact: each priority says what changed for children.",
                        file=version.file.name,
                        original_name=version.original_name,
                        content_type=version.content_type,
                        size=version.size,
                        created_at=asked + dt.timedelta(days=21),
                    )
            reviewers = others[:3] if closed else others[:2]
            _feedback(
                review,
                reviewers,
                rng,
                sent=len(reviewers) if closed else 1,
                at=asked + dt.timedelta(days=3),
            )
            made += 1
    return made


def build(clusters: Sequence[Cluster], seed: int) -> int:
    rng = random.Random(seed)
    return sum(build_cluster(c, rng) for c in clusters)
