from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nextpractice.clusters.access import get_cluster_for
from nextpractice.clusters.models import Role
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.meetings import planner

from . import report, services
from .access import get_review_for
from .forms import ExemplarForm, RequestForm, VersionForm
from .models import (
    AccessEntry,
    DocumentVersion,
    Exemplar,
    Feedback,
    FocusAnswer,
    Found,
    ReviewKind,
    ReviewRequest,
)


@login_required
@require_safe
def review_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    reviews = list(
        ReviewRequest.objects.visible_to(request.user, cluster.pk)
        .select_related("requester")
        .order_by("closed_at", "-created_at")
    )
    given = set(
        Feedback.objects.filter(
            reviewer=request.user, request__in=reviews, submitted_at__isnull=False
        ).values_list("request_id", flat=True)
    )
    return render(
        request,
        "reviews/list.html",
        {"cluster": cluster, "reviews": reviews, "given": given, "kinds": ReviewKind.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_new(request: AuthedHttpRequest, cluster_id: int, kind: str) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    if kind not in ReviewKind.values:
        raise Http404("No such kind")
    people = [
        m.user
        for m in cluster.memberships.filter(left_at=None).select_related("user")
        if m.user_id != request.user.pk and m.role == Role.MEMBER
    ]
    form = RequestForm(request.POST or None, request.FILES or None, kind=kind, people=people)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            upload = services.check_upload(data["file"]) if data.get("file") else None
            walk_at = (
                planner.local_datetime(data["walk_date"], data["walk_time"])
                if kind == ReviewKind.WALK
                else None
            )
            review = services.create_request(
                cluster,
                request.user,
                kind=kind,
                title=data["title"],
                feedback_by=data["feedback_by"],
                focus=form.focus(),
                whole_cluster=data["audience_choice"] == "all",
                audience=form.chosen(),
                include_facilitator=data["include_facilitator"],
                document_kind=data.get("document_kind", ""),
                upload=upload,
                website_url=data.get("website_url", ""),
                checklist=data.get("checklist"),
                walk_starts_at=walk_at,
                walk_minutes=data.get("walk_minutes") or 60,
                arrival=data.get("arrival", ""),
            )
        except services.ReviewError as e:
            form.add_error("file" if "file" in form.fields else None, str(e))
        else:
            messages.success(request, "Your request is sent to the people you asked.")
            return redirect("review_detail", review.pk)
    return render(
        request,
        "reviews/new.html",
        {"cluster": cluster, "form": form, "kind": ReviewKind(kind)},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
def review_detail(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    review, _ = get_review_for(request.user, review_id)
    services.log_access(review, request.user, AccessEntry.OPENED)
    mine = review.requester_id == request.user.pk
    feedback = list(
        Feedback.objects.filter(request=review).select_related("reviewer").order_by("pk")
    )
    own = next((f for f in feedback if f.reviewer_id == request.user.pk), None)
    access_log = list(review.access.select_related("user", "version")[:100]) if mine else []
    return render(
        request,
        "reviews/detail.html",
        {
            "review": review,
            "cluster": review.cluster,
            "mine": mine,
            "sections": services.collated(review),
            "focus_areas": list(review.focus_areas.select_related("topic")),
            "versions": list(review.versions.select_related("uploaded_by")),
            "sent": [f for f in feedback if f.submitted_at],
            "own": own,
            "access_log": access_log,
            "version_form": VersionForm(),
            "checklist": _checklist_summary(review) if review.checklist_id else None,
        },
    )


def _checklist_summary(review: ReviewRequest) -> list[dict[str, Any]]:
    """Each checklist item with what every reviewer found."""
    from .models import ChecklistAnswer

    items = list(review.checklist.items.all()) if review.checklist else []
    marks: dict[int, list[ChecklistAnswer]] = {i.pk: [] for i in items}
    for answer in ChecklistAnswer.objects.filter(
        feedback__request=review, feedback__submitted_at__isnull=False
    ).select_related("feedback__reviewer"):
        marks.setdefault(answer.item_id, []).append(answer)
    return [{"item": i, "marks": marks[i.pk]} for i in items]


def _parse_feedback(request: AuthedHttpRequest, review: ReviewRequest) -> dict[str, Any]:
    answers = {}
    for focus in review.focus_areas.all():
        if f"strengths-{focus.pk}" in request.POST or f"next-{focus.pk}" in request.POST:
            answers[focus.pk] = (
                request.POST.get(f"strengths-{focus.pk}", "")[:4000],
                request.POST.get(f"next-{focus.pk}", "")[:4000],
            )
    checklist = {}
    if review.checklist_id:
        for item in review.checklist.items.all():  # type: ignore[union-attr]
            status = request.POST.get(f"check-{item.pk}")
            if status is not None:
                if status and status not in Found.values:
                    raise services.ReviewError("Mark each item found, partly or missing.")
                checklist[item.pk] = (status, request.POST.get(f"note-{item.pk}", "")[:500])
    return {
        "answers": answers,
        "checklist": checklist,
        "overall": request.POST.get("overall", "")[:4000],
    }


@login_required
@require_http_methods(["GET", "POST"])
def feedback(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    """Give feedback. A learning walk's form shows one focus area per screen (for a phone
    on the walk); drafts are kept on every save, and the page's script also keeps them on
    the phone until the connection returns."""
    review, _ = get_review_for(request.user, review_id)
    if review.requester_id == request.user.pk:
        raise PermissionDenied("You asked for this feedback: others give it")
    focus_areas = list(review.focus_areas.select_related("topic"))
    step = request.GET.get("step", "")
    step_no = int(step) if step.isdigit() and 1 <= int(step) <= len(focus_areas) + 1 else 0
    if review.kind == ReviewKind.WALK and not step_no and request.method == "GET":
        return redirect(f"{request.path}?step=1")
    error = ""
    if request.method == "POST":
        action = request.POST.get("do", "draft")
        try:
            parsed = _parse_feedback(request, review)
            services.save_feedback(review, request.user, **parsed, submit=action == "send")
        except services.ReviewError as e:
            error = str(e)
        else:
            if request.headers.get("X-Autosave"):
                return HttpResponse(status=204)
            if action == "send":
                messages.success(request, "Thank you: your feedback is sent.")
                return redirect("review_detail", review.pk)
            if action.startswith("step-"):
                return redirect(f"{request.path}?step={action[5:]}")
            messages.success(request, "Draft saved. You can come back to it.")
            return redirect(request.get_full_path())
    own = (
        Feedback.objects.filter(request=review, reviewer=request.user)
        .prefetch_related("answers", "checklist_answers")
        .first()
    )
    answers = {a.focus_id: a for a in own.answers.all()} if own else {}
    marks = {m.item_id: m for m in own.checklist_answers.all()} if own else {}
    items = list(review.checklist.items.all()) if review.checklist else []
    rows = [{"focus": f, "answer": answers.get(f.pk)} for f in focus_areas]
    return render(
        request,
        "reviews/feedback.html",
        {
            "review": review,
            "cluster": review.cluster,
            "rows": rows,
            "step": step_no,
            "current": rows[step_no - 1] if 0 < step_no <= len(rows) else None,
            "steps": len(rows),
            "own": own,
            "checklist": [{"item": i, "mark": marks.get(i.pk)} for i in items],
            "found": Found.choices,
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def version_add(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    review, _ = get_review_for(request.user, review_id)
    if review.requester_id != request.user.pk:
        raise PermissionDenied("Only the person who asked uploads versions")
    form = VersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_version(
                review, request.user, services.check_upload(form.cleaned_data["file"])
            )
        except services.ReviewError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, "The new version is shared. Earlier ones stay readable.")
    else:
        messages.error(request, "Choose the file to upload.")
    return redirect("review_detail", review.pk)


def _attachment(file: Any, name: str, content_type: str) -> FileResponse:
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def download(request: AuthedHttpRequest, review_id: int, version_id: int) -> FileResponse:
    review, _ = get_review_for(request.user, review_id)
    version = DocumentVersion.objects.filter(pk=version_id, request=review).first()
    if version is None:
        raise Http404("No such version")
    services.log_access(review, request.user, AccessEntry.DOWNLOADED, version)
    return _attachment(version.file, version.original_name, version.content_type)


@login_required
@require_POST
def close(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    review, _ = get_review_for(request.user, review_id)
    try:
        services.close(review, request.user)
    except services.ReviewError as e:
        raise PermissionDenied(str(e)) from None
    messages.success(request, "The request is closed. The feedback stays readable.")
    return redirect("review_detail", review.pk)


@login_required
@require_POST
def reply(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    review, _ = get_review_for(request.user, review_id)
    focus_id = request.POST.get("focus", "")
    focus = review.focus_areas.filter(pk=focus_id).first() if focus_id.isdigit() else None
    try:
        services.reply(review, request.user, request.POST.get("text", "")[:4000], focus)
    except services.ReviewError as e:
        messages.error(request, str(e))
    return redirect(f"/reviews/{review.pk}/#focus-{focus.pk if focus else 'all'}")


def _answer_of(review: ReviewRequest, answer_id: int) -> FocusAnswer:
    answer = (
        FocusAnswer.objects.select_related("feedback__request")
        .filter(pk=answer_id, feedback__request=review, feedback__submitted_at__isnull=False)
        .first()
    )
    if answer is None:
        raise Http404("No such answer")
    return answer


@login_required
@require_POST
def helpful(request: AuthedHttpRequest, review_id: int, answer_id: int) -> HttpResponse:
    review, _ = get_review_for(request.user, review_id)
    answer = _answer_of(review, answer_id)
    try:
        services.mark_helpful(answer, request.user, request.POST.get("helpful") != "no")
    except services.ReviewError as e:
        raise PermissionDenied(str(e)) from None
    return redirect(f"/reviews/{review.pk}/#answer-{answer.pk}")


@login_required
@require_POST
def to_action(request: AuthedHttpRequest, review_id: int, answer_id: int) -> HttpResponse:
    review, _ = get_review_for(request.user, review_id)
    answer = _answer_of(review, answer_id)
    if review.requester_id != request.user.pk:
        raise PermissionDenied("Only the person who asked turns feedback into actions")
    try:
        services.to_action(answer, request.user)
    except services.ReviewError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "It is one of your actions now, on the next meeting's agenda.")
    return redirect(f"/reviews/{review.pk}/#answer-{answer.pk}")


def _report_context(review: ReviewRequest) -> dict[str, Any]:
    sections = services.collated(review)
    reviewers = sorted({str(a.feedback.reviewer) for s in sections for a in s["answers"]})
    return {
        "review": review,
        "cluster": review.cluster,
        "sections": sections,
        "reviewers": reviewers,
    }


@login_required
@require_safe
def report_page(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    review, _ = get_review_for(request.user, review_id)
    return render(request, "reviews/report.html", _report_context(review))


@login_required
@require_safe
def report_pdf(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    review, _ = get_review_for(request.user, review_id)
    context = _report_context(review)
    body = report.build_pdf(review, context["sections"], context["reviewers"])
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="feedback-{timezone.localdate():%Y-%m-%d}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def exemplars(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    form = ExemplarForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        version = None
        version_id = request.POST.get("version", "")
        if version_id.isdigit():
            version = DocumentVersion.objects.filter(
                pk=version_id, request__cluster=cluster, request__requester=request.user
            ).first()
            if version is None:
                raise Http404("No such document")
        try:
            upload = services.check_upload(data["file"]) if data.get("file") else None
            services.share_exemplar(
                cluster,
                request.user,
                data["title"],
                data["document_kind"],
                data["note"],
                upload=upload,
                version=version,
            )
        except services.ReviewError as e:
            form.add_error("file", str(e))
        else:
            messages.success(request, "Shared in the cluster's example library. Thank you.")
            return redirect("exemplars", cluster.pk)
    items = list(Exemplar.objects.filter(cluster=cluster).select_related("shared_by"))
    return render(
        request,
        "reviews/exemplars.html",
        {"cluster": cluster, "form": form, "items": items},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
def exemplar_download(
    request: AuthedHttpRequest, cluster_id: int, exemplar_id: int
) -> FileResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    item = Exemplar.objects.filter(pk=exemplar_id, cluster=cluster).first()
    if item is None:
        raise Http404("No such example")
    return _attachment(item.file, item.original_name, item.content_type)
