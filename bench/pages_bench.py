"""Server time and size of the pages a member opens, in a small network and a large one.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/np_pages \
        .venv/bin/python bench/pages_bench.py
    BENCH_SETTINGS=200,2000 BENCH_REQUESTS=200 ...   (the defaults)

Builds the network (emptied first; SQLite under var/bench/ when BENCH_DATABASE_URL is not
set) in steps: at each size in BENCH_SETTINGS, settings with a leader each, clusters of five
agreed members, each cluster with its year of meetings (one held, with published notes and
actions; the next with an agenda of eight items), successes, help requests, a review and
notifications. The measured member belongs to one cluster whose next meeting also has a
60-item agenda (the long agenda the issue met). Grows in place from one size to the next,
so "the same person, a bigger network" is what changes.

Each page is requested through Django's full stack in this process (URL routing, every
middleware, the session, the view, templates) with DEBUG off, BENCH_REQUESTS times after
20 warm-up requests; server time is the wall time of each request, the figure is the
median (and the 90th percentile). Member pages are kept between requests until something
they read is written (core.memo), so these are pages served kept, as when nobody has
changed anything since; "cold ms" is the median of the first request after a write that
retires every kept page (the page drawn afresh, and kept again); "cpu ms" is this
process's CPU time per request (the median), steadier than wall time on a shared machine
and without the database's own work.
The same run times a one-view Django app (one URL, a view returning a short text, the same
middleware) to give each page's throughput relative to it (its median over the page's).
Query counts are read with CaptureQueriesContext; "calls" counts Python function calls per
request (cProfile), the work done whatever the machine's load. Prints a table per size with the load
average, a JSON line (also to bench/results/pages.json), and last which pages meet the
8 ms target at the largest size. BENCH_* variables configure this script only.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "pages"
WORK.mkdir(parents=True, exist_ok=True)
DB = WORK / "pages.sqlite3"
SIZES = [int(n) for n in os.environ.get("BENCH_SETTINGS", "200,2000").split(",")]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{DB}")
if DATABASE_URL.startswith("sqlite") and DB.exists():
    DB.unlink()
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["NEXTPRACTICE_VAR_DIR"] = str(WORK)
os.environ["DEBUG"] = "false"
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nextpractice.conf.settings")
sys.path.insert(0, str(ROOT / "src"))

import django  # noqa: E402

django.setup()

from allauth.mfa.totp.internal.auth import TOTP  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import path, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from nextpractice.accounts.models import User  # noqa: E402
from nextpractice.clusters.models import Cluster, ClusterStatus, Membership, Role  # noqa: E402
from nextpractice.core import memo  # noqa: E402
from nextpractice.core.models import Kind, Notification  # noqa: E402
from nextpractice.directory.models import Area, LeaderProfile, Setting, SettingKind  # noqa: E402
from nextpractice.meetings.models import (  # noqa: E402
    Action,
    AgendaItem,
    Meeting,
    MeetingStatus,
    Note,
    PlaceKind,
    YearPlan,
)
from nextpractice.meetings.planner import academic_year_of  # noqa: E402
from nextpractice.support.models import HelpRequest, Success, Urgency  # noqa: E402

CLUSTER_SIZE = 5
# Issue 16's target for every member page: median server time at the largest size.
TARGET_MS = 8.0


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world")


urlpatterns = [path("", trivial)]


def grow(area: Area, to: int) -> None:
    """Settings, leaders and clusters up to ``to`` settings, with each cluster's year."""
    start = Setting.objects.count()
    if start >= to:
        return
    now = timezone.now()
    settings_ = Setting.objects.bulk_create(
        [
            Setting(name=f"Setting {i}", kind=SettingKind.PRIMARY, area=area, urn=f"9{i:06}")
            for i in range(start, to)
        ]
    )
    users = User.objects.bulk_create(
        [
            User(email=f"leader{s.pk}@bench.test", full_name=f"Leader {s.pk} Bench")
            for s in settings_
        ]
    )
    LeaderProfile.objects.bulk_create(
        [
            LeaderProfile(user=u, setting=s, completed_at=now)
            for u, s in zip(users, settings_, strict=True)
        ]
    )
    groups = [users[i : i + CLUSTER_SIZE] for i in range(0, len(users), CLUSTER_SIZE)]
    clusters = Cluster.objects.bulk_create(
        [Cluster(name=f"Cluster {g[0].pk}", area=area, status=ClusterStatus.ACTIVE) for g in groups]
    )
    Membership.objects.bulk_create(
        [
            Membership(
                cluster=c,
                user=u,
                role=Role.MEMBER,
                ground_rules_agreed_at=now,
                ground_rules_agreed_version=1,
            )
            for c, g in zip(clusters, groups, strict=True)
            for u in g
        ]
    )
    year = academic_year_of(timezone.localdate())
    plans = YearPlan.objects.bulk_create(
        [YearPlan(cluster=c, start_year=year, confirmed_at=now) for c in clusters]
    )
    meetings = Meeting.objects.bulk_create(
        [
            Meeting(
                cluster=c,
                plan=p,
                starts_at=now + dt.timedelta(days=days),
                duration_minutes=90,
                status=MeetingStatus.SCHEDULED,
                place_kind=PlaceKind.ONLINE,
                online_url="https://meet.example/x",
                notes_published_at=now if days < 0 else None,
            )
            for c, p in zip(clusters, plans, strict=True)
            for days in (-30, 5, 40, 80, 120, 160)
        ]
    )
    by_cluster: dict[int, list[Meeting]] = {}
    for m in meetings:
        by_cluster.setdefault(m.cluster_id, []).append(m)
    items, notes, actions, successes, helps, notices = [], [], [], [], [], []
    for c, g in zip(clusters, groups, strict=True):
        held, upcoming = by_cluster[c.pk][0], by_cluster[c.pk][1]
        for k in range(8):
            items.append(
                AgendaItem(meeting=upcoming, title=f"Item {k}", raised_by=g[k % len(g)], position=k)
            )
        notes.append(Note(meeting=held, author=g[0], text="We agreed to share our plans."))
        for u in g:
            actions.append(
                Action(
                    cluster=c,
                    meeting=held,
                    title="Share the plan",
                    owner=u,
                    due=timezone.localdate() + dt.timedelta(days=5),
                    created_by=g[0],
                    created_at=held.starts_at,
                )
            )
            notices.append(
                Notification(user=u, cluster=c, kind=Kind.NOTES, text="Notes published", link="/")
            )
        successes.append(Success(cluster=c, author=g[0], about=g[-1], text="A **great** term"))
        helps.append(
            HelpRequest(
                cluster=c,
                requester=g[1],
                title="Staffing",
                what_happened="Two off sick.",
                urgency=Urgency.WEEK,
            )
        )
    AgendaItem.objects.bulk_create(items)
    Note.objects.bulk_create(notes)
    Action.objects.bulk_create(actions)
    Success.objects.bulk_create(successes)
    HelpRequest.objects.bulk_create(helps)
    Notification.objects.bulk_create(notices)


def measure(client: Client, url: str) -> dict[str, Any]:
    for _ in range(20):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times, cpu = [], []
    for _ in range(REQUESTS):
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    queries = len(ctx.captured_queries)  # read now: the next request empties the log
    # Python function calls per request (cProfile over 5 requests): the work done, counted
    # rather than timed, so runs on a busy machine and a quiet one compare.
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(5):
        client.get(url)
    profile.disable()
    calls = sum(row[1] for row in pstats.Stats(profile).stats.values()) / 5
    times.sort()
    # The first request after a write that retires every kept page (core.memo): what a page
    # costs when drawn afresh, as after any change to what it shows.
    cold = []
    for _ in range(max(5, REQUESTS // 4)):
        memo.retire_all()
        t0 = time.perf_counter()
        client.get(url)
        cold.append((time.perf_counter() - t0) * 1000)
    return {
        "median_ms": round(statistics.median(times), 2),
        "p90_ms": round(times[int(len(times) * 0.9)], 2),
        # This process's CPU time: the Python side of the request (routing, middleware, ORM,
        # templates), less disturbed than wall time by other work on a shared machine.
        "cpu_ms": round(statistics.median(cpu), 2),
        "kb": round(len(response.content) / 1024, 1),
        "queries": queries,
        "calls": round(calls),
        "cold_ms": round(statistics.median(cold), 2),
    }


def main() -> None:
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    # DEBUG is off, as in production: pages name the collected, hashed static files.
    call_command("collectstatic", interactive=False, verbosity=0)
    area = Area.objects.create(name="Benchshire")
    coordinator = User.objects.create_user("coord@bench.test", None, full_name="Cora Bench")
    area.coordinators.add(coordinator)
    # Coordinators must have two-step sign-in set up before they see the directory.
    TOTP.activate(coordinator, "JBSWY3DPEHPK3PXPBENCHONLY")
    results: dict[str, Any] = {
        "database": connection.vendor,
        "requests": REQUESTS,
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "cpus": os.cpu_count(),
        "sizes": {},
    }
    member: User | None = None
    for size in SIZES:
        grow(area, size)
        if member is None:
            member = User.objects.filter(email__endswith="@bench.test", profile__isnull=False)[0]
            cluster = Membership.objects.get(user=member).cluster
            nxt = Meeting.objects.unscoped().filter(cluster=cluster, starts_at__gt=timezone.now())[
                0
            ]
            AgendaItem.objects.bulk_create(
                [
                    AgendaItem(
                        meeting=nxt,
                        title=f"A longer item title, number {k}, about phonics",
                        detail="What we want to talk about, in a few sentences. " * 3,
                        raised_by=member,
                        position=100 + k,
                    )
                    for k in range(60)
                ]
            )
        assert member is not None
        cluster = Membership.objects.get(user=member).cluster
        upcoming = Meeting.objects.unscoped().filter(cluster=cluster, starts_at__gt=timezone.now())
        client = Client()
        client.force_login(member)
        coord = Client()
        coord.force_login(coordinator)
        pages = {
            "home": (client, "/"),
            "cluster": (client, reverse("cluster_detail", args=[cluster.pk])),
            "meeting (68-item agenda)": (client, reverse("meeting_detail", args=[upcoming[0].pk])),
            "meeting (later)": (client, reverse("meeting_detail", args=[upcoming[1].pk])),
            "year of meetings": (client, reverse("meetings_year", args=[cluster.pk])),
            "my actions": (client, reverse("my_actions")),
            "notifications": (client, reverse("notifications")),
            "successes": (client, reverse("successes", args=[cluster.pk])),
            "help": (client, reverse("help_list", args=[cluster.pk])),
            "area directory (coordinator)": (coord, reverse("area_directory", args=[area.pk])),
        }
        figures = {name: measure(c, url) for name, (c, url) in pages.items()}
        with override_settings(ROOT_URLCONF=__name__):
            baseline = measure(Client(), "/")
        for row in figures.values():
            # Throughput relative to the one-view app: its median time over the page's.
            row["vs_one_view"] = f"{baseline['median_ms'] / row['median_ms']:.1%}"
            row["vs_one_view_cpu"] = f"{baseline['cpu_ms'] / row['cpu_ms']:.1%}"
        results["sizes"][size] = {
            "settings": Setting.objects.count(),
            "clusters": Cluster.objects.count(),
            "one_view_app_ms": baseline["median_ms"],
            "one_view_app_cpu_ms": baseline["cpu_ms"],
            "load_average": os.getloadavg(),
            "pages": figures,
        }
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"\n{Setting.objects.count()} settings, {Cluster.objects.count()} clusters, "
            f"{connection.vendor}; one-view Django app: {baseline['median_ms']} ms median, "
            f"{baseline['cpu_ms']} ms CPU; load average {load}"
        )
        print(
            f"{'page':32} {'median ms':>9} {'p90 ms':>7} {'cpu ms':>7} {'KB':>6} {'queries':>7} "
            f"{'calls':>7} {'vs 1-view':>9} {'(cpu)':>6} {'cold ms':>8}"
        )
        for name, row in figures.items():
            print(
                f"{name:32} {row['median_ms']:9} {row['p90_ms']:7} {row['cpu_ms']:7} {row['kb']:6} "
                f"{row['queries']:7} {row['calls']:7} {row['vs_one_view']:>9} "
                f"{row['vs_one_view_cpu']:>6} {row['cold_ms']:8}"
            )
    out = ROOT / "bench" / "results" / "pages.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results))
    largest = results["sizes"][SIZES[-1]]
    for label, key in [("median server time", "median_ms"), ("CPU time", "cpu_ms")]:
        met = [n for n, r in largest["pages"].items() if r[key] <= TARGET_MS]
        missed = [f"{n} ({r[key]})" for n, r in largest["pages"].items() if r[key] > TARGET_MS]
        print(
            f"At {largest['settings']} settings, {label} <= {TARGET_MS} ms: "
            f"met by {', '.join(met) or 'none'}; not by {', '.join(missed) or 'none'}"
        )
    assert settings.DEBUG is False


if __name__ == "__main__":
    main()
