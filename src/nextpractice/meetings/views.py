from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.access import get_cluster_for
from nextpractice.clusters.models import Role
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.directory.access import get_area_for

from . import calendar, planner, services, termdates
from .access import MeetingAccess, get_action_for, get_meeting_for
from .forms import (
    ActionForm,
    ActionUpdateForm,
    CancelForm,
    HolidayForm,
    ItemForm,
    MeetingTimeForm,
    NoteForm,
    PlanForm,
    RespondForm,
    TermDatesImportForm,
)
from .models import (
    PLAN_CHOICES,
    Action,
    AgendaItem,
    Attendance,
    CalendarFeed,
    Mark,
    Meeting,
    MeetingStatus,
    Response,
    SchoolHoliday,
    YearPlan,
)


def _plan_url(cluster_id: int, start_year: int, anchor: str = "") -> str:
    return f"{reverse('meetings_plan', args=[cluster_id])}?year={start_year}{anchor}"


# --- The year ------------------------------------------------------------------------


@login_required
@require_safe
def year(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    this_year = planner.academic_year_of(timezone.localdate())
    start_year = (
        int(request.GET.get("year", this_year))
        if request.GET.get("year", "").isdigit()
        else this_year
    )
    plan = YearPlan.objects.filter(cluster=cluster, start_year=start_year).first()
    meetings = (
        list(plan.meetings.select_related("host_setting", "chair", "note_taker")) if plan else []
    )
    return render(
        request,
        "meetings/year.html",
        {
            "cluster": cluster,
            "plan": plan,
            "start_year": start_year,
            "year_label": planner.academic_year(start_year).name,
            "other_years": [y for y in (this_year, this_year + 1) if y != start_year],
            "meetings": meetings,
            "attendance": services.attendance_record(cluster, plan),
            "entries": [
                e
                for e in calendar.entries_for(request.user, "")
                if e.cluster_id == cluster.pk
                and planner.academic_year_of(timezone.localdate(e.starts_at)) == start_year
            ],
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    year_param = request.GET.get("year", "")
    start_year = (
        int(year_param) if year_param.isdigit() else planner.academic_year_of(timezone.localdate())
    )
    existing = YearPlan.objects.filter(cluster=cluster, start_year=start_year).first()
    initial: dict[str, Any] = {"start_year": start_year}
    if existing is not None:
        initial |= {f: getattr(existing, f) for f in PLAN_CHOICES}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            drafted = services.draft_plan(cluster, request.user, form.cleaned_data)
        except services.MeetingError as e:
            form.add_error(None, str(e))
        else:
            messages.success(
                request, "Dates proposed. Check the clashes, move any date, then confirm."
            )
            return redirect(f"{request.path}?year={drafted.start_year}#proposed")
    proposed: list[dict[str, Any]] = []
    holidays_default = True
    if existing is not None:
        members = services.current_members(cluster)
        cal = services.calendar_for(existing, members)
        _, holidays_default = services.holidays_for(cluster.area_id, existing.start_year)
        for meeting in existing.meetings.select_related("host_setting", "chair", "note_taker"):
            proposed.append(
                {"meeting": meeting, "clashes": cal.clashes(meeting.local_start.date())}
            )
    return render(
        request,
        "meetings/plan.html",
        {
            "cluster": cluster,
            "form": form,
            "plan": existing,
            "proposed": proposed,
            "holidays_default": holidays_default,
        },
    )


@login_required
@require_POST
def plan_confirm(request: AuthedHttpRequest, cluster_id: int, plan_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    year_plan = YearPlan.objects.filter(pk=plan_id, cluster=cluster).first()
    if year_plan is None:
        raise Http404("No such plan")
    try:
        meetings = services.confirm_plan(year_plan, request.user)
    except services.MeetingError as e:
        messages.error(request, str(e))
        return redirect(_plan_url(cluster.pk, year_plan.start_year))
    messages.success(
        request,
        f"{len(meetings)} meetings are diarised. Everyone has been told; calendars will follow.",
    )
    return redirect(f"/clusters/{cluster.pk}/meetings/?year={year_plan.start_year}")


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = get_cluster_for(request.user, cluster_id)
    form = MeetingTimeForm(
        request.POST or None,
        initial={"start_time": "15:00", "duration_minutes": 90, "place_kind": "rotating"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.add_meeting(
                cluster,
                request.user,
                data["day"],
                data["start_time"],
                data["duration_minutes"],
                form.place(),
            )
        except services.MeetingError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "The meeting is added and everyone has been told.")
            return redirect("meeting_detail", meeting.pk)
    return render(
        request, "meetings/meeting_form.html", {"cluster": cluster, "form": form, "meeting": None}
    )


# --- A meeting --------------------------------------------------------------------------


def _member_access(request: AuthedHttpRequest, meeting_id: int) -> MeetingAccess:
    """Members only (a deputy stands in for one meeting, and does not plan or change it)."""
    access = get_meeting_for(request.user, meeting_id)
    if access.is_deputy:
        raise PermissionDenied("Only the cluster's members can change the meeting itself")
    return access


def _meeting_page(
    request: AuthedHttpRequest, access: MeetingAccess, status: int = 200, **forms: Any
) -> HttpResponse:
    """The meeting page; with ``forms`` it shows a bad form's errors inline (status 400)."""
    meeting = access.meeting
    members = services.current_members(meeting.cluster)
    answers = {a.member_id: a for a in meeting.attendances.select_related("deputy")}
    mine = answers.get(request.user.pk)
    people = [m.user for m in members]
    context = {
        "meeting": meeting,
        "cluster": meeting.cluster,
        "access": access,
        "members": [(m, answers.get(m.user_id)) for m in members if m.role == Role.MEMBER],
        "facilitators": [m for m in members if m.role == Role.FACILITATOR],
        "mine": mine,
        "respond_form": RespondForm(
            initial={
                "response": mine.response if mine else "",
                "deputy_name": mine.deputy_name if mine else "",
                "deputy_email": mine.deputy_email if mine else "",
            }
        ),
        "item_form": ItemForm(),
        "note_form": NoteForm(),
        "action_form": ActionForm(people=people),
        "people": people,
        "marks": Mark.choices,
        "general_notes": [n for n in meeting.notes.select_related("author") if n.item_id is None],
        "is_chair": meeting.chair_id == request.user.pk,
        "is_note_taker": meeting.note_taker_id == request.user.pk,
        **services.agenda(meeting),
        **forms,
    }
    return render(request, "meetings/meeting.html", context, status=status)


@login_required
@require_safe
def meeting_detail(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = get_meeting_for(request.user, meeting_id)
    if access.is_deputy and access.standing_in_for is not None:
        # The member sees when their deputy last looked at the meeting.
        Attendance.objects.filter(pk=access.standing_in_for.pk).update(
            deputy_last_seen_at=timezone.now()
        )
    return _meeting_page(request, access)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _member_access(request, meeting_id).meeting
    local = meeting.local_start
    form = MeetingTimeForm(
        request.POST or None,
        initial={
            "day": local.date(),
            "start_time": local.time(),
            "duration_minutes": meeting.duration_minutes,
            "place_kind": meeting.place_kind,
            "venue": meeting.venue,
            "online_url": meeting.online_url,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.move_meeting(
                meeting,
                request.user,
                data["day"],
                data["start_time"],
                data["duration_minutes"],
                form.place(),
            )
        except services.MeetingError as e:
            form.add_error(None, str(e))
        else:
            if meeting.status == MeetingStatus.PROPOSED:
                messages.success(request, "The proposed date is moved.")
                return redirect(_plan_url(meeting.cluster_id, meeting.plan.start_year, "#proposed"))
            messages.success(
                request, "The meeting is moved. Everyone has been told and calendars will update."
            )
            return redirect("meeting_detail", meeting.pk)
    return render(
        request,
        "meetings/meeting_form.html",
        {"cluster": meeting.cluster, "form": form, "meeting": meeting},
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_cancel(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _member_access(request, meeting_id).meeting
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        proposed = meeting.status == MeetingStatus.PROPOSED
        try:
            services.cancel_meeting(meeting, request.user, form.cleaned_data["reason"])
        except services.MeetingError as e:
            messages.error(request, str(e))
            return redirect("meeting_detail", meeting.pk)
        if proposed:
            messages.success(request, "The proposed date is removed.")
            return redirect(_plan_url(meeting.cluster_id, meeting.plan.start_year, "#proposed"))
        messages.success(request, "The meeting is cancelled. Everyone has been told.")
        return redirect("meetings_year", meeting.cluster_id)
    return render(
        request,
        "meetings/cancel.html",
        {"meeting": meeting, "cluster": meeting.cluster, "form": form},
    )


@login_required
@require_POST
def respond(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = _member_access(request, meeting_id)
    meeting = access.meeting
    if access.membership is None or access.membership.role != Role.MEMBER:
        raise PermissionDenied("Facilitators do not send deputies")
    form = RespondForm(request.POST)
    if form.is_valid():
        try:
            services.respond(
                meeting,
                request.user,
                form.cleaned_data["response"],
                form.cleaned_data["deputy_name"],
                form.cleaned_data["deputy_email"],
            )
        except services.MeetingError as e:
            form.add_error(None, str(e))
        else:
            answer = Response(form.cleaned_data["response"]).label
            extra = (
                " Your deputy has been sent an invitation."
                if form.cleaned_data["response"] == Response.DEPUTY
                else ""
            )
            messages.success(request, f"Your answer is recorded: {answer.lower()}.{extra}")
            return redirect("meeting_detail", meeting.pk)
    return _meeting_page(request, access, 400, respond_form=form)


def _back(meeting: Meeting, anchor: str = "") -> HttpResponse:
    return redirect(f"/meetings/{meeting.pk}/{anchor}")


def _item_of(meeting: Meeting, item_id: int | str | None) -> AgendaItem:
    item = AgendaItem.objects.filter(pk=item_id, meeting=meeting).first() if item_id else None
    if item is None:
        raise Http404("No such item")
    return item


@login_required
@require_POST
def item_add(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = get_meeting_for(request.user, meeting_id)
    form = ItemForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_item(
                access.meeting,
                request.user,
                data["kind"],
                data["title"],
                data["detail"],
                data["minutes"],
            )
        except services.MeetingError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Your item is on the agenda.")
            return _back(access.meeting, "#agenda")
    return _meeting_page(request, access, 400, item_form=form)


def _chair_only(access: MeetingAccess, user: User) -> None:
    if access.meeting.chair_id is not None and access.meeting.chair_id != user.pk:
        raise PermissionDenied("The chair arranges the agenda")


@login_required
@require_POST
def item_move(request: AuthedHttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    access = _member_access(request, meeting_id)
    _chair_only(access, request.user)
    item = _item_of(access.meeting, item_id)
    try:
        services.move_item(access.meeting, item, request.POST.get("direction", "down"))
    except services.MeetingError as e:
        messages.error(request, str(e))
    return _back(access.meeting, f"#item-{item.pk}")


@login_required
@require_POST
def item_merge(request: AuthedHttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    access = _member_access(request, meeting_id)
    _chair_only(access, request.user)
    item = _item_of(access.meeting, item_id)
    into_id = request.POST.get("into", "")
    into = _item_of(access.meeting, into_id) if into_id.isdigit() else None
    if into is None:
        messages.error(request, "Choose the item to merge it into.")
        return _back(access.meeting, "#agenda")
    try:
        services.merge_items(access.meeting, request.user, item, into)
    except services.MeetingError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "The items are merged.")
    return _back(access.meeting, f"#item-{into.pk}")


@login_required
@require_POST
def item_time(request: AuthedHttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    access = _member_access(request, meeting_id)
    _chair_only(access, request.user)
    item = _item_of(access.meeting, item_id)
    raw = request.POST.get("minutes", "").strip()
    if raw and not (raw.isdigit() and 1 <= int(raw) <= 240):
        messages.error(request, "Give the time as a number of minutes from 1 to 240.")
    elif access.meeting.notes_published_at is not None:
        messages.error(request, "The notes of this meeting are published: the agenda is closed.")
    else:
        item.minutes = int(raw) if raw else None
        item.save(update_fields=["minutes"])
    return _back(access.meeting, f"#item-{item.pk}")


@login_required
@require_POST
def note_add(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = get_meeting_for(request.user, meeting_id)
    meeting = access.meeting
    form = NoteForm(request.POST)
    item_id, action_id = request.POST.get("item", ""), request.POST.get("action", "")
    item = _item_of(meeting, item_id) if item_id else None
    action = None
    if action_id:
        action = Action.objects.filter(pk=action_id, cluster_id=meeting.cluster_id).first()
        if action is None:
            raise Http404("No such action")
    if form.is_valid():
        try:
            services.add_note(
                meeting,
                request.user,
                form.cleaned_data["text"],
                item,
                action,
                form.cleaned_data["is_decision"],
            )
        except services.MeetingError as e:
            form.add_error(None, str(e))
        else:
            return _back(meeting, f"#item-{item.pk}" if item else "#notes")
    return _meeting_page(request, access, 400, note_form=form)


@login_required
@require_POST
def action_add(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = _member_access(request, meeting_id)
    meeting = access.meeting
    people = services.member_choices(meeting.cluster)
    form = ActionForm(request.POST, people=list(people))
    item_id = request.POST.get("item", "")
    item = _item_of(meeting, item_id) if item_id else None
    if form.is_valid():
        owner = next((p for p in people if p.pk == form.cleaned_data["owner"]), None)
        try:
            services.add_action(
                meeting,
                request.user,
                form.cleaned_data["title"],
                owner,
                form.cleaned_data["due"],
                item,
            )
        except services.MeetingError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "The action is set. It will be on the next meeting's agenda.")
            return _back(meeting, f"#item-{item.pk}" if item else "#notes")
    return _meeting_page(request, access, 400, action_form=form)


@login_required
@require_POST
def publish(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = _member_access(request, meeting_id)
    meeting = access.meeting
    if request.user.pk not in {meeting.note_taker_id, meeting.chair_id} and meeting.note_taker_id:
        raise PermissionDenied("The note-taker or the chair publishes the notes")
    try:
        services.publish_notes(meeting, request.user)
    except services.MeetingError as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request, "The notes are published and everyone has been sent their actions."
        )
    return _back(meeting, "#notes")


@login_required
@require_POST
def register(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = _member_access(request, meeting_id)
    marks: dict[int, str] = {}
    for key in request.POST:
        value = request.POST.get(key, "")
        if key.startswith("mark-") and key[5:].isdigit() and value:
            marks[int(key[5:])] = value
    try:
        services.take_register(access.meeting, request.user, marks)
    except services.MeetingError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "The register is saved.")
    return _back(access.meeting, "#register")


@login_required
@require_POST
def roles(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = _member_access(request, meeting_id)
    meeting = access.meeting
    people = {p.pk: p for p in services.member_choices(meeting.cluster)}

    def pick(name: str) -> User | None:
        raw = request.POST.get(name, "")
        if raw and (not raw.isdigit() or int(raw) not in people):
            raise Http404("No such member")
        return people[int(raw)] if raw else None

    services.set_roles(meeting, request.user, pick("chair"), pick("note_taker"))
    messages.success(request, "The chair and note-taker are updated.")
    return _back(meeting, "#roles")


@login_required
@require_safe
def meeting_ics(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    meeting = get_meeting_for(request.user, meeting_id).meeting
    if meeting.status == MeetingStatus.PROPOSED:
        raise Http404("Not diarised yet")
    body = calendar.build_calendar([meeting], settings.SITE_URL, meeting.cluster.name, feed=False)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="meeting-{meeting.local_start:%Y-%m-%d}.ics"'
    )
    return response


# --- Actions ----------------------------------------------------------------------------


@login_required
@require_safe
def my_actions(request: AuthedHttpRequest) -> HttpResponse:
    actions = services.my_actions(request.user)
    return render(
        request,
        "meetings/my_actions.html",
        {
            "open": [a for a in actions if a.status == "open"],
            "closed": [a for a in actions if a.status != "open"],
            "form": ActionUpdateForm(),
        },
    )


@login_required
@require_POST
def action_update(request: AuthedHttpRequest, action_id: int) -> HttpResponse:
    action = get_action_for(request.user, action_id)
    form = ActionUpdateForm(request.POST)
    if form.is_valid():
        try:
            services.update_action(
                action, request.user, form.cleaned_data["text"], form.cleaned_data["status"]
            )
        except services.MeetingError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, "Progress recorded.")
    else:
        messages.error(request, "Choose open, done or dropped.")
    target = request.POST.get("next", "")
    if target.startswith("/meetings/") or target == "/actions/":
        return redirect(target)
    return redirect("my_actions")


# --- Calendar feeds -----------------------------------------------------------------------


@require_safe
def feed(request: HttpRequest, feed_token: str) -> HttpResponse:
    """The private feed: the token in the address is the only key (calendar apps cannot
    sign in). A replaced or revoked token finds nothing."""
    subscription = (
        CalendarFeed.objects.select_related("user").filter(token=feed_token, revoked=False).first()
    )
    if subscription is None or not subscription.user.is_active:
        raise Http404("No such calendar")
    body = calendar.build_calendar(
        calendar.feed_meetings(subscription.user),
        settings.SITE_URL,
        "Next Practice meetings",
        entries=calendar.entries_for(subscription.user, settings.SITE_URL),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    return response


@login_required
@require_POST
def calendar_token(request: AuthedHttpRequest) -> HttpResponse:
    """Make, replace (the old address stops working) or turn off the calendar address."""
    what = request.POST.get("do", "replace")
    with transaction.atomic():
        CalendarFeed.objects.filter(user=request.user).delete()
        if what == "revoke":
            messages.success(
                request, "Your calendar address is turned off. Calendars using it stop updating."
            )
        else:
            CalendarFeed.objects.create(user=request.user)
            messages.success(
                request, "You have a new calendar address. Any old one has stopped working."
            )
    return redirect("/account/#calendar")


# --- Term dates (coordinators) --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def term_dates(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    area = get_area_for(request.user, area_id)
    form = HolidayForm(request.POST if request.POST.get("form") == "add" else None)
    upload = TermDatesImportForm(
        request.POST if request.POST.get("form") == "import" else None,
        request.FILES if request.POST.get("form") == "import" else None,
    )
    if request.method == "POST" and form.is_bound and form.is_valid():
        holiday = SchoolHoliday.objects.create(area=area, **form.cleaned_data)
        record(request.user, "termdates.added", holiday, f"{request.user} added {holiday.name}")
        messages.success(request, f"{holiday.name} is added.")
        return redirect("area_term_dates", area.pk)
    if request.method == "POST" and upload.is_bound and upload.is_valid():
        file = upload.cleaned_data["file"]
        try:
            periods = termdates.read_file(file.name, file.read(termdates.MAX_BYTES + 1))
        except termdates.TermDatesError as e:
            upload.add_error("file", str(e))
        else:
            source = "csv" if file.name.lower().endswith(".csv") else "ics"
            with transaction.atomic():
                SchoolHoliday.objects.bulk_create(
                    [
                        SchoolHoliday(
                            area=area, name=p.name, start=p.start, end=p.end, source=source
                        )
                        for p in periods
                    ]
                )
            messages.success(request, f"{len(periods)} holiday periods imported.")
            return redirect("area_term_dates", area.pk)
    holidays = list(SchoolHoliday.objects.filter(area=area))
    this_year = planner.academic_year_of(timezone.localdate())
    return render(
        request,
        "meetings/term_dates.html",
        {
            "area": area,
            "holidays": holidays,
            "form": form,
            "upload": upload,
            "default": planner.default_school_holidays(this_year),
            "default_year": planner.academic_year(this_year).name,
        },
        status=400 if (form.is_bound or upload.is_bound) else 200,
    )


@login_required
@require_POST
def term_dates_delete(request: AuthedHttpRequest, area_id: int, holiday_id: int) -> HttpResponse:
    area = get_area_for(request.user, area_id)
    deleted, _ = SchoolHoliday.objects.filter(pk=holiday_id, area=area).delete()
    if not deleted:
        raise Http404("No such holiday")
    messages.success(request, "Removed.")
    return redirect("area_term_dates", area.pk)
