from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nextpractice.clusters.access import require
from nextpractice.core import memo
from nextpractice.core.types import AuthedHttpRequest

from . import report, services, steps
from .access import ReviewAccess, get_review_for, get_reviews_for
from .forms import (
    ExemplarForm,
    FeedbackForm,
    HelpfulForm,
    PickVersionForm,
    ReplyForm,
    RequestForm,
    StepForm,
    TakeOnForm,
    VersionForm,
)
from .models import (
    AccessEntry,
    ChecklistAnswer,
    Exemplar,
    Feedback,
    Found,
    ReviewKind,
    ReviewRequest,
)


def _detail_url(review: ReviewRequest, anchor: str = "") -> str:
    return reverse("review_detail", args=[review.pk]) + (f"#{anchor}" if anchor else "")


@login_required
@require_safe
@memo.kept_page
def review_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    reviews_access = get_reviews_for(request.user, cluster_id)
    cluster = reviews_access.cluster
    reviews = list(
        ReviewRequest.objects.in_cluster(request.user, cluster.pk)
        .select_related("requester")
        .order_by("closed_at", "-created_at")
    )
    given = set(
        Feedback.objects.visible_to(request.user)
        .filter(reviewer=request.user, request__in=reviews, submitted_at__isnull=False)
        .values_list("request_id", flat=True)
    )
    rows = []
    for r in reviews:
        mine = r.requester_id == request.user.pk
        if not r.is_open:
            state = "closed"
        elif r.pk in given:
            state = "given"
        elif not mine:
            state = "wanted"  # open, asked of this person, not yet answered
        else:
            state = "open"
        rows.append({"review": r, "asked_by_me": mine, "state": state})
    return render(
        request,
        "reviews/list.html",
        {"cluster": cluster, "access": reviews_access, "rows": rows, "kinds": ReviewKind.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_new(request: AuthedHttpRequest, cluster_id: int, kind: str) -> HttpResponse:
    reviews_access = get_reviews_for(request.user, cluster_id)
    require(reviews_access.can_ask_for_feedback, "You cannot ask for feedback here")
    cluster = reviews_access.cluster
    if kind not in ReviewKind.values:
        raise Http404("No such kind")
    form = RequestForm(
        request.POST or None,
        request.FILES or None,
        kind=kind,
        people=reviews_access.colleagues(),
    )
    storage_failed = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
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
                upload=data.get("file"),
                website_url=data.get("website_url", ""),
                checklist=data.get("checklist"),
                walk_starts_at=data["walk_starts_at"],
                walk_minutes=data.get("walk_minutes") or 60,
                arrival=data.get("arrival", ""),
                once_key=form.once_key(),
            )
        except services.ReviewError as e:
            # The form comes back with everything typed; only the file must be chosen again.
            form.add_error(None, str(e))
            storage_failed = isinstance(e, services.StorageFailed)
        else:
            messages.success(request, "Your request is sent to the people you asked.")
            return redirect("review_detail", review.pk)
    return render(
        request,
        "reviews/new.html",
        {"cluster": cluster, "form": form, "kind": ReviewKind(kind)},
        status=503 if storage_failed else 400 if form.is_bound else 200,
    )


@login_required
@require_safe
def review_detail(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    access = get_review_for(request.user, review_id)
    review = access.review
    services.log_access(review, request.user, AccessEntry.OPENED)
    # Sent feedback, and this person's own draft (nobody else's).
    feedback = list(
        Feedback.objects.visible_to(request.user)
        .filter(request=review)
        .select_related("reviewer")
        .order_by("pk")
    )
    own = next((f for f in feedback if f.reviewer_id == request.user.pk), None)
    access_log = (
        list(
            AccessEntry.objects.visible_to(request.user)
            .filter(request=review)
            .select_related("user", "version")[:100]
        )
        if access.can_see_access_log
        else []
    )
    return render(
        request,
        "reviews/detail.html",
        {
            "review": review,
            "cluster": review.cluster,
            "access": access,
            "sections": services.collated(review, request.user),
            "versions": list(review.versions.select_related("uploaded_by")),
            "sent": [f for f in feedback if f.submitted_at],
            "own": own,
            "access_log": access_log,
            "version_form": VersionForm(),
            "checklist": _checklist_summary(access) if review.checklist_id else None,
        },
    )


def _checklist_summary(access: ReviewAccess) -> list[dict[str, Any]]:
    """Each checklist item with what every reviewer found."""
    review = access.review
    items = list(review.checklist.items.all()) if review.checklist else []
    marks: dict[int, list[ChecklistAnswer]] = {i.pk: [] for i in items}
    for answer in (
        ChecklistAnswer.objects.visible_to(access.user)
        .filter(feedback__request=review, feedback__submitted_at__isnull=False)
        .select_related("feedback__reviewer")
    ):
        marks.setdefault(answer.item_id, []).append(answer)
    return [{"item": i, "marks": marks[i.pk]} for i in items]


@login_required
@require_http_methods(["GET", "POST"])
def feedback(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    """Give feedback. A learning walk's form shows one focus area per screen (for a phone
    on the walk); drafts are kept on every save, and the page's script also keeps them on
    the phone until the connection returns."""
    access = get_review_for(request.user, review_id)
    review = access.review
    require(not access.is_requester, "You asked for this feedback: others give it")
    if request.method == "GET" and not access.can_give_feedback:
        # Closed: the form is not offered (a late send is refused by the service, with
        # its message); what was given is on the request's page and in its report.
        messages.info(request, "This request is closed: feedback can no longer be changed.")
        return redirect("review_detail", review.pk)
    focus_areas = list(review.focus_areas.select_related("topic"))
    items = list(review.checklist.items.all()) if review.checklist else []
    step_no = StepForm(request.GET, steps=len(focus_areas)).screen()
    if review.kind == ReviewKind.WALK and not step_no and request.method == "GET":
        return redirect(f"{request.path}?step=1")
    error = ""
    if request.method == "POST":
        form = FeedbackForm(request.POST, focus_areas=focus_areas, items=items)
        if not form.is_valid():
            error = form.problem()
        else:
            try:
                services.save_feedback(
                    review,
                    request.user,
                    form.answers(),
                    form.cleaned_data["overall"],
                    form.checklist(),
                    submit=form.sending,
                )
            except services.ReviewError as e:
                error = str(e)
            else:
                if request.headers.get("X-Autosave"):
                    return HttpResponse(status=204)
                if form.sending:
                    messages.success(request, "Thank you: your feedback is sent.")
                    return redirect("review_detail", review.pk)
                step = form.next_step()
                if step is not None:
                    return redirect(f"{request.path}?step={step}")
                messages.success(request, "Draft saved. You can come back to it.")
                return redirect(f"{request.path}?step={step_no}" if step_no else request.path)
    own = (
        Feedback.objects.visible_to(request.user)
        .filter(request=review, reviewer=request.user)
        .prefetch_related("answers", "checklist_answers")
        .first()
    )
    answers = {a.focus_id: a for a in own.answers.all()} if own else {}
    marks = {m.item_id: m for m in own.checklist_answers.all()} if own else {}
    rows = [{"focus": f, "answer": answers.get(f.pk)} for f in focus_areas]
    return render(
        request,
        "reviews/feedback.html",
        {
            "review": review,
            "cluster": review.cluster,
            "access": access,
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
    access = get_review_for(request.user, review_id)
    review = access.review
    require(access.can_add_version, "Only the person who asked uploads versions")
    form = VersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_version(review, request.user, form.cleaned_data["file"])
        except services.ReviewError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, "The new version is shared. Earlier ones stay readable.")
    else:
        messages.error(request, "; ".join(str(m) for ms in form.errors.values() for m in ms))
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
    access = get_review_for(request.user, review_id)
    version = access.version(version_id)
    services.log_access(access.review, request.user, AccessEntry.DOWNLOADED, version)
    return _attachment(version.file, version.original_name, version.content_type)


@login_required
@require_POST
def close(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    access = get_review_for(request.user, review_id)
    require(access.is_requester, "Only the person who asked can close the request")
    try:
        services.close(access.review, request.user)
    except services.ReviewError as e:
        messages.error(request, str(e))  # already closed: nothing to do
    else:
        messages.success(request, "The request is closed. The feedback stays readable.")
    return redirect("review_detail", access.review.pk)


@login_required
@require_POST
def reply(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    access = get_review_for(request.user, review_id)
    review = access.review
    require(access.can_reply, "You cannot reply here")
    form = ReplyForm(request.POST, review=review)
    if not form.is_valid():
        messages.error(request, form.problem())
        return redirect(_detail_url(review))
    focus = form.cleaned_data["focus"]
    try:
        services.reply(review, request.user, form.cleaned_data["text"], focus)
    except services.ReviewError as e:
        messages.error(request, str(e))
    return redirect(_detail_url(review, f"focus-{focus.pk}" if focus else ""))


@login_required
@require_POST
def helpful(request: AuthedHttpRequest, review_id: int, answer_id: int) -> HttpResponse:
    access = get_review_for(request.user, review_id)
    require(access.can_mark_helpful, "Only the person who asked marks what helped")
    answer = access.sent_answer(answer_id)
    form = HelpfulForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say whether it helped, with the button.")
    else:
        try:
            services.mark_helpful(answer, request.user, form.value())
        except services.ReviewError as e:
            messages.error(request, str(e))
    return redirect(_detail_url(access.review, f"answer-{answer.pk}"))


@login_required
@require_POST
def to_action(request: AuthedHttpRequest, review_id: int, answer_id: int) -> HttpResponse:
    access = get_review_for(request.user, review_id)
    require(access.can_make_action, "Only the person who asked turns feedback into actions")
    answer = access.sent_answer(answer_id)
    try:
        services.to_action(answer, request.user)
    except services.ReviewError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "It is one of your actions now, on the next meeting's agenda.")
    return redirect(_detail_url(access.review, f"answer-{answer.pk}"))


@login_required
@require_POST
def take_on(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    """The requester makes a next step from the report (one visitor's, or the same step
    from several) their action: what they will change, by when."""
    access = get_review_for(request.user, review_id)
    require(access.can_make_action, "Only the person who asked turns feedback into actions")
    back = reverse("review_report", args=[access.review.pk]) + "#steps"
    form = TakeOnForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.problem())
        return redirect(back)
    data = form.cleaned_data
    try:
        action = steps.take_on(
            access.review,
            request.user,
            data["step"],
            data["title"],
            data["due"],
            once_key=form.once_key(),
        )
    except services.ReviewError as e:
        messages.error(request, str(e))
    else:
        when = f", due {action.due:%-d %B %Y}" if action.due else ""
        messages.success(
            request,
            f"\u201c{action.title}\u201d is one of your actions now{when}, on the next "
            "meeting's agenda.",
        )
    return redirect(back)


def _report_context(access: ReviewAccess, *, forms: bool = True) -> dict[str, Any]:
    """The report's content; with ``forms``, what the requester's "make this my action"
    forms need too (the page has them; the PDF does not)."""
    review = access.review
    sections = services.collated(review, access.user)
    reviewers = sorted({str(a.feedback.reviewer) for s in sections for a in s["answers"]})
    forms = forms and access.can_make_action
    following = services.next_meeting(review.cluster_id) if forms else None
    return {
        "review": review,
        "cluster": review.cluster,
        "access": access,
        "sections": sections,
        "reviewers": reviewers,
        "overall": steps.grouped(sections, access.user, actions=forms),
        "people": "visitor" if review.kind == ReviewKind.WALK else "colleague",
        "default_due": following.local_start.date() if following else None,
    }


@login_required
@require_safe
@memo.kept_page
def report_page(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    access = get_review_for(request.user, review_id)
    return render(request, "reviews/report.html", _report_context(access))


@login_required
@require_safe
def report_pdf(request: AuthedHttpRequest, review_id: int) -> HttpResponse:
    access = get_review_for(request.user, review_id)
    context = _report_context(access, forms=False)
    body = report.build_pdf(
        access.review,
        context["sections"],
        context["reviewers"],
        context["overall"],
        context["people"],
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="feedback-{timezone.localdate():%Y-%m-%d}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def exemplars(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    reviews_access = get_reviews_for(request.user, cluster_id)
    require(reviews_access.can_use_library, "The example library is for the cluster's members")
    cluster = reviews_access.cluster
    versions = reviews_access.own_versions()
    picked = PickVersionForm(request.GET, versions=versions).picked()
    form = ExemplarForm(
        request.POST or None,
        request.FILES or None,
        versions=versions,
        initial={"version": picked.pk} if picked else None,
    )
    storage_failed = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.share_exemplar(
                cluster,
                request.user,
                data["title"],
                data["document_kind"],
                data["note"],
                upload=data.get("file"),
                version=data.get("version"),
            )
        except services.ReviewError as e:
            form.add_error(None, str(e))
            storage_failed = isinstance(e, services.StorageFailed)
        else:
            messages.success(request, "Shared in the cluster's example library. Thank you.")
            return redirect("exemplars", cluster.pk)
    items = list(Exemplar.objects.in_cluster(request.user, cluster.pk).select_related("shared_by"))
    return render(
        request,
        "reviews/exemplars.html",
        {
            "cluster": cluster,
            "access": reviews_access,
            "form": form,
            "items": items,
            "sharing": picked is not None,
        },
        status=503 if storage_failed else 400 if form.is_bound else 200,
    )


@login_required
@require_safe
def exemplar_download(
    request: AuthedHttpRequest, cluster_id: int, exemplar_id: int
) -> FileResponse:
    item = get_reviews_for(request.user, cluster_id).exemplar(exemplar_id)
    return _attachment(item.file, item.original_name, item.content_type)
