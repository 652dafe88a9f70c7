from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nextpractice.clusters.access import get_cluster_for
from nextpractice.clusters.models import Cluster, Role
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.directory.access import get_own_setting
from nextpractice.directory.models import Setting
from nextpractice.meetings import planner
from nextpractice.meetings import services as meeting_services
from nextpractice.meetings.models import ItemKind
from nextpractice.reviews.models import ReviewRequest

from . import services
from .access import get_help_for, get_in_cluster
from .forms import (
    BookingForm,
    EventForm,
    ExperienceForm,
    FundingForm,
    HelpForm,
    IdeaForm,
    NumbersForm,
    PreferencesForm,
    ResearchForm,
    ResolveForm,
    SuccessForm,
    TakeawayForm,
    TrialForm,
)
from .models import (
    DEFAULT_MODE,
    Applying,
    Event,
    EventContact,
    EventKind,
    EventTask,
    Experience,
    Funding,
    HelpRequest,
    Idea,
    IdeaTrial,
    Kind,
    Notification,
    Participation,
    Preference,
    ResearchPiece,
    Success,
    Takeaway,
)

PAGE = 20


def _page(request: AuthedHttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE).get_page(request.GET.get("page"))


# --- The safety net -----------------------------------------------------------------------


@login_required
@require_safe
def help_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, membership = get_cluster_for(request.user, cluster_id)
    visible = HelpRequest.objects.filter(cluster=cluster)
    if membership.role == Role.FACILITATOR:
        visible = visible.filter(to_facilitator=True)
    q = request.GET.get("q", "").strip()
    library = visible.filter(resolved_at__isnull=False)
    if q:
        library = (
            library.filter(title__icontains=q)
            | library.filter(what_happened__icontains=q)
            | library.filter(what_helped__icontains=q)
        )
    return render(
        request,
        "support/help_list.html",
        {
            "cluster": cluster,
            "open": list(visible.filter(resolved_at=None).select_related("requester")[:50]),
            "library": _page(request, library.select_related("requester").order_by("-resolved_at")),
            "q": q,
            "figures": services.help_figures(cluster),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def help_new(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    form = HelpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        help_request = services.ask_for_help(
            cluster,
            request.user,
            data["title"],
            data["what_happened"],
            data["topics"],
            data["urgency"],
            data["to_facilitator"],
        )
        messages.success(
            request,
            "Sent to everyone in the cluster now."
            if data["urgency"] == "urgent"
            else "Sent to the cluster.",
        )
        return redirect("help_detail", help_request.pk)
    return render(
        request,
        "support/help_new.html",
        {"cluster": cluster, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
def help_detail(request: AuthedHttpRequest, help_id: int) -> HttpResponse:
    help_request, _ = get_help_for(request.user, help_id)
    Notification.objects.filter(
        user=request.user, link=reverse("help_detail", args=[help_id]), read_at=None
    ).update(read_at=timezone.now())
    return render(
        request,
        "support/help_detail.html",
        {
            "help": help_request,
            "cluster": help_request.cluster,
            "replies": list(help_request.replies.select_related("author")),
            "topics": list(help_request.topics.all()),
            "helpers": services.who_could_help(help_request),
            "mine": help_request.requester_id == request.user.pk,
            "resolve_form": ResolveForm(),
        },
    )


@login_required
@require_POST
def help_reply(request: AuthedHttpRequest, help_id: int) -> HttpResponse:
    help_request, _ = get_help_for(request.user, help_id)
    calling = request.POST.get("do") == "call"
    try:
        services.answer_help(
            help_request, request.user, request.POST.get("text", "")[:5000], calling=calling
        )
    except services.SupportError as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request,
            f"{help_request.requester.get_short_name()} has been told you are calling."
            if calling
            else "Your answer is posted.",
        )
    return redirect("help_detail", help_request.pk)


@login_required
@require_POST
def help_resolve(request: AuthedHttpRequest, help_id: int) -> HttpResponse:
    help_request, _ = get_help_for(request.user, help_id)
    if help_request.requester_id != request.user.pk:
        raise PermissionDenied("Only the person who asked marks it resolved")
    form = ResolveForm(request.POST)
    if form.is_valid():
        services.resolve_help(help_request, request.user, form.cleaned_data["what_helped"])
        messages.success(
            request, "Resolved, and added to the cluster's library. We hope it went well."
        )
    else:
        messages.error(request, "Write what helped: it is how the cluster learns.")
    return redirect("help_detail", help_request.pk)


@login_required
@require_http_methods(["GET", "POST"])
def experiences(request: AuthedHttpRequest) -> HttpResponse:
    form = ExperienceForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("delete", "").isdigit():
            Experience.objects.filter(user=request.user, pk=request.POST["delete"]).delete()
            return redirect("experiences")
        if form.is_valid():
            Experience.objects.create(user=request.user, **form.cleaned_data)
            messages.success(request, "Recorded: colleagues in the same spot will find you.")
            return redirect("experiences")
    return render(
        request,
        "support/experiences.html",
        {
            "form": form,
            "items": list(Experience.objects.filter(user=request.user).select_related("topic")),
        },
        status=400 if form.is_bound and request.method == "POST" else 200,
    )


# --- Successes ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def successes(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    people = services.members_of(cluster, facilitator=False)
    related = services.success_links(cluster, request.user)
    form = SuccessForm(
        request.POST or None,
        people=people,
        me=request.user,
        related=[(k, label) for k, (label, _) in related.items()],
    )
    if request.method == "POST" and form.is_valid():
        about = next((p for p in people if p.pk == form.cleaned_data["about"]), request.user)
        link = related.get(form.cleaned_data["related"] or "", ("", {}))[1]
        services.record_success(cluster, request.user, about, form.cleaned_data["text"], **link)
        messages.success(request, "Recorded. Thank you for noticing.")
        return redirect("successes", cluster.pk)
    items = Success.objects.filter(cluster=cluster).select_related("author", "about")
    return render(
        request,
        "support/successes.html",
        {"cluster": cluster, "form": form, "page": _page(request, items)},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
def achievements(request: AuthedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    span = request.GET.get("over", "term")
    since = (
        services.term_start(today)
        if span == "term"
        else planner.academic_year(planner.academic_year_of(today)).start
    )
    return render(
        request,
        "support/achievements.html",
        {"since": since, "span": span, **services.achievements(request.user, since)},
    )


# --- Research and ideas -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def research_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    form = ResearchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        topics = data.pop("topics")
        piece = ResearchPiece.objects.create(cluster=cluster, added_by=request.user, **data)
        piece.topics.set(topics)
        services.tell_cluster(
            cluster,
            request.user,
            Kind.RESEARCH,
            f"{request.user} shared research: {piece.title}",
            "a piece of research",
            piece.title,
            reverse("research_detail", args=[piece.pk]),
        )
        return redirect("research_detail", piece.pk)
    items = (
        ResearchPiece.objects.filter(cluster=cluster)
        .select_related("added_by")
        .prefetch_related("topics")
    )
    return render(
        request,
        "support/research_list.html",
        {"cluster": cluster, "form": form, "page": _page(request, items)},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def research_detail(request: AuthedHttpRequest, piece_id: int) -> HttpResponse:
    piece, _ = get_in_cluster(request.user, ResearchPiece, piece_id, "added_by")
    form = TakeawayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        Takeaway.objects.create(piece=piece, author=request.user, text=form.cleaned_data["text"])
        return redirect("research_detail", piece.pk)
    next_meeting = meeting_services.next_meeting(piece.cluster_id, open_notes=True)
    return render(
        request,
        "support/research_detail.html",
        {
            "piece": piece,
            "cluster": piece.cluster,
            "form": form,
            "next_meeting": next_meeting,
            "takeaways": list(piece.takeaways.select_related("author")),
            "topics": list(piece.topics.all()),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def research_to_agenda(request: AuthedHttpRequest, piece_id: int) -> HttpResponse:
    piece, _ = get_in_cluster(request.user, ResearchPiece, piece_id)
    meeting = meeting_services.next_meeting(piece.cluster_id, open_notes=True)
    if meeting is None:
        messages.error(request, "No meeting is diarised yet to put it on.")
        return redirect("research_detail", piece.pk)
    detail = (
        piece.summary
        + (f"\n\n{piece.link}" if piece.link else "")
        + (f"\n\nQuestions: {piece.questions}" if piece.questions else "")
    )
    meeting_services.add_item(meeting, request.user, ItemKind.RESEARCH, piece.title[:200], detail)
    messages.success(
        request, f"On the agenda for {meeting.local_start:%-d %B} as a research prompt."
    )
    return redirect("meeting_detail", meeting.pk)


@login_required
@require_http_methods(["GET", "POST"])
def idea_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    form = IdeaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        idea = Idea.objects.create(cluster=cluster, author=request.user, **form.cleaned_data)
        return redirect("idea_detail", idea.pk)
    items = (
        Idea.objects.filter(cluster=cluster)
        .select_related("author")
        .prefetch_related(Prefetch("trials", queryset=IdeaTrial.objects.select_related("setting")))
    )
    return render(
        request,
        "support/idea_list.html",
        {"cluster": cluster, "form": form, "page": _page(request, items)},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def idea_detail(request: AuthedHttpRequest, idea_id: int) -> HttpResponse:
    idea, _ = get_in_cluster(request.user, Idea, idea_id, "author")
    mine = IdeaTrial.objects.filter(idea=idea, user=request.user).first()
    form = TrialForm(request.POST or None, initial={"result": mine.result if mine else "trying"})
    if request.method == "POST" and form.is_valid():
        try:
            services.try_idea(
                idea, request.user, form.cleaned_data["result"], form.cleaned_data["note"]
            )
        except services.SupportError as e:
            raise PermissionDenied(str(e)) from None
        messages.success(request, "Thank you: the idea's travels are updated.")
        return redirect("idea_detail", idea.pk)
    return render(
        request,
        "support/idea_detail.html",
        {
            "idea": idea,
            "cluster": idea.cluster,
            "form": form,
            "mine": mine,
            "trials": list(idea.trials.select_related("user", "setting")),
        },
        status=400 if form.is_bound else 200,
    )


# --- Events -----------------------------------------------------------------------------


def _cluster_settings(cluster: Cluster) -> list[Setting]:
    return list(
        Setting.objects.filter(
            leaders__user__memberships__cluster=cluster, leaders__user__memberships__left_at=None
        )
        .distinct()
        .order_by("name")
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    settings_ = _cluster_settings(cluster)
    form = EventForm(request.POST or None, settings_=settings_)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        host = next((s for s in settings_ if s.pk == d["host_setting"]), None)
        event = Event.objects.create(
            cluster=cluster,
            kind=d["kind"],
            title=d["title"],
            starts_at=planner.local_datetime(d["day"], d["start"]),
            ends_at=planner.local_datetime(d["day"], d["end"]),
            host_setting=host,
            venue=d["venue"],
            for_children=d["for_children"],
            for_staff=d["for_staff"],
            for_families=d["for_families"],
            aim=d["aim"],
            capacity=d["capacity"],
            created_by=request.user,
        )
        EventContact.objects.bulk_create(
            [EventContact(event=event, name=n, email=e) for n, e in d["contacts"]]
        )
        services.tell_cluster(
            cluster,
            request.user,
            Kind.EVENT,
            f"New event: {event.title}, {event.starts_at:%-d %B}",
            "an event",
            event.title,
            reverse("event_detail", args=[event.pk]),
        )
        return redirect("event_detail", event.pk)
    now = timezone.now()
    items = Event.objects.filter(cluster=cluster).select_related("host_setting")
    return render(
        request,
        "support/event_list.html",
        {
            "cluster": cluster,
            "form": form,
            "coming": list(items.filter(ends_at__gte=now)[:50]),
            "page": _page(request, items.filter(ends_at__lt=now).order_by("-starts_at")),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
def event_detail(request: AuthedHttpRequest, event_id: int) -> HttpResponse:
    event, _ = get_in_cluster(request.user, Event, event_id, "host_setting")
    parts = list(event.participations.select_related("setting"))
    own = get_own_setting(request.user)
    mine = next((p for p in parts if own and p.setting_id == own.pk), None)
    return render(
        request,
        "support/event_detail.html",
        {
            "event": event,
            "cluster": event.cluster,
            "parts": parts,
            "own": own,
            "mine": mine,
            "totals": {
                "children": sum(p.children for p in parts),
                "adults": sum(p.adults for p in parts),
                "places": sum(p.places for p in parts),
                "waiting": sum(p.waiting for p in parts),
            },
            "tasks": list(event.tasks.select_related("owner")),
            "contacts": list(event.contacts.all()),
            "people": services.members_of(event.cluster),
            "numbers_form": NumbersForm(
                initial={
                    "children": mine.children if mine else 0,
                    "adults": mine.adults if mine else 0,
                }
            ),
            "booking_form": BookingForm(
                initial={"places": (mine.places + mine.waiting) if mine else 1}
            ),
            "training": event.kind == EventKind.TRAINING,
        },
    )


@login_required
@require_POST
def event_numbers(request: AuthedHttpRequest, event_id: int) -> HttpResponse:
    event, _ = get_in_cluster(request.user, Event, event_id)
    own = get_own_setting(request.user)
    if own is None:
        messages.error(request, "Add your setting to your profile first.")
        return redirect("event_detail", event.pk)
    if event.kind == EventKind.TRAINING:
        form: Any = BookingForm(request.POST)
        if form.is_valid():
            part = services.book_places(event, own, request.user, form.cleaned_data["places"])
            messages.success(
                request,
                f"{part.places} place(s) booked"
                + (f", {part.waiting} on the waiting list." if part.waiting else "."),
            )
        else:
            messages.error(request, "Give the number of places as a whole number from 0 to 100.")
    else:
        form = NumbersForm(request.POST)
        if form.is_valid():
            services.set_numbers(
                event, own, request.user, form.cleaned_data["children"], form.cleaned_data["adults"]
            )
            messages.success(request, "Your setting's numbers are saved.")
        else:
            messages.error(
                request, "Give the numbers of children (0 to 500) and adults (0 to 200)."
            )
    return redirect("event_detail", event.pk)


@login_required
@require_POST
def event_task(request: AuthedHttpRequest, event_id: int) -> HttpResponse:
    event, _ = get_in_cluster(request.user, Event, event_id)
    if request.POST.get("toggle", "").isdigit():
        task = EventTask.objects.filter(event=event, pk=request.POST["toggle"]).first()
        if task is not None:
            task.done = not task.done
            task.save(update_fields=["done"])
    else:
        text = request.POST.get("text", "").strip()[:200]
        owner_id = request.POST.get("owner", "")
        owner = next((u for u in services.members_of(event.cluster) if str(u.pk) == owner_id), None)
        if text:
            EventTask.objects.create(
                event=event, text=text, owner=owner, position=event.tasks.count()
            )
        else:
            messages.error(request, "Write the task first.")
    return redirect(f"{reverse('event_detail', args=[event.pk])}#tasks")


@login_required
@require_safe
def cpd(request: AuthedHttpRequest) -> HttpResponse:
    """The setting's professional development from shared training days: places booked."""
    own = get_own_setting(request.user)
    bookings = (
        Participation.objects.filter(setting=own, event__kind=EventKind.TRAINING, places__gt=0)
        .select_related("event", "event__cluster")
        .order_by("-event__starts_at")
        if own
        else Participation.objects.none()
    )
    page = _page(request, bookings)
    return render(request, "support/cpd.html", {"own": own, "page": page})


# --- Funding --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def funding_list(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    form = FundingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["deadline"] < timezone.localdate():
            form.add_error("deadline", "That deadline has passed")
        else:
            funding = Funding.objects.create(
                cluster=cluster, shared_by=request.user, **form.cleaned_data
            )
            services.tell_cluster(
                cluster,
                request.user,
                Kind.FUNDING,
                f"Funding: {funding.funder}, deadline {funding.deadline:%-d %B}",
                "a funding opportunity",
                funding.funder,
                reverse("funding_list", args=[cluster.pk]),
            )
            return redirect("funding_list", cluster.pk)
    today = timezone.localdate()
    items = (
        Funding.objects.filter(cluster=cluster)
        .select_related("shared_by")
        .prefetch_related(Prefetch("applicants", queryset=Applying.objects.select_related("user")))
    )
    return render(
        request,
        "support/funding_list.html",
        {
            "cluster": cluster,
            "form": form,
            "page": _page(request, items.filter(deadline__gte=today)),
            "past": list(items.filter(deadline__lt=today).order_by("-deadline")[:10]),
            "my_reviews": list(
                ReviewRequest.objects.filter(
                    cluster=cluster, requester=request.user, kind="document"
                ).order_by("-created_at")[:20]
            ),
            "applying_ids": set(
                Applying.objects.filter(user=request.user, funding__cluster=cluster).values_list(
                    "funding_id", flat=True
                )
            ),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def funding_applying(request: AuthedHttpRequest, funding_id: int) -> HttpResponse:
    funding, _ = get_in_cluster(request.user, Funding, funding_id)
    review_id = request.POST.get("review", "")
    review = None
    if review_id.isdigit():
        review = ReviewRequest.objects.filter(
            pk=review_id, cluster_id=funding.cluster_id, requester=request.user
        ).first()
    services.applying(funding, request.user, request.POST.get("on") != "no", review)
    return redirect(f"{reverse('funding_list', args=[funding.cluster_id])}#funding-{funding.pk}")


# --- Search and notifications ---------------------------------------------------------------


@login_required
@require_safe
def cluster_search(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    q = request.GET.get("q", "")[:200]
    return render(
        request,
        "support/search.html",
        {
            "cluster": cluster,
            "q": q,
            "results": services.search(cluster, request.user, q),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: AuthedHttpRequest) -> HttpResponse:
    mine = Notification.objects.filter(user=request.user).select_related("cluster")
    if request.method == "POST":
        mine.filter(read_at=None).update(read_at=timezone.now())
        return redirect("notifications")
    return render(
        request,
        "support/notifications.html",
        {
            "page": _page(request, mine),
            "unread": mine.filter(read_at=None).count(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def notification_prefs(request: AuthedHttpRequest) -> HttpResponse:
    current = {k: str(DEFAULT_MODE[Kind(k)]) for k in Kind.values}
    current |= dict(Preference.objects.filter(user=request.user).values_list("kind", "mode"))
    form = PreferencesForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        for kind in Kind.values:
            Preference.objects.update_or_create(
                user=request.user, kind=kind, defaults={"mode": form.cleaned_data[kind]}
            )
        messages.success(request, "Saved. Urgent help requests still reach you at once.")
        return redirect("notification_prefs")
    return render(
        request, "support/preferences.html", {"form": form}, status=400 if form.is_bound else 200
    )
