"""A formation round on an imported area of 300 settings: 10 s against 120 s.

    .venv/bin/python bench/formation_bench.py

Builds a throwaway SQLite database under var/bench/, imports a generated GIAS export of
300 open settings in one local authority (British National Grid coordinates over a
20 x 20 km area), gives each a leader with a generated profile, then runs the round's
whole pipeline (pool, scores, engine, proposal) with a 10 s and a 120 s limit.
"""

from __future__ import annotations

import csv
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
WORK.mkdir(parents=True, exist_ok=True)
DB = WORK / "formation.sqlite3"
if DB.exists():
    DB.unlink()
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nextpractice.conf.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from nextpractice.accounts.models import User  # noqa: E402
from nextpractice.directory import gias  # noqa: E402
from nextpractice.directory.models import (  # noqa: E402
    Area,
    LeaderProfile,
    Setting,
    Topic,
    Value,
)
from nextpractice.formation import services  # noqa: E402
from nextpractice.formation.models import FormationRound  # noqa: E402
from nextpractice.site.demo import fill_matching  # noqa: E402

N = 300
HEADER = (ROOT / "tests" / "data" / "gias-establishments-header.csv").read_text().strip()


def gias_export(rng: random.Random) -> bytes:
    columns = next(csv.reader([HEADER]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for k in range(N):
        phase = rng.choice(["Primary", "Primary", "Nursery", "Primary"])
        row = {
            "URN": str(300000 + k),
            "LA (code)": "999",
            "LA (name)": "Benchshire",
            "EstablishmentName": f"Bench {'Nursery' if phase == 'Nursery' else 'Primary'} {k}",
            "TypeOfEstablishment (name)": "Community school",
            "EstablishmentStatus (name)": "Open",
            "PhaseOfEducation (name)": phase,
            "Postcode": f"BS{rng.randint(1, 9)} {rng.randint(1, 9)}AB",
            "Easting": str(410000 + rng.randint(0, 20000)),
            "Northing": str(425000 + rng.randint(0, 20000)),
            "NumberOfPupils": str(rng.randint(40, 600)),
            "PercentageFSM": f"{rng.uniform(3, 60):.1f}",
            "GOR (name)": "Yorkshire and the Humber",
        }
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode()


def main() -> None:
    rng = random.Random(300)
    call_command("migrate", verbosity=0)
    area = Area.objects.create(name="Benchshire", la_code="999")
    started = time.perf_counter()
    report = gias.import_gias(gias_export(rng), area=area)
    imported = time.perf_counter() - started
    values, topics = list(Value.objects.all()), list(Topic.objects.all())
    for k, setting in enumerate(Setting.objects.filter(area=area).order_by("urn")):
        user = User.objects.create_user(f"bench{k}@example.test", None, full_name=f"Leader {k}")
        profile = LeaderProfile.objects.create(
            user=user,
            setting=setting,
            years_in_leadership=rng.choice([0, 1, 2, 4, 8, 15]),
            max_travel_km=rng.choice([5, 8, 10, 15]),
            completed_at=timezone.now(),
        )
        fill_matching(profile, rng, values, topics, persona=k % 4)
    print(
        f"Imported {report.created} settings in {imported:.2f} s "
        f"({len(report.rejected)} rejected); {N} leaders with profiles"
    )
    results = {}
    for limit in (10, 120):
        round_ = FormationRound.objects.create(
            area=area, name=f"Bench {limit}", time_limit=limit, seed=1
        )
        started = time.perf_counter()
        services.run(round_.pk)
        wall = time.perf_counter() - started
        round_.refresh_from_db()
        groups = services.proposal(round_)
        results[limit] = round_.best_score
        print(
            f"time limit {limit:>3} s: wall {wall:6.2f} s (pool, scores, search, random "
            f"yardstick, saving), {len(groups)} clusters, score {round_.best_score:.2f}, "
            f"random average {round_.random_average:.2f}",
            flush=True,
        )
    print(f"10 s reaches {results[10] / results[120] * 100:.2f}% of the 120 s score")


if __name__ == "__main__":
    sys.exit(main())
