"""Workflows of opening up: ask for feedback, give it, use it, share examples."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Cluster
from nextpractice.core.models import Kind
from nextpractice.core.notifications import notify
from nextpractice.core.once import KeySpent, once
from nextpractice.meetings.models import Action
from nextpractice.meetings.services import next_meeting

from . import filetypes
from .models import (
    AccessEntry,
    DocumentVersion,
    Exemplar,
    Feedback,
    FocusAnswer,
    FocusArea,
    Reply,
    ReviewKind,
    ReviewRequest,
)

logger = logging.getLogger(__name__)


class ReviewError(Exception):
    """A step that cannot happen; the message is shown to the person."""


class StorageFailed(ReviewError):
    """The uploaded file could not be written (disk full, folder not writable)."""


STORAGE_FAILED = (
    "The file could not be stored, so nothing was saved. Try again; if it happens again, "
    "tell the administrator."
)

# Files stored by the service call under way, removed again if its transaction rolls back.
_stored: ContextVar[list[FieldFile] | None] = ContextVar("stored_files", default=None)

P = ParamSpec("P")
R = TypeVar("R")


def atomic_with_files(func: Callable[P, R]) -> Callable[P, R]:
    """transaction.atomic, and the files the call stored are deleted when it fails: a
    rolled-back row leaves no orphaned document on disk."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _files_kept_on_success(), transaction.atomic():
            return func(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def _files_kept_on_success() -> Iterator[None]:
    token = _stored.set([])
    try:
        yield
    except BaseException:
        for file in _stored.get() or []:
            if file.name:
                with contextlib.suppress(OSError):
                    file.storage.delete(file.name)
        raise
    finally:
        _stored.reset(token)


def _store(file: FieldFile, content: bytes) -> None:
    """Write an uploaded document through the storage API (so an S3-compatible store can
    replace the disk), or StorageFailed: the storage leaves no partial file, the caller's
    transaction rolls back, and the person is told nothing was saved."""
    try:
        file.save("document", ContentFile(content), save=False)
    except OSError as e:
        # The reason for the administrator, never the file's name or owner.
        logger.error("An uploaded document could not be stored: %s", e.strerror or type(e))
        raise StorageFailed(STORAGE_FAILED) from None
    stored = _stored.get()
    if stored is not None:
        stored.append(file)


@dataclass
class CheckedFile:
    content: bytes
    name: str
    kind: filetypes.Kind


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Read and check an uploaded document (size first, then content), or ReviewError."""
    if upload.size is not None and upload.size > filetypes.MAX_BYTES:
        raise ReviewError(
            f"The file is {upload.size / 1024 / 1024:.1f} MB: the most we take is 20 MB."
        )
    data = upload.read(filetypes.MAX_BYTES + 1)
    try:
        kind, name = filetypes.check(upload.name or "document", data)
    except filetypes.FileRefused as e:
        raise ReviewError(str(e)) from None
    return CheckedFile(data, name, kind)


def _store_version(review: ReviewRequest, by: User, checked: CheckedFile) -> DocumentVersion:
    number = (review.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = DocumentVersion(
        request=review,
        number=number,
        original_name=checked.name,
        content_type=checked.kind.content_type,
        size=len(checked.content),
        uploaded_by=by,
    )
    _store(version.file, checked.content)
    version.save()
    return version


def audience_of(review: ReviewRequest) -> list[User]:
    """Everyone who may see the request, except the requester (the people to tell)."""
    return [
        m.user
        for m in review.audience_memberships().select_related("user")
        if m.user_id != review.requester_id
    ]


def _check_audience(cluster: Cluster, audience: Sequence[User]) -> None:
    members = set(cluster.memberships.current().members().values_list("user_id", flat=True))
    if not {person.pk for person in audience} <= members:
        raise ReviewError("Choose people from the members of your cluster.")


@atomic_with_files
def create_request(
    cluster: Cluster,
    by: User,
    *,
    kind: str,
    title: str,
    feedback_by: dt.date,
    focus: Sequence[tuple[str, Any]],
    whole_cluster: bool = True,
    audience: Sequence[User] = (),
    include_facilitator: bool = False,
    document_kind: str = "",
    upload: CheckedFile | None = None,
    website_url: str = "",
    checklist: Any = None,
    walk_starts_at: dt.datetime | None = None,
    walk_minutes: int = 60,
    arrival: str = "",
    once_key: str = "",
) -> ReviewRequest:
    """Open a request; everyone in its audience is told by email. With ``once_key`` (the
    form's one-time key) a repeat of the same submission returns the first request and
    stores, records and sends nothing again."""
    if not focus:
        raise ReviewError("Name at least one focus area: what do you want to know?")
    if kind == ReviewKind.DOCUMENT and upload is None:
        raise ReviewError("Choose the document to share.")
    if kind == ReviewKind.WALK and walk_starts_at is None:
        raise ReviewError("Give the date and time of the walk.")
    if not whole_cluster and not audience:
        raise ReviewError("Choose at least one member, or ask the whole cluster.")
    _check_audience(cluster, audience)

    def create() -> ReviewRequest:
        return _open_request(
            cluster,
            by,
            kind=kind,
            title=title,
            feedback_by=feedback_by,
            focus=focus,
            whole_cluster=whole_cluster,
            audience=audience,
            include_facilitator=include_facilitator,
            document_kind=document_kind,
            upload=upload,
            website_url=website_url,
            checklist=checklist,
            walk_starts_at=walk_starts_at,
            walk_minutes=walk_minutes,
            arrival=arrival,
        )

    try:
        return once(by.pk, once_key, ReviewRequest, create, within={"cluster_id": cluster.pk})
    except KeySpent as e:
        raise ReviewError(str(e)) from None


def _open_request(
    cluster: Cluster,
    by: User,
    *,
    kind: str,
    title: str,
    feedback_by: dt.date,
    focus: Sequence[tuple[str, Any]],
    whole_cluster: bool,
    audience: Sequence[User],
    include_facilitator: bool,
    document_kind: str,
    upload: CheckedFile | None,
    website_url: str,
    checklist: Any,
    walk_starts_at: dt.datetime | None,
    walk_minutes: int,
    arrival: str,
) -> ReviewRequest:
    review = ReviewRequest.objects.create(
        cluster=cluster,
        requester=by,
        kind=kind,
        title=title,
        feedback_by=feedback_by,
        whole_cluster=whole_cluster,
        include_facilitator=include_facilitator,
        document_kind=document_kind,
        website_url=website_url,
        checklist=checklist,
        walk_starts_at=walk_starts_at,
        walk_minutes=walk_minutes,
        arrival=arrival,
    )
    review.audience.set(audience)
    FocusArea.objects.bulk_create(
        [
            FocusArea(request=review, question=q, topic=topic, position=i)
            for i, (q, topic) in enumerate(focus)
        ]
    )
    if upload is not None:
        _store_version(review, by, upload)
    # A request's trail is its own page (versions, feedback, replies, who opened it), not
    # the cluster's activity, which the facilitator and members outside the audience read:
    # review entries name no title and belong to no cluster.
    record(by, "review.requested", review, f"{by} asked for feedback")
    notify(
        audience_of(review),
        cluster,
        Kind.FEEDBACK_ASKED,
        f"{by} asked for your feedback by {review.feedback_by:%-d %B}",
        reverse("review_detail", args=[review.pk]),
        email=("emails/review_requested", {"review": review, "by": by}),
    )
    return review


@atomic_with_files
def add_version(review: ReviewRequest, by: User, upload: CheckedFile) -> DocumentVersion:
    if not review.is_open:
        raise ReviewError("This request is closed.")
    if by.pk != review.requester_id:
        raise ReviewError("Only the person who asked can upload a new version.")
    if review.kind != ReviewKind.DOCUMENT:
        raise ReviewError("Only a document has versions.")
    version = _store_version(review, by, upload)
    record(by, "review.version", review, f"{by} uploaded version {version.number}")
    return version


def save_feedback(
    review: ReviewRequest,
    reviewer: User,
    answers: dict[int, tuple[str, str]],
    overall: str = "",
    checklist: dict[int, tuple[str, str]] | None = None,
    *,
    submit: bool = False,
) -> Feedback:
    """Save a reviewer's answers (a draft, or sent). Sending needs strengths and next steps
    for every focus area: feedback stays balanced. Only the given focus areas and checklist
    items are changed, so a phone sending one screen at a time keeps the others."""
    if not review.is_open:
        raise ReviewError("This request is closed: feedback can no longer change.")
    if reviewer.pk == review.requester_id:
        raise ReviewError("You asked for this feedback: others give it.")
    if not ReviewRequest.objects.visible_to(reviewer).filter(pk=review.pk).exists():
        raise ReviewError("You are not asked for feedback on this request.")
    focus_ids = set(review.focus_areas.values_list("pk", flat=True))
    if not set(answers) <= focus_ids:
        raise ReviewError("That focus area is not part of this request.")
    item_ids = (
        set(review.checklist.items.values_list("pk", flat=True)) if review.checklist else set()
    )
    if not set(checklist or {}) <= item_ids:
        raise ReviewError("That item is not on this request's checklist.")
    # A draft is not audited: the page keeps one every few seconds while the reviewer types.
    with transaction.atomic():  # the draft is kept even when sending is refused below
        feedback, _ = review.feedback.select_for_update().get_or_create(
            request=review, reviewer=reviewer
        )
        for focus_id, (strengths, next_steps) in answers.items():
            feedback.answers.update_or_create(
                focus_id=focus_id,
                defaults={"strengths": strengths.strip(), "next_steps": next_steps.strip()},
            )
        for item_id, (status, note) in (checklist or {}).items():
            feedback.checklist_answers.update_or_create(
                item_id=item_id, defaults={"status": status, "note": note.strip()}
            )
        if overall.strip():
            feedback.overall = overall.strip()
        feedback.version = review.versions.first()
        feedback.updated_at = timezone.now()
        feedback.save()
    if submit:
        given = {a.focus_id for a in feedback.answers.all() if a.strengths and a.next_steps}
        missing = [f.question for f in review.focus_areas.all() if f.pk not in given]
        if missing:
            raise ReviewError(
                "Give both strengths and next steps for every focus area before sending "
                f"(still to do: {'; '.join(missing)})."
            )
        with transaction.atomic():
            first_time = (
                review.feedback.filter(pk=feedback.pk, submitted_at=None).update(
                    submitted_at=timezone.now()
                )
                == 1
            )
            if first_time:
                record(reviewer, "review.feedback_sent", feedback, f"{reviewer} sent feedback")
            # Told only while they may still read the review (not after leaving the cluster).
            if (
                first_time
                and ReviewRequest.objects.visible_to(review.requester).filter(pk=review.pk).exists()
            ):
                notify(
                    [review.requester],
                    review.cluster,
                    Kind.FEEDBACK_GIVEN,
                    f"{reviewer} sent you feedback",
                    reverse("review_detail", args=[review.pk]),
                    email=("emails/feedback_given", {"review": review, "by": reviewer}),
                )
        feedback.refresh_from_db()
    return feedback


@transaction.atomic
def close(review: ReviewRequest, by: User) -> None:
    if by.pk != review.requester_id:
        raise ReviewError("Only the person who asked can close the request.")
    if not review.is_open:
        raise ReviewError("This request is already closed.")
    review.closed_at = timezone.now()
    review.save(update_fields=["closed_at"])
    record(by, "review.closed", review, f"{by} closed a request for feedback")


@transaction.atomic
def reply(review: ReviewRequest, by: User, text: str, focus: FocusArea | None) -> Reply:
    """A reply under a focus area (or on the whole), by anyone in the audience."""
    if not text.strip():
        raise ReviewError("Write your reply first.")
    if focus is not None and focus.request_id != review.pk:
        raise ReviewError("That focus area is not part of this request.")
    if not ReviewRequest.objects.visible_to(by).filter(pk=review.pk).exists():
        raise ReviewError("You are not asked for feedback on this request.")
    created = Reply.objects.create(request=review, author=by, text=text.strip(), focus=focus)
    record(by, "review.replied", created, f"{by} replied under feedback")
    return created


@transaction.atomic
def mark_helpful(answer: FocusAnswer, by: User, helpful: bool) -> None:
    if by.pk != answer.feedback.request.requester_id:
        raise ReviewError("Only the person who asked marks what helped.")
    if answer.feedback.submitted_at is None:
        raise ReviewError("That feedback is not sent yet.")
    if answer.helpful == helpful:
        return
    answer.helpful = helpful
    answer.save(update_fields=["helpful"])
    record(
        by,
        "review.helpful",
        answer,
        f"{by} {'marked' if helpful else 'unmarked'} an answer as helpful",
    )


@transaction.atomic
def to_action(answer: FocusAnswer, by: User) -> Action:
    """A next step becomes the requester's own action, due at the next meeting, so it is
    on that meeting's agenda."""
    review = answer.feedback.request
    if by.pk != review.requester_id:
        raise ReviewError("Only the person who asked turns feedback into actions.")
    if answer.action_id is not None:
        raise ReviewError("This next step is already one of your actions.")
    following = next_meeting(review.cluster_id)
    text = " ".join(answer.next_steps.split())
    action = Action.objects.create(
        cluster_id=review.cluster_id,
        title=text if len(text) <= 300 else text[:297] + "...",
        owner=by,
        due=following.local_start.date() if following else None,
        created_by=by,
    )
    answer.action = action
    answer.save(update_fields=["action"])
    # The action is the cluster's (it goes on the agenda); the request it came from is not.
    record(by, "action.set", action, f"{by} took on a next step from feedback", review.cluster)
    return action


def log_access(review: ReviewRequest, user: User, what: str, version: Any = None) -> None:
    """Record an opening or download by someone other than the requester."""
    # Itself the trail shown to the requester; not in the audit log, which would list every
    # page view.
    if user.pk != review.requester_id:
        AccessEntry.objects.create(request=review, user=user, what=what, version=version)


@atomic_with_files
def share_exemplar(
    cluster: Cluster,
    by: User,
    title: str,
    document_kind: str,
    note: str,
    upload: CheckedFile | None = None,
    version: DocumentVersion | None = None,
) -> Exemplar:
    """Share a document into the cluster's example library: a new file, or a version of
    one's own review request (the stored file is shared, not copied)."""
    if not cluster.memberships.agreed().members().filter(user=by).exists():
        raise ReviewError("The example library is for the cluster's members.")
    exemplar = Exemplar(
        cluster=cluster, shared_by=by, title=title, document_kind=document_kind, note=note
    )
    if version is not None:
        if version.request.requester_id != by.pk or version.request.cluster_id != cluster.pk:
            raise ReviewError("You can share your own documents only.")
        exemplar.file = version.file.name
        exemplar.original_name = version.original_name
        exemplar.content_type = version.content_type
        exemplar.size = version.size
    elif upload is not None:
        exemplar.original_name = upload.name
        exemplar.content_type = upload.kind.content_type
        exemplar.size = len(upload.content)
        _store(exemplar.file, upload.content)
    else:
        raise ReviewError("Choose the document to share.")
    exemplar.save()
    record(by, "exemplar.shared", exemplar, f"{by} shared an example in the library", cluster)
    return exemplar


def collated(review: ReviewRequest, user: Any) -> list[dict[str, Any]]:
    """Per focus area: every sent answer (strengths and next steps) and the replies, as
    ``user`` (in the request's audience) reads them."""
    focus_areas = list(review.focus_areas.select_related("topic"))
    answers = (
        FocusAnswer.objects.visible_to(user)
        .filter(feedback__request=review, feedback__submitted_at__isnull=False)
        .select_related("feedback__reviewer", "action")
        .order_by("feedback__submitted_at", "pk")
    )
    by_focus: dict[int, list[FocusAnswer]] = {f.pk: [] for f in focus_areas}
    for answer in answers:
        by_focus[answer.focus_id].append(answer)
    replies: dict[int | None, list[Reply]] = {}
    for r in Reply.objects.visible_to(user).filter(request=review).select_related("author"):
        replies.setdefault(r.focus_id, []).append(r)
    return [
        {"focus": f, "answers": by_focus[f.pk], "replies": replies.get(f.pk, [])}
        for f in focus_areas
    ]
