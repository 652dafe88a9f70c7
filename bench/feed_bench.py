"""A person's calendar feed: three clusters, five academic years of meetings each.

    .venv/bin/python bench/feed_bench.py
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/nextpractice_bench \
        .venv/bin/python bench/feed_bench.py

Builds a throwaway SQLite database under var/bench/, makes three clusters of six leaders
(the measured leader in all three), plans five years of meetings for each (half-termly for
one, monthly for two: 6 + 11 + 11 a year, 140 meetings in all, some moved, some cancelled),
then times the whole feed request through Django's test client (URL resolution, the query,
building and serialising the calendar), 200 times after 10 warm-up requests. Reports the
median, the 95th percentile and the feed's size; prints a JSON line for bench/results/.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
WORK.mkdir(parents=True, exist_ok=True)
DB = WORK / "feed.sqlite3"
if DB.exists():
    DB.unlink()
# SQLite by default; BENCH_DATABASE_URL=postgresql://... measures PostgreSQL (that
# database is emptied first).
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{DB}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nextpractice.conf.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from nextpractice.accounts.models import User  # noqa: E402
from nextpractice.clusters.models import Cluster, ClusterStatus, Membership  # noqa: E402
from nextpractice.directory.models import Area, LeaderProfile, Setting, SettingKind  # noqa: E402
from nextpractice.meetings import planner  # noqa: E402
from nextpractice.meetings.models import CalendarFeed, Meeting, YearPlan  # noqa: E402

REQUESTS = 200
WARM_UP = 10


def build() -> str:
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    area = Area.objects.create(name="Benchshire")
    me = User.objects.create_user("me@bench.test", None, full_name="Measured Leader")
    this_year = planner.academic_year_of(timezone.localdate())
    for c in range(3):
        cluster = Cluster.objects.create(
            name=f"Cluster {c}, the \u201cbench\u201d; group",
            area=area,
            status=ClusterStatus.ACTIVE,
        )
        members = [me] + [
            User.objects.create_user(f"l{c}{k}@bench.test", None, full_name=f"Leader {c}{k}")
            for k in range(5)
        ]
        settings_ = []
        for k, user in enumerate(members):
            setting = Setting.objects.create(
                name=f"Setting {c}{k}, Church Lane",
                kind=SettingKind.PRIMARY,
                area=area,
                urn=f"9{c}{k:04d}",
                address=f"{k} High Street\nBenchtown",
                postcode="NB1 2AB",
            )
            settings_.append(setting)
            LeaderProfile.objects.get_or_create(user=user, defaults={"setting": setting})
            Membership.objects.get_or_create(
                cluster=cluster, user=user, defaults={"ground_rules_agreed_version": 1}
            )
        cadence = planner.Cadence.HALF_TERMLY if c == 0 else planner.Cadence.MONTHLY
        meetings = []
        for y in range(this_year - 2, this_year + 3):
            plan = YearPlan.objects.create(
                cluster=cluster, start_year=y, cadence=cadence, confirmed_at=timezone.now()
            )
            days = [
                p.day
                for p in planner.propose_dates(planner.Calendar.build(y, None, {}), cadence, 2)
            ]
            hosts = planner.rotation(settings_, len(days))
            for n, (day, host) in enumerate(zip(days, hosts, strict=True)):
                meetings.append(
                    Meeting(
                        cluster=cluster,
                        plan=plan,
                        starts_at=planner.local_datetime(day, dt.time(15)),
                        host_setting=host,
                        status="cancelled" if n % 9 == 8 else "scheduled",
                        sequence=n % 3,
                    )
                )
        Meeting.objects.bulk_create(meetings)
    return CalendarFeed.objects.create(user=me).token


def main() -> None:
    token = build()
    count = Meeting.objects.count()
    client = Client(HTTP_HOST="127.0.0.1")
    url = reverse("calendar_feed", args=[token])
    for _ in range(WARM_UP):
        body = client.get(url).content
    timings = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    body = response.content
    events = body.count(b"BEGIN:VEVENT")
    result = {
        "meetings_in_database": count,
        "events_in_feed": events,
        "feed_bytes": len(body),
        "requests": REQUESTS,
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(statistics.quantiles(timings, n=20)[18], 2),
        "min_ms": round(min(timings), 2),
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "python": sys.version.split()[0],
    }
    print(json.dumps(result))
    out = ROOT / "bench" / "results" / f"feed-{result['database']}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    target = 50
    print(
        f"feed of {events} events ({len(body)} bytes): median {result['median_ms']} ms, "
        f"p95 {result['p95_ms']} ms (target: median under {target} ms)"
    )


if __name__ == "__main__":
    main()
