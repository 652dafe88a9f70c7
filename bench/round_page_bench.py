"""The coordinator's round page and publish summary for a whole authority's pool.

    .venv/bin/python bench/round_page_bench.py [--leaders 1500] [--repeat 5]

Builds a throwaway SQLite database under var/bench/ with one area of N leaders (values,
strengths, needs, located settings with GIAS-style addresses) and a proposal of clusters of
five (placements written directly: the engine is measured by formation_bench.py), then
times the round's page (fit by part, the yardstick and its explanation, names, the map)
and the publish summary through Django's test client: the median of ``--repeat`` requests
after one warm-up, with the number of queries and the page's size. Prints a JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
WORK.mkdir(parents=True, exist_ok=True)
DB = WORK / "round_page.sqlite3"
if DB.exists():
    DB.unlink()
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nextpractice.conf.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# Pages link their static files by name; no collectstatic manifest is needed to time them.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # Django's test client

from allauth.mfa.totp.internal.auth import TOTP  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from nextpractice.accounts.models import User  # noqa: E402
from nextpractice.directory.models import (  # noqa: E402
    Area,
    LeaderProfile,
    Setting,
    SettingKind,
    Topic,
    TopicChoice,
    Value,
    ValueRating,
)
from nextpractice.formation.models import FormationRound, Placement, RoundStatus  # noqa: E402

PLACES = ["Riverside", "Hilltop", "Ashby", "Millbrook", "Kelder", "Oakfield", "Brookside"]
TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # noqa: S105 - a throwaway bench database's two-step key


def build(leaders: int) -> tuple[Client, str, str]:
    call_command("migrate", verbosity=0)
    rng = random.Random(1)
    area = Area.objects.create(name="Benchshire")
    sam = User.objects.create_user("sam@bench.test", None, full_name="Sam Coordinator")
    area.coordinators.add(sam)
    TOTP.activate(sam, TOTP_SECRET)
    settings_ = Setting.objects.bulk_create(
        [
            Setting(
                name=f"Setting {k}",
                kind=SettingKind.PRIMARY if k % 3 else SettingKind.DAY_NURSERY,
                area=area,
                urn=f"{100000 + k}",
                address=f"{k} High Street, {PLACES[k % len(PLACES)]}, Benchtown",
                postcode=f"NB{1 + k % 9} 2AB",
                latitude=53.6 + rng.uniform(0, 0.3),
                longitude=-1.8 + rng.uniform(0, 0.4),
                idaci_decile=1 + k % 10,
            )
            for k in range(leaders)
        ]
    )
    users = User.objects.bulk_create(
        [User(email=f"l{k}@bench.test", full_name=f"Leader {k}") for k in range(leaders)]
    )
    profiles = LeaderProfile.objects.bulk_create(
        [
            LeaderProfile(
                user=u,
                setting=s,
                completed_at=timezone.now(),
                years_in_leadership=k % 8,
                max_travel_km=10,
            )
            for k, (u, s) in enumerate(zip(users, settings_, strict=True))
        ]
    )
    values, topics = list(Value.objects.all()), list(Topic.objects.all())
    ValueRating.objects.bulk_create(
        [
            ValueRating(profile=p, value=v, importance=rng.randint(1, 5))
            for p in profiles
            for v in values
        ]
    )
    TopicChoice.objects.bulk_create(
        [
            TopicChoice(profile=p, topic=t, kind=kind)
            for p in profiles
            for t, kind in zip(
                rng.sample(topics, 4), ["strength", "strength", "develop", "develop"], strict=True
            )
        ]
    )
    round_ = FormationRound.objects.create(
        area=area,
        name="Bench round",
        created_by=sam,
        status=RoundStatus.PROPOSED,
        finished_at=timezone.now(),
        best_score=0.0,
        random_average=0.0,
    )
    order = list(users)
    rng.shuffle(order)
    Placement.objects.bulk_create(
        [Placement(round=round_, user=u, group=k // 5) for k, u in enumerate(order)]
    )
    client = Client()
    client.force_login(sam)
    return (
        client,
        reverse("formation_round", args=[area.pk, round_.pk]),
        reverse("formation_publish_confirm", args=[area.pk, round_.pk]),
    )


def measure(client: Client, url: str, repeat: int) -> dict[str, float]:
    client.get(url)  # warm-up (and the session's first save)
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            began = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - began)
        assert response.status_code == 200, response.status_code
    return {
        "median_s": round(statistics.median(times), 3),
        "queries": len(ctx.captured_queries),
        "kib": round(len(response.content) / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leaders", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    client, page, confirm = build(args.leaders)
    result = {
        "leaders": args.leaders,
        "round_page": measure(client, page, args.repeat),
        "publish_summary": measure(client, confirm, args.repeat),
    }
    for name in ("round_page", "publish_summary"):
        r = result[name]
        print(f"{name}: {r['median_s']} s median, {r['queries']} queries, {r['kib']} KiB")  # type: ignore[index]
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
