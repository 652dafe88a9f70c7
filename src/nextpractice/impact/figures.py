"""What the impact pages show, read and computed: a person's own trend, a cluster's
health (its members only), the coordinator's overview (no content), and the area's figures
(through ``disclosure`` and ``stats.protect_groups``: nothing about fewer than five).

Breakdowns are protected jointly. Every breakdown of the change since joining (by setting
type, by deprivation band) is one table of areas by groups, protected once with
``disclosure.protect`` (complementary suppression included); the programme's figures are
its column totals and an area's are its row. A group's mean is shown only where its count
is. So the same figure reached two ways (an area's page, the programme's page, the CSV,
the summary email) is the same figure or hidden in both, and the tables share their margins
(each area's total of people): a margin hidden in one is hidden in all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from nextpractice import disclosure
from nextpractice.accounts.models import Invitation
from nextpractice.clusters.models import Cluster, Membership
from nextpractice.directory.models import Area, LeaderProfile, SettingKind
from nextpractice.meetings.models import (
    Action,
    ActionStatus,
    Attendance,
    Mark,
    Meeting,
    MeetingStatus,
)
from nextpractice.reviews.models import Feedback
from nextpractice.support.models import HelpRequest, IdeaTrial, Success, term_key

from . import charts, stats
from .models import (
    CheckIn,
    Item,
    ItemKind,
    Measure,
    Outcome,
    OutcomeKind,
    Questionnaire,
    term_label,
    term_order,
)

MIN_GROUP = disclosure.THRESHOLD
UCLA_TOTAL = "ucla_total"

SETTING_GROUPS: list[tuple[str, str, set[str]]] = [
    (
        "early_years",
        "Nurseries, pre-schools and children's centres",
        {SettingKind.DAY_NURSERY, SettingKind.PRE_SCHOOL, SettingKind.CHILDRENS_CENTRE},
    ),
    ("childminders", "Childminders", {SettingKind.CHILDMINDER}),
    (
        "schools",
        "Schools and maintained nurseries",
        {
            SettingKind.NURSERY_SCHOOL,
            SettingKind.NURSERY_CLASS,
            SettingKind.INFANT,
            SettingKind.PRIMARY,
        },
    ),
    ("other", "Other or not known", set()),
]
BANDS: list[tuple[str, str, set[int]]] = [
    ("most", "Most deprived (IDACI deciles 1 to 3)", {1, 2, 3}),
    ("middle", "Middle (deciles 4 to 7)", {4, 5, 6, 7}),
    ("least", "Least deprived (deciles 8 to 10)", {8, 9, 10}),
    ("unknown", "Not known", set()),
]


def setting_group(kind: str | None) -> int:
    for i, (_, _, kinds) in enumerate(SETTING_GROUPS):
        if kind in kinds:
            return i
    return len(SETTING_GROUPS) - 1


def band_of(decile: int | None) -> int:
    for i, (_, _, deciles) in enumerate(BANDS):
        if decile in deciles:
            return i
    return len(BANDS) - 1


@dataclass(frozen=True)
class MeasureSpec:
    key: str
    label: str
    low: int
    high: int
    higher_is_better: bool


def current_items(area_id: int | None = None) -> list[Item]:
    """The items an area's leaders are asked now (its own version, else everyone's; with no
    area, everyone's), in one query, or two for an area with a version of its own."""
    for versions in Questionnaire.by_preference(area_id):
        latest = versions.values("pk")[:1]
        items = list(Item.objects.filter(questionnaire__in=latest).order_by("position", "pk"))
        if items:
            return items
    return []


def measures(items: Sequence[Item] | None = None) -> list[MeasureSpec]:
    """What is followed over time: each 0-10 item, the UCLA total (3 to 9) and the direct
    loneliness question, from the current questionnaire's items."""
    items = current_items() if items is None else items
    found: list[MeasureSpec] = []
    ucla = [i for i in items if i.measure == Measure.UCLA3 and i.kind == ItemKind.CHOICE]
    for item in items:
        if item.kind == ItemKind.TEXT or item.measure == Measure.UCLA3:
            continue
        low, high = item.value_range
        found.append(MeasureSpec(item.key, item.short_label, low, high, item.higher_is_better))
    if ucla:
        low = sum(i.value_range[0] for i in ucla)
        high = sum(i.value_range[1] for i in ucla)
        found.append(MeasureSpec(UCLA_TOTAL, "Loneliness (UCLA, 3 to 9)", low, high, False))
    return found


def ucla_keys(items: Sequence[Item]) -> list[str]:
    return [i.key for i in items if i.measure == Measure.UCLA3]


def value_of(scores: dict[str, Any], key: str, ucla_keys: Sequence[str]) -> float | None:
    if key == UCLA_TOTAL:
        parts = [scores.get(k) for k in ucla_keys]
        if not ucla_keys or any(p is None for p in parts):
            return None
        return float(sum(int(p) for p in parts if p is not None))
    value = scores.get(key)
    return None if value is None else float(value)


# --- A person's own trend ------------------------------------------------------------------


def own_trend(user: Any) -> dict[str, Any]:
    """The person's answered check-ins as one chart and table per measure ("since you
    joined"). Only ever for the person themselves."""
    answered = list(CheckIn.objects.of(user).answered().order_by("answered_at"))
    answered.sort(key=lambda c: (not c.is_baseline, term_order(c.term), c.answered_at))
    # Her own area's version: the trend follows what she is asked.
    items = current_items(answered[-1].area_id if answered else None)
    specs, ucla = measures(items), ucla_keys(items)
    labels = ["When you joined" if c.is_baseline else term_label(c.term) for c in answered]
    rows = []
    for k, spec in enumerate(specs):
        values = [value_of(c.scores, spec.key, ucla) for c in answered]
        direction = "higher is better" if spec.higher_is_better else "lower is better"
        svg = charts.line_chart(
            f"trend-{k}",
            f"{spec.label}, since you joined",
            f"Your answers from {spec.low} to {spec.high} ({direction}), one point a check-in.",
            [charts.Point(label, v) for label, v in zip(labels, values, strict=True)],
            spec.low,
            spec.high,
        )
        rows.append(
            {
                "spec": spec,
                "values": values,
                "pairs": list(zip(labels, values, strict=True)),
                "svg": svg,
                "direction": direction,
            }
        )
    return {"labels": labels, "measures": rows, "count": len(answered)}


# --- A cluster's health (its members only) -------------------------------------------------


def cluster_health(cluster: Cluster, user: Any, today: dt.date | None = None) -> dict[str, Any]:
    """Figures a cluster can act on, from what ``user`` may read of it (a help request or a
    review with a narrower audience counts only for those in it)."""
    now = timezone.now()
    today = today or timezone.localdate(now)
    year_start = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    since = timezone.make_aware(dt.datetime.combine(year_start, dt.time()))
    meetings = Meeting.objects.in_cluster(user, cluster.pk).filter(starts_at__gte=since)
    counts = meetings.aggregate(
        planned=Count("pk", filter=~Q(status=MeetingStatus.PROPOSED)),
        due=Count("pk", filter=~Q(status=MeetingStatus.PROPOSED) & Q(starts_at__lt=now)),
        held=Count("pk", filter=Q(status=MeetingStatus.SCHEDULED, starts_at__lt=now)),
    )
    marks = (
        Attendance.objects.in_cluster(user, cluster.pk)
        .filter(meeting__starts_at__gte=since, meeting__starts_at__lt=now)
        .exclude(mark="")
        .aggregate(
            marked=Count("pk"),
            present=Count("pk", filter=Q(mark__in=[Mark.ATTENDED, Mark.DEPUTISED])),
        )
    )
    due_actions, on_time = 0, 0
    for status, due, closed_at in (
        Action.objects.in_cluster(user, cluster.pk)
        .filter(created_at__gte=since, due__isnull=False)
        .values_list("status", "due", "closed_at")
    ):
        if due is None or (status != ActionStatus.DONE and due >= today):
            continue  # not yet due, and still open: neither on time nor late
        due_actions += 1
        done_by = timezone.localdate(closed_at) if closed_at is not None else None
        on_time += status == ActionStatus.DONE and done_by is not None and done_by <= due
    waits = [
        (answered - asked).total_seconds() / 3600
        for asked, answered in HelpRequest.objects.in_cluster(user, cluster.pk)
        .filter(created_at__gte=since, first_answer_at__isnull=False)
        .values_list("created_at", "first_answer_at")
        if answered is not None
    ]
    people = list(
        Membership.objects.in_cluster(user, cluster.pk)
        .agreed()
        .members()
        .select_related("user")
        .order_by("user__full_name")
    )
    feedback = list(
        Feedback.objects.in_cluster(user, cluster.pk)
        .filter(submitted_at__gte=since)
        .values_list("reviewer_id", "request__requester_id")
    )
    balance: list[dict[str, Any]] = [
        {
            "person": m.user,
            "given": sum(1 for g, _ in feedback if g == m.user_id),
            "received": sum(1 for _, r in feedback if r == m.user_id),
        }
        for m in people
    ]
    trials = IdeaTrial.objects.in_cluster(user, cluster.pk).filter(updated_at__gte=since).count()
    return {
        "year_start": year_start,
        "meetings": counts,
        "attendance": marks,
        "attendance_percent": _percent(marks["present"], marks["marked"]),
        "actions_due": due_actions,
        "actions_on_time": on_time,
        "actions_percent": _percent(on_time, due_actions),
        "help_answered": len(waits),
        "median_wait_hours": stats.median(waits) if waits else None,
        "balance": balance,
        # Balanced: nobody has received feedback two or more times more than they gave,
        # nor the other way round.
        "balanced": all(abs(b["given"] - b["received"]) <= 1 for b in balance),
        "ideas_tried": trials,
        "combined": combined_check_in([m.user_id for m in people], term_key(today)),
        "shared_help": list(
            CheckIn.objects.filter(
                user_id__in=[m.user_id for m in people],
                share_helped=True,
                answered_at__gte=since,
            )
            .select_related("user")
            .order_by("-answered_at")[:20]
        ),
        "outcomes": list(
            Outcome.objects.in_cluster(user, cluster.pk)
            .select_related("success", "success__about")
            .order_by("-created_at")[:20]
        ),
    }


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def combined_check_in(user_ids: Sequence[int], term: str) -> dict[str, Any]:
    """The cluster's combined check-in for the term: the mean of each measure over the
    members who answered it, only when at least MIN_GROUP did."""
    answered = list(
        CheckIn.objects.filter(user_id__in=user_ids, term=term, is_baseline=False)
        .answered()
        .values_list("scores", flat=True)
    )
    result: dict[str, Any] = {"term": term_label(term), "answered": len(answered), "rows": []}
    if len(answered) < MIN_GROUP:
        return result
    items = current_items()
    ucla = ucla_keys(items)
    for spec in measures(items):
        values = [v for s in answered if (v := value_of(s, spec.key, ucla)) is not None]
        if len(values) >= MIN_GROUP:
            result["rows"].append({"spec": spec, "n": len(values), "mean": stats.mean(values)})
    return result


def successes_to_mark(cluster: Cluster, user: Any) -> list[Success]:
    """The person's own successes (about them or written by them) in the cluster, newest
    first: those they may mark as an outcome of the cluster's work."""
    return list(
        Success.objects.in_cluster(user, cluster.pk)
        .filter(Q(about=user) | Q(author=user))
        .select_related("about")[:50]
    )


# --- The coordinator's overview: no content ------------------------------------------------


def area_overview(area: Area, today: dt.date | None = None) -> dict[str, Any]:
    """Which clusters meet (last and next meeting dates), their size and invitations, and
    check-in response by cluster through disclosure. Dates and counts only: the coordinator
    never reads inside a cluster."""
    now = timezone.now()
    term = term_key(today or timezone.localdate(now))
    clusters = list(Cluster.objects.filter(area=area).with_sizes().order_by("name"))
    ids = [c.pk for c in clusters]
    # Dates only, across the area's clusters: the coordinator's view, nobody's read of one.
    dates = {
        row["cluster_id"]: row
        for row in Meeting.objects.unscoped()
        .filter(cluster_id__in=ids, status=MeetingStatus.SCHEDULED)
        .values("cluster_id")
        .annotate(
            last=Max("starts_at", filter=Q(starts_at__lt=now)),
            next=Min("starts_at", filter=Q(starts_at__gte=now)),
        )
    }
    # Counts of pending invitations per cluster: the coordinator sends some of them.
    invited = dict(
        Invitation.objects.unscoped()
        .pending()
        .filter(cluster_id__in=ids)
        .values("cluster_id")
        .annotate(n=Count("pk"))
        .values_list("cluster_id", "n")
    )
    members = list(
        Membership.objects.unscoped()
        .agreed()
        .members()
        .filter(cluster_id__in=ids)
        .values_list("cluster_id", "user_id")
    )
    answered = set(
        CheckIn.objects.filter(term=term, is_baseline=False, area=area)
        .answered()
        .values_list("user_id", flat=True)
    )
    invited_to_check_in = set(
        CheckIn.objects.filter(term=term, is_baseline=False, area=area).values_list(
            "user_id", flat=True
        )
    )
    response = []
    for c in clusters:
        asked = [u for cid, u in members if cid == c.pk and u in invited_to_check_in]
        done = sum(1 for u in asked if u in answered)
        response.append([done, len(asked) - done])
    table = disclosure.protect(response, MIN_GROUP) if clusters else None
    rows = []
    for i, c in enumerate(clusters):
        row = dates.get(c.pk, {})
        rows.append(
            {
                "cluster": c,
                "last": row.get("last"),
                "next": row.get("next"),
                "invitations": invited.get(c.pk, 0),
                "answered": table.cells[i][0] if table else None,
                "not_yet": table.cells[i][1] if table else None,
                "asked": table.row_totals[i] if table and table.row_totals else None,
            }
        )
    totals = None
    if table is not None:
        if table.column_totals:
            totals = {
                "answered": table.column_totals[0],
                "not_yet": table.column_totals[1],
                "asked": table.total,
            }
        else:
            totals = {"answered": table.cells[0][0], "not_yet": table.cells[0][1], "asked": None}
    return {"rows": rows, "totals": totals, "term": term_label(term)}


# --- The area's figures --------------------------------------------------------------------


@dataclass
class Pair:
    area_id: int
    group: int
    band: int
    before: dict[str, Any]
    after: dict[str, Any]


def pairs(area_ids: Iterable[int]) -> list[Pair]:
    """Each leader with a baseline and a later answered check-in: (baseline, latest)."""
    rows = list(
        CheckIn.objects.answered()
        .filter(area_id__in=list(area_ids))
        .values_list("user_id", "area_id", "is_baseline", "term", "answered_at", "scores")
    )
    baseline: dict[int, dict[str, Any]] = {}
    latest: dict[int, tuple[tuple[int, int], dt.datetime, int, dict[str, Any]]] = {}
    for user_id, area_id, is_baseline, term, answered_at, scores in rows:
        if is_baseline:
            baseline[user_id] = scores
            continue
        if answered_at is None:  # answered() excludes these; the type checker cannot tell
            continue
        key = (term_order(term), answered_at, area_id, scores)
        if user_id not in latest or key[:2] > latest[user_id][:2]:
            latest[user_id] = key
    people = [u for u in latest if u in baseline]
    context = {
        user_id: (kind, decile)
        for user_id, kind, decile in LeaderProfile.objects.filter(user_id__in=people).values_list(
            "user_id", "setting__kind", "setting__idaci_decile"
        )
    }
    found = []
    for user_id in sorted(people):
        kind, decile = context.get(user_id, (None, None))
        found.append(
            Pair(
                area_id=latest[user_id][2],
                group=setting_group(kind),
                band=band_of(decile),
                before=baseline[user_id],
                after=latest[user_id][3],
            )
        )
    return found


def protect_jointly(counts: list[list[list[int]]]) -> list[disclosure.ProtectedTable]:
    """Protect tables that share their row totals and grand total (the same people broken
    down different ways, with the same rows): a margin hidden in one is hidden in every
    one, and each is protected again with it hidden, until nothing changes."""
    hidden_rows: set[int] = set()  # row r's total; r == number of rows: the grand total
    while True:
        tables = []
        for c in counts:
            n_cols = len(c[0]) if c else 0
            forced = {(r, n_cols) for r in hidden_rows}
            tables.append(disclosure.protect(c, MIN_GROUP, hide=forced))
        now: set[int] = set()
        for c, t in zip(counts, tables, strict=True):
            if t.total is None:
                now.add(len(c))
            now |= {r for r, v in enumerate(t.row_totals) if v is None}
        if now <= hidden_rows:
            return tables
        hidden_rows |= now


def area_figures(areas: Sequence[Area], scope: int | None) -> dict[str, Any]:
    """The figures for the programme (``scope`` None: every area in ``areas``) or for one
    area (its index in ``areas``), always protected across all of ``areas`` at once."""
    area_ids = [a.pk for a in areas]
    index = {pk: i for i, pk in enumerate(area_ids)}
    found = [p for p in pairs(area_ids) if p.area_id in index]
    items = current_items()
    specs, ucla = measures(items), ucla_keys(items)
    splits = [
        ("Setting type", [label for _, label, _ in SETTING_GROUPS], lambda p: p.group),
        ("Deprivation band", [label for _, label, _ in BANDS], lambda p: p.band),
    ]
    counts = []
    for _, labels, key in splits:
        grid = [[0] * len(labels) for _ in areas]
        for p in found:
            grid[index[p.area_id]][key(p)] += 1
        counts.append(grid)
    tables = protect_jointly(counts) if areas else []

    def overall_n(t: disclosure.ProtectedTable) -> int | None:
        if scope is None or len(areas) == 1:
            return t.total
        return t.row_totals[scope] if t.row_totals else t.total

    def group_n(t: disclosure.ProtectedTable, c: int) -> int | None:
        if len(areas) == 1:
            return t.cells[0][c]
        if scope is None:
            return t.column_totals[c] if t.column_totals else t.cells[0][c]
        return t.cells[scope][c]

    in_scope = [p for p in found if scope is None or index[p.area_id] == scope]
    total_n = overall_n(tables[0]) if tables else None
    overall = (
        _changes(in_scope, specs, ucla) if total_n is not None and total_n >= MIN_GROUP else []
    )
    breakdowns = []
    for (title, labels, key), t in zip(splits, tables, strict=True):
        members = [[p for p in in_scope if key(p) == c] for c in range(len(labels))]
        shown_n = [group_n(t, c) for c in range(len(labels))]
        # A mean is a figure too: the hidden groups' combined change is the overall's less
        # the shown groups', so together they must hold none or at least MIN_GROUP people.
        hidden, overall_hidden = stats.protect_groups(
            [len(m) for m in members], MIN_GROUP, {c for c, n in enumerate(shown_n) if n is None}
        )
        if overall_hidden:
            overall = []
        groups = []
        for c, label in enumerate(labels):
            changes = [] if c in hidden else _changes(members[c], specs, ucla)
            by_key = {ch["key"]: ch for ch in changes}
            groups.append(
                {
                    "label": label,
                    "n": shown_n[c],
                    "changes": by_key,
                    "cells": [by_key.get(spec.key) for spec in specs],
                }
            )
        breakdowns.append({"title": title, "groups": groups, "table": t, "labels": labels})
    chart = charts.interval_chart(
        "change",
        "Change since joining, with 95% intervals",
        "Mean change from each leader's first check-in to their latest, on each question's own "
        "scale; a point right of the line is an increase.",
        [charts.Interval(c["label"], c["mean"], c["low"], c["high"]) for c in overall],
        -3.0,
        3.0,
    )
    return {
        "total_n": total_n,
        "overall": overall,
        "breakdowns": breakdowns,
        "chart": chart if overall else "",
        "specs": specs,
        "count_tables": _count_tables(areas, tables, breakdowns, scope),
        "responses": response_table(areas, scope),
        "activity": activity(areas, scope),
        "outcomes": outcome_table(areas, scope),
    }


def _changes(
    found: Sequence[Pair], specs: Sequence[MeasureSpec], ucla: Sequence[str]
) -> list[dict[str, Any]]:
    rows = []
    for spec in specs:
        before, after = [], []
        for p in found:
            b, a = value_of(p.before, spec.key, ucla), value_of(p.after, spec.key, ucla)
            if b is not None and a is not None:
                before.append(b)
                after.append(a)
        if len(before) < MIN_GROUP:
            continue
        change = stats.paired_change(before, after)
        rows.append(
            {
                "key": spec.key,
                "label": spec.label,
                "n": change.n,
                "mean": change.mean,
                "low": change.low,
                "high": change.high,
                "higher_is_better": spec.higher_is_better,
                # Signed, so that a fall reads as one in the tables and the email.
                "text": f"{change.mean:+.2f}",
                "interval": f"{change.low:+.2f} to {change.high:+.2f}",
            }
        )
    return rows


def _count_tables(
    areas: Sequence[Area],
    tables: Sequence[disclosure.ProtectedTable],
    breakdowns: Sequence[dict[str, Any]],
    scope: int | None,
) -> list[dict[str, Any]]:
    """The leaders behind the change figures, areas by group (a programme view shows every
    area; an area's view its own row)."""
    out = []
    for t, b in zip(tables, breakdowns, strict=True):
        out.append(
            layout(
                f"Leaders with a check-in since joining, by {b['title'].lower()}",
                "Local authority",
                [a.name for a in areas],
                b["labels"],
                t,
                scope,
            )
        )
    return out


def activity(areas: Sequence[Area], scope: int | None) -> list[dict[str, Any]]:
    """Journey 10's year across clusters of five or more members: meetings held, attendance
    and how quickly help requests were first answered, by area (an area's page: its own).
    Rates and durations only, and only from clusters of at least MIN_GROUP members, so no
    figure is about a smaller group."""
    now = timezone.now()
    today = timezone.localdate(now)
    year_start = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    since = timezone.make_aware(dt.datetime.combine(year_start, dt.time()))
    chosen = [a.pk for i, a in enumerate(areas) if scope is None or i == scope]
    sized = Cluster.objects.filter(area_id__in=chosen).with_sizes()
    # "size" is with_sizes' annotation, which the type checker cannot see.
    big = dict(sized.filter(size__gte=MIN_GROUP).values_list("pk", "area_id"))  # type: ignore[misc]
    # Counted across the areas' larger clusters, never read: nobody's view of one cluster.
    held = dict(
        Meeting.objects.unscoped()
        .filter(cluster_id__in=big, status=MeetingStatus.SCHEDULED)
        .filter(starts_at__gte=since, starts_at__lt=now)
        .values("cluster__area_id")
        .annotate(n=Count("pk"))
        .values_list("cluster__area_id", "n")
    )
    marks = {
        row["meeting__cluster__area_id"]: row
        for row in Attendance.objects.unscoped()
        .filter(meeting__cluster_id__in=big, meeting__starts_at__gte=since)
        .filter(meeting__starts_at__lt=now)
        .exclude(mark="")
        .values("meeting__cluster__area_id")
        .annotate(
            marked=Count("pk"),
            present=Count("pk", filter=Q(mark__in=[Mark.ATTENDED, Mark.DEPUTISED])),
        )
    }
    waits: dict[int, list[float]] = {}
    for area_id, asked, answered_at in (
        HelpRequest.objects.unscoped()
        .filter(cluster_id__in=big, created_at__gte=since, first_answer_at__isnull=False)
        .values_list("cluster__area_id", "created_at", "first_answer_at")
    ):
        if answered_at is not None:
            waits.setdefault(area_id, []).append((answered_at - asked).total_seconds() / 3600)
    rows = []
    for area in areas:
        if area.pk not in chosen:
            continue
        mark = marks.get(area.pk, {"marked": 0, "present": 0})
        area_waits = waits.get(area.pk, [])
        rows.append(
            {
                "area": area.name,
                "clusters": sum(1 for a in big.values() if a == area.pk),
                "meetings": held.get(area.pk, 0),
                "attendance": _percent(mark["present"], mark["marked"]),
                "answered": len(area_waits),
                "median_hours": stats.median(area_waits) if area_waits else None,
            }
        )
    return rows


def response_table(areas: Sequence[Area], scope: int | None) -> dict[str, Any]:
    """Termly check-ins answered and not, areas by term, through disclosure."""
    rows = list(
        CheckIn.objects.filter(area__in=list(areas), is_baseline=False)
        .values_list("area_id", "term")
        .annotate(done=Count("pk", filter=Q(answered_at__isnull=False)), all=Count("pk"))
    )
    terms = sorted({t for _, t, _, _ in rows}, key=term_order)
    index = {a.pk: i for i, a in enumerate(areas)}
    counts = [[0] * len(terms) for _ in areas]
    for area_id, term, done, _ in rows:
        counts[index[area_id]][terms.index(term)] += done
    if not terms or not areas:
        return {}
    return layout(
        "Termly check-ins answered, by term",
        "Local authority",
        [a.name for a in areas],
        [term_label(t) for t in terms],
        disclosure.protect(counts, MIN_GROUP),
        scope,
    )


def outcome_table(areas: Sequence[Area], scope: int | None) -> dict[str, Any]:
    """Successes marked as outcomes of clusters' work, by kind: counts only."""
    # Counted across the areas' clusters, never read: nobody's view of one cluster.
    rows = (
        Outcome.objects.unscoped()
        .filter(cluster__area__in=list(areas))
        .values_list("cluster__area_id", "kind")
        .annotate(n=Count("pk"))
    )
    kinds = list(OutcomeKind)
    index = {a.pk: i for i, a in enumerate(areas)}
    counts = [[0] * len(kinds) for _ in areas]
    for area_id, kind, n in rows:
        counts[index[area_id]][kinds.index(OutcomeKind(kind))] += n
    if not areas:
        return {}
    return layout(
        "Successes marked as outcomes of a cluster's work",
        "Local authority",
        [a.name for a in areas],
        [k.label for k in kinds],
        disclosure.protect(counts, MIN_GROUP),
        scope,
    )


def layout(
    caption: str,
    row_header: str,
    row_labels: list[str],
    column_labels: list[str],
    table: disclosure.ProtectedTable,
    scope: int | None,
) -> dict[str, Any]:
    """A protected table laid out for the page and the CSV (None: hidden). An area's view
    shows its own row and its total only."""
    margins = bool(table.row_totals)
    rows = []
    for i, label in enumerate(row_labels):
        if scope is not None and i != scope:
            continue
        cells = list(table.cells[i])
        cells.append(table.row_totals[i] if margins else table.total)
        rows.append({"label": label, "cells": cells})
    totals: list[int | None] = []
    if scope is None and len(row_labels) > 1:
        totals = [*table.column_totals, table.total] if margins else []
    return {
        "caption": caption,
        "row_header": row_header,
        "columns": [*column_labels, "Total"],
        "rows": rows,
        "totals": totals,
    }


def area_summary(area: Area, term: str) -> dict[str, Any]:
    """The coordinator's termly summary: the area's own figures, as its page shows them."""
    areas = list(Area.objects.order_by("name"))
    scope = next(i for i, a in enumerate(areas) if a.pk == area.pk)
    figures = area_figures(areas, scope)
    overview = area_overview(area)
    return {
        "term_label": term_label(term),
        "overall": figures["overall"],
        "total_n": figures["total_n"],
        "clusters": overview["rows"],
        "response_totals": overview["totals"],
    }
