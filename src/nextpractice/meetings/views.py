"""The cluster's year, its meetings, actions, calendar feeds and the area's term dates.

Thin by rule: every read goes through ``access`` (404 outside, 403 without the right, asked
as a named capability of ``MeetingAccess``), every input through a form, and every write
through ``services``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nextpractice.accounts.models import User
from nextpractice.clusters.access import get_cluster_for, require
from nextpractice.clusters.models import Cluster, Membership, Role
from nextpractice.core import memo
from nextpractice.core.forms import is_id
from nextpractice.core.types import AuthedHttpRequest
from nextpractice.directory.access import get_area_for
from nextpractice.directory.models import Area

from . import calendar, planner, services, termdates
from .access import MeetingAccess, get_action_for, get_item_for, get_meeting_for
from .forms import (
    ActionForm,
    ActionUpdateForm,
    AgendaPageForm,
    CalendarAddressForm,
    CancelForm,
    HolidayForm,
    ItemForm,
    ItemMergeForm,
    ItemMoveForm,
    ItemRecordForm,
    ItemTimeForm,
    MeetingEditForm,
    MeetingTimeForm,
    NoteDraftForm,
    NoteForm,
    PlanForm,
    RegisterForm,
    RespondForm,
    RolesForm,
    TermDatesChoiceForm,
    TermDatesConfirmForm,
    TermDatesImportForm,
    YearForm,
)
from .models import (
    PLAN_CHOICES,
    Action,
    CalendarFeed,
    Mark,
    Meeting,
    MeetingStatus,
    Phase,
    Response,
    SchoolHoliday,
    YearPlan,
)


def _plan_url(cluster_id: int, start_year: int, anchor: str = "") -> str:
    return f"{reverse('meetings_plan', args=[cluster_id])}?year={start_year}{anchor}"


def _cluster(request: AuthedHttpRequest, cluster_id: int) -> tuple[Cluster, Membership]:
    """The cluster, for an agreed member or its facilitator; 404 for anyone else (and for
    an id no database integer holds, which would overflow the query)."""
    if not is_id(cluster_id):
        raise Http404("No such cluster")
    return get_cluster_for(request.user, cluster_id)


def _year_asked(request: AuthedHttpRequest) -> int:
    """The academic year in ``?year=``, or this one; a year we cannot plan in (0, 99999,
    "²") shows this year with a message instead of an error page."""
    this_year = planner.academic_year_of(timezone.localdate())
    form = YearForm(request.GET)
    if not form.is_valid():
        messages.error(
            request,
            "There is no academic year like that to show: here is "
            f"{planner.academic_year(this_year).name}.",
        )
        return this_year
    year: int | None = form.cleaned_data["year"]
    return this_year if year is None else year


# --- The year ------------------------------------------------------------------------


@login_required
@require_safe
def year(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = _cluster(request, cluster_id)
    start_year = _year_asked(request)
    # Rendered once and kept until something it read is written (core.memo).
    return memo.page(
        request,
        "meetings/year.html",
        lambda: _year_context(request.user, cluster, start_year),
    )


def _year_context(user: User, cluster: Cluster, start_year: int) -> dict[str, Any]:
    this_year = planner.academic_year_of(timezone.localdate())
    plan = YearPlan.objects.in_cluster(user, cluster.pk).filter(start_year=start_year).first()
    meetings = (
        list(plan.meetings.select_related("host_setting", "chair", "note_taker")) if plan else []
    )
    return {
        "cluster": cluster,
        "plan": plan,
        "start_year": start_year,
        "year_label": planner.academic_year(start_year).name,
        "other_years": [y for y in (this_year, this_year + 1) if y != start_year],
        "meetings": meetings,
        "attendance": services.attendance_record(cluster, plan),
        "entries": [
            e
            for e in calendar.entries_for(user, "")
            if e.cluster_id == cluster.pk
            and planner.academic_year_of(timezone.localdate(e.starts_at)) == start_year
        ],
        "now": timezone.now(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def plan(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = _cluster(request, cluster_id)
    start_year = _year_asked(request)
    existing = (
        YearPlan.objects.in_cluster(request.user, cluster.pk).filter(start_year=start_year).first()
    )
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
    cluster, _ = _cluster(request, cluster_id)
    year_plan = (
        YearPlan.objects.in_cluster(request.user, cluster.pk).filter(pk=plan_id).first()
        if is_id(plan_id)
        else None
    )
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
    return redirect(f"{reverse('meetings_year', args=[cluster.pk])}?year={year_plan.start_year}")


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request: AuthedHttpRequest, cluster_id: int) -> HttpResponse:
    cluster, _ = _cluster(request, cluster_id)
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


def _meeting_page(
    request: AuthedHttpRequest, access: MeetingAccess, status: int = 200, **forms: Any
) -> HttpResponse:
    """The meeting page; with ``forms`` it shows a bad form's errors inline (status 400).

    What comes first follows the meeting's phase (``Meeting.phase``): before it, your answer
    and the agenda; at it, the register and then the notes against each item; after it, the
    published notes and actions, the register, and the agenda folded away. Nothing is
    hidden for good: the other parts are behind a disclosure further down."""
    if status == 200 and not forms:
        # Rendered once and kept until something it read is written (core.memo); the
        # minute, because the phase and what is shown follow the time.
        return memo.page(
            request,
            "meetings/meeting.html",
            lambda: _meeting_context(request, access),
        )
    return render(
        request, "meetings/meeting.html", _meeting_context(request, access, **forms), status=status
    )


def _meeting_context(
    request: AuthedHttpRequest, access: MeetingAccess, **forms: Any
) -> dict[str, Any]:
    meeting = access.meeting
    phase = meeting.phase()
    members = services.current_members(meeting.cluster)
    answers = {a.member_id: a for a in meeting.attendances.select_related("deputy")}
    mine = answers.get(request.user.pk)
    people = [m.user for m in members]
    whole = services.agenda(meeting, for_deputy=access.is_deputy)
    # Drafts are only typed at the meeting: no query for them before or after it.
    drafts = (
        services.note_drafts(meeting, request.user)
        if phase == Phase.DURING and access.can_add_note
        else {}
    )
    for item in whole["items"]:
        # Read by the template beside the item (it cannot look up a dict by key).
        item.draft = drafts.get(item.pk, "")
        item.can_mark = access.can_mark_off_record(item)
    shown = _agenda_page(request, whole)
    record = services.published_notes(meeting, whole["items"]) if phase == Phase.AFTER else None
    general_notes = [n for n in meeting.notes.select_related("author") if n.item_id is None]
    return {
        "meeting": meeting,
        "phase": phase,
        "now": timezone.now(),
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
        "note_form": NoteForm(initial={"text": drafts.get(None, "")}),
        "general_draft": drafts.get(None, ""),
        "action_form": ActionForm(people=people),
        "people": people,
        "marks": Mark.choices,
        "general_notes": general_notes,
        "record": record,
        # The actions set at this meeting (its deputy reads them too, as in the notes email).
        "meeting_actions": (
            list(meeting.actions.select_related("owner")) if record is not None else []
        ),
        **shown,
        **forms,
    }


#: Items shown on one page of a long agenda, and open actions listed for review: the page
#: stays readable and its size bounded however long the agenda grows.
AGENDA_PAGE_SIZE = 5
ACTIONS_SHOWN = 10


def _agenda_page(request: AuthedHttpRequest, whole: dict[str, Any]) -> dict[str, Any]:
    """One page of the agenda's items (the standing items open the first page)."""
    pages = Paginator(whole["items"], AGENDA_PAGE_SIZE)
    form = AgendaPageForm(request.GET)
    page = pages.get_page(form.number())
    actions = whole["actions_to_review"]
    return {
        **whole,
        "items": list(page),
        "agenda_page": page,
        # Numbered on from the two standing items and the pages before.
        "first_number": 3 + page.start_index() - 1 if page.number > 1 else 1,
        "actions_to_review": actions[:ACTIONS_SHOWN],
        "more_actions": max(0, len(actions) - ACTIONS_SHOWN),
    }


@login_required
@require_safe
def meeting_detail(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = get_meeting_for(request.user, meeting_id)
    if access.is_deputy and access.standing_in_for is not None:
        # The member sees when their deputy last looked at the meeting.
        services.deputy_opened(access.standing_in_for)
    return _meeting_page(request, access)


def _edit_initial(meeting: Meeting) -> dict[str, Any]:
    local = meeting.local_start
    return {
        "day": local.date(),
        "start_time": local.time(),
        "duration_minutes": meeting.duration_minutes,
        "place_kind": meeting.place_kind,
        "venue": meeting.venue,
        "online_url": meeting.online_url,
        "version": meeting.version,
    }


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = get_meeting_for(request.user, meeting_id)
    require(access.can_edit, "Only the cluster's members move the meeting")
    meeting = access.meeting
    form = MeetingEditForm(request.POST or None, initial=_edit_initial(meeting))
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
                version=data["version"],
            )
        except services.StaleEdit as e:
            return _edit_conflict(request, meeting, data, str(e))
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


def _edit_conflict(
    request: AuthedHttpRequest, meeting: Meeting, yours: dict[str, Any], why: str
) -> HttpResponse:
    """Both versions side by side (409): the one saved meanwhile (``meeting``, re-read by
    the service) and the one this person sent. Keeping theirs is a link back; keeping
    yours sends the form again, drawn from the saved version this time."""
    theirs = _edit_initial(meeting)
    form = MeetingEditForm(initial={**yours, "version": meeting.version})
    place_label = dict(MeetingEditForm.base_fields["place_kind"].choices)  # type: ignore[attr-defined]
    rows = [
        ("Date", f"{theirs['day']:%A %-d %B %Y}", f"{yours['day']:%A %-d %B %Y}"),
        ("Start time", f"{theirs['start_time']:%H:%M}", f"{yours['start_time']:%H:%M}"),
        (
            "Length",
            f"{theirs['duration_minutes']} minutes",
            f"{yours['duration_minutes']} minutes",
        ),
        ("Where", place_label[theirs["place_kind"]], place_label[yours["place_kind"]]),
        ("Venue", theirs["venue"], yours["venue"]),
        ("Link to join", theirs["online_url"], yours["online_url"]),
    ]
    return render(
        request,
        "meetings/meeting_conflict.html",
        {
            "cluster": meeting.cluster,
            "meeting": meeting,
            "form": form,
            "why": why,
            "rows": [(label, t, y, t != y) for label, t, y in rows],
        },
        status=409,
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_cancel(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = get_meeting_for(request.user, meeting_id)
    require(access.can_cancel, "Only the cluster's members cancel the meeting")
    meeting = access.meeting
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
    access = get_meeting_for(request.user, meeting_id)
    require(access.can_answer, "Members answer for themselves; facilitators send no deputy")
    meeting = access.meeting
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
    return redirect(f"{reverse('meeting_detail', args=[meeting.pk])}{anchor}")


def _back_to_item(meeting: Meeting, item_id: int) -> HttpResponse:
    """Back to the item, on its page of a long agenda."""
    order = list(meeting.items.values_list("pk", flat=True))
    page = order.index(item_id) // AGENDA_PAGE_SIZE + 1 if item_id in order else 1
    query = f"?items={page}" if page > 1 else ""
    return redirect(f"{reverse('meeting_detail', args=[meeting.pk])}{query}#item-{item_id}")


@login_required
@require_POST
def item_add(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = get_meeting_for(request.user, meeting_id)
    require(access.can_add_item, "You cannot add to this agenda")
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
                off_record=data["off_record"],
                once_key=form.once_key(),
            )
        except services.MeetingError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Your item is on the agenda.")
            return _back(access.meeting, "#agenda")
    return _meeting_page(request, access, 400, item_form=form)


def _chair_access(request: AuthedHttpRequest, meeting_id: int) -> MeetingAccess:
    access = get_meeting_for(request.user, meeting_id)
    require(access.can_arrange_agenda, "The chair arranges the agenda")
    return access


@login_required
@require_POST
def item_move(request: AuthedHttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    access = _chair_access(request, meeting_id)
    item = get_item_for(access, item_id)
    form = ItemMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Move an item up or down.")
        return _back_to_item(access.meeting, item.pk)
    try:
        services.move_item(access.meeting, item, form.cleaned_data["direction"], request.user)
    except services.MeetingError as e:
        messages.error(request, str(e))
    return _back_to_item(access.meeting, item.pk)


@login_required
@require_POST
def item_merge(request: AuthedHttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    access = _chair_access(request, meeting_id)
    item = get_item_for(access, item_id)
    form = ItemMergeForm(request.POST, items=access.meeting.items.exclude(pk=item.pk))
    if not form.is_valid():
        messages.error(request, "Choose the item to merge it into.")
        return _back(access.meeting, "#agenda")
    into = form.cleaned_data["into"]
    try:
        services.merge_items(access.meeting, request.user, item, into)
    except services.MeetingError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "The items are merged.")
    return _back_to_item(access.meeting, into.pk)


@login_required
@require_POST
def item_time(request: AuthedHttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    access = _chair_access(request, meeting_id)
    item = get_item_for(access, item_id)
    form = ItemTimeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the time as a number of minutes from 1 to 240.")
        return _back_to_item(access.meeting, item.pk)
    try:
        services.set_item_minutes(
            access.meeting,
            request.user,
            item,
            form.cleaned_data["minutes"],
            version=form.cleaned_data["version"],
        )
    except services.StaleEdit:
        messages.error(
            request,
            f"\u201c{item.title}\u201d was changed while you were timing it (merged or "
            "timed by someone else): nothing is saved; check its time below and set it again.",
        )
    except services.MeetingError as e:
        messages.error(request, str(e))
    return _back_to_item(access.meeting, item.pk)


@login_required
@require_POST
def note_add(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = get_meeting_for(request.user, meeting_id)
    require(access.can_add_note, "You cannot add to these notes")
    meeting = access.meeting
    form = NoteForm(
        request.POST,
        items=meeting.items.all(),
        # A note on an action (reviewing it) refers to one of this cluster's actions that
        # the writer may see (a deputy sees none: they are the cluster's, not the meeting's).
        actions=Action.objects.in_cluster(request.user, meeting.cluster_id),
    )
    if form.is_valid():
        item = form.cleaned_data["item"]
        try:
            services.add_note(
                meeting,
                request.user,
                form.cleaned_data["text"],
                item,
                form.cleaned_data["action"],
                form.cleaned_data["is_decision"],
            )
        except services.MeetingError as e:
            form.add_error(None, str(e))
        else:
            return _back_to_item(meeting, item.pk) if item else _back(meeting, "#notes")
    return _meeting_page(request, access, 400, note_form=form)


@login_required
@require_POST
def note_draft(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    """Keep the note being typed (the page's script sends it as the note-taker types, on
    leaving the field and on leaving the page). Answers 204 to the script; a plain form
    post (no script) goes back to the item with the draft kept."""
    access = get_meeting_for(request.user, meeting_id)
    require(access.can_add_note, "You cannot add to these notes")
    meeting = access.meeting
    form = NoteDraftForm(request.POST, items=meeting.items.all())
    if not form.is_valid():
        why = "The draft was not kept: it is too long, or its item is no longer on the agenda."
        return HttpResponse(why, status=400, content_type="text/plain; charset=utf-8")
    item, by_script = form.cleaned_data["item"], form.cleaned_data["autosave"]
    try:
        services.save_note_draft(meeting, request.user, item, form.cleaned_data["text"])
    except services.MeetingError as e:
        if by_script:
            return HttpResponse(str(e), status=409, content_type="text/plain; charset=utf-8")
        messages.error(request, str(e))
    else:
        if by_script:
            return HttpResponse(status=204)
        messages.success(request, "Your draft is kept: it will be here when you come back.")
    return _back_to_item(meeting, item.pk) if item else _back(meeting, "#notes")


@login_required
@require_POST
def item_record(request: AuthedHttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    """Mark an item off the record, or back on it (the chair, or whoever raised it)."""
    access = get_meeting_for(request.user, meeting_id)
    item = get_item_for(access, item_id)
    require(access.can_mark_off_record(item), "The chair or whoever raised the item decides this")
    form = ItemRecordForm(request.POST)
    off_record = form.is_valid() and form.cleaned_data["off_record"]
    try:
        services.set_off_record(access.meeting, request.user, item, off_record)
    except services.MeetingError as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request,
            "The item is off the record: it is discussed, not minuted."
            if off_record
            else "The item is back on the record: notes and actions can be recorded against it.",
        )
    return _back_to_item(access.meeting, item.pk)


@login_required
@require_POST
def action_add(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = get_meeting_for(request.user, meeting_id)
    require(access.can_add_action, "Members set the cluster's actions")
    meeting = access.meeting
    people = list(services.member_choices(meeting.cluster))
    form = ActionForm(request.POST, people=people, items=meeting.items.all())
    if form.is_valid():
        owner = next((p for p in people if p.pk == form.cleaned_data["owner"]), None)
        item = form.cleaned_data["item"]
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
            return _back_to_item(meeting, item.pk) if item else _back(meeting, "#notes")
    return _meeting_page(request, access, 400, action_form=form)


@login_required
@require_POST
def publish(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = get_meeting_for(request.user, meeting_id)
    require(access.can_publish_notes, "The note-taker or the chair publishes the notes")
    meeting = access.meeting
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
    access = get_meeting_for(request.user, meeting_id)
    require(access.can_take_register, "Members take the register")
    members = [
        m.user for m in services.current_members(access.meeting.cluster) if m.role == Role.MEMBER
    ]
    form = RegisterForm(request.POST, members=members)
    if not form.is_valid():
        messages.error(request, "Mark each member attended, deputised, apologies or absent.")
        return _back(access.meeting, "#register")
    try:
        services.take_register(access.meeting, request.user, form.marks())
    except services.MeetingError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "The register is saved.")
    return _back(access.meeting, "#register")


@login_required
@require_POST
def roles(request: AuthedHttpRequest, meeting_id: int) -> HttpResponse:
    access = get_meeting_for(request.user, meeting_id)
    require(access.can_set_roles, "Members agree who chairs and takes notes")
    meeting = access.meeting
    people = User.objects.filter(pk__in=[p.pk for p in services.member_choices(meeting.cluster)])
    form = RolesForm(request.POST, people=people)
    if not form.is_valid():
        messages.error(request, "Choose the chair and note-taker from the cluster's members.")
        return _back(meeting, "#roles")
    try:
        services.set_roles(
            meeting, request.user, form.cleaned_data["chair"], form.cleaned_data["note_taker"]
        )
    except services.MeetingError as e:
        messages.error(request, str(e))
    else:
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
    def context() -> dict[str, Any]:
        actions = services.my_actions(request.user)
        return {
            "open": [a for a in actions if a.status == "open"],
            "closed": [a for a in actions if a.status != "open"],
            "form": ActionUpdateForm(),
        }

    # Rendered once and kept until something it read is written (core.memo).
    return memo.page(request, "meetings/my_actions.html", context)


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
        target = form.cleaned_data["next"]
    else:
        messages.error(request, "Choose open, done or dropped.")
        target = ""
    return redirect(target or "my_actions")


# --- Calendar feeds -----------------------------------------------------------------------


@require_safe
def feed(request: HttpRequest, feed_token: str) -> HttpResponse:
    """The private feed: the token in the address is the only key (calendar apps cannot
    sign in). A replaced or revoked token finds nothing."""
    # Tokens are URL-safe base64 (``secrets.token_urlsafe``): anything else finds nothing,
    # without asking the database about NUL characters or megabyte strings.
    well_formed = len(feed_token) <= 64 and all(
        c.isascii() and (c.isalnum() or c in "-_") for c in feed_token
    )
    subscription = (
        CalendarFeed.objects.select_related("user").filter(token=feed_token, revoked=False).first()
        if well_formed
        else None
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
    form = CalendarAddressForm(request.POST)
    if form.is_valid() and form.cleaned_data["do"] == "revoke":
        services.turn_off_calendar_address(request.user)
        messages.success(
            request, "Your calendar address is turned off. Calendars using it stop updating."
        )
    elif form.is_valid():
        services.replace_calendar_address(request.user)
        messages.success(
            request, "You have a new calendar address. Any old one has stopped working."
        )
    else:
        messages.error(request, "Choose to replace the calendar address or to turn it off.")
    return redirect(f"{reverse('account')}#calendar")


# --- Term dates (coordinators) --------------------------------------------------------------


def _area(request: AuthedHttpRequest, area_id: int) -> Area:
    if not is_id(area_id):
        raise Http404("No such area")
    return get_area_for(request.user, area_id)


@login_required
@require_http_methods(["GET", "POST"])
def term_dates(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    area = _area(request, area_id)
    which = TermDatesChoiceForm(request.POST) if request.method == "POST" else None
    sent = which.cleaned_data["form"] if which is not None and which.is_valid() else ""
    form = HolidayForm(request.POST if sent == "add" else None)
    upload = TermDatesImportForm(
        request.POST if sent == "import" else None,
        request.FILES if sent == "import" else None,
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            holiday = services.add_holiday(
                area, request.user, data["name"], data["start"], data["end"]
            )
        except services.MeetingError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"{holiday.name} is added.")
            return redirect("area_term_dates", area.pk)
    if upload.is_bound and upload.is_valid():
        file = upload.cleaned_data["file"]
        try:
            # One byte over the limit is enough to know it is over: never cut a file short.
            preview = services.preview_import(
                area, request.user, file.name, file.read(termdates.MAX_BYTES + 1)
            )
        except services.MeetingError as e:
            upload.add_error("file", str(e))
        else:
            return _term_dates_preview(request, area, preview)
    return _term_dates_page(request, area, form, upload)


def _term_dates_preview(
    request: AuthedHttpRequest, area: Area, preview: services.Preview
) -> HttpResponse:
    """What the file was read as, with a button to save it; nothing is saved yet."""
    return render(
        request,
        "meetings/term_dates_preview.html",
        {
            "area": area,
            "preview": preview,
            "confirm": TermDatesConfirmForm(initial={"token": preview.token}),
        },
    )


def _term_dates_page(
    request: AuthedHttpRequest,
    area: Area,
    form: HolidayForm,
    upload: TermDatesImportForm,
    error: str = "",
) -> HttpResponse:
    holidays = list(SchoolHoliday.objects.filter(area=area))
    this_year = planner.academic_year_of(timezone.localdate())
    bad = request.method == "POST"  # reaching here after a POST means it was refused
    if error:
        messages.error(request, error)
    elif bad and not (form.is_bound or upload.is_bound):
        messages.error(request, "Add a holiday or import a file.")
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
        status=400 if bad else 200,
    )


@login_required
@require_POST
def term_dates_confirm(request: AuthedHttpRequest, area_id: int) -> HttpResponse:
    area = _area(request, area_id)
    confirm = TermDatesConfirmForm(request.POST)
    error = "Upload the file again: the preview was not sent. Nothing was imported."
    if confirm.is_valid():
        try:
            made = services.confirm_import(area, request.user, confirm.cleaned_data["token"])
        except services.MeetingError as e:
            error = str(e)
        else:
            messages.success(request, f"{len(made)} holiday periods imported.")
            return redirect("area_term_dates", area.pk)
    return _term_dates_page(request, area, HolidayForm(), TermDatesImportForm(), error)


@login_required
@require_POST
def term_dates_delete(request: AuthedHttpRequest, area_id: int, holiday_id: int) -> HttpResponse:
    area = _area(request, area_id)
    if not is_id(holiday_id) or not services.remove_holiday(area, request.user, holiday_id):
        raise Http404("No such holiday")
    messages.success(request, "Removed.")
    return redirect("area_term_dates", area.pk)
