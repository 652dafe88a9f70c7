"""A formation round on an imported area: a short time limit against longer ones.

    .venv/bin/python bench/formation_bench.py [--leaders 300] [--time-limits 10 120]

Builds a throwaway SQLite database under var/bench/, imports a generated GIAS export of
N open settings in one local authority (British National Grid coordinates over a square
of 20 x 20 km for 300 settings, the side growing with the square root of N so that
settings stay as dense), gives each a leader with a generated profile, then runs the
round's whole pipeline (pool, scores, engine, random yardstick, saving the proposal) once
for each time limit. Prints each run, the time to score the pool, the peak memory of the
process, and last `ratio Ss/Ls: NN.NN%`, the shortest limit's score as a share of each
longer limit's.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import random
import resource
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
from nextpractice.formation.models import FormationRound, RoundStatus  # noqa: E402
from nextpractice.formation.scoring import score_matrix  # noqa: E402
from nextpractice.grouping import warm_up  # noqa: E402
from nextpractice.site.demo import fill_matching  # noqa: E402

HEADER = (ROOT / "tests" / "data" / "gias-establishments-header.csv").read_text().strip()


def gias_export(rng: random.Random, n: int) -> bytes:
    columns = next(csv.reader([HEADER]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    side = int(20000 * math.sqrt(n / 300))
    for k in range(n):
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
            "Easting": str(410000 + rng.randint(0, side)),
            "Northing": str(425000 + rng.randint(0, side)),
            "NumberOfPupils": str(rng.randint(40, 600)),
            "PercentageFSM": f"{rng.uniform(3, 60):.1f}",
            "GOR (name)": "Yorkshire and the Humber",
        }
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leaders", type=int, default=300)
    parser.add_argument("--time-limits", type=int, nargs="+", default=[10, 120])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n = args.leaders
    rng = random.Random(300)
    call_command("migrate", verbosity=0)
    area = Area.objects.create(name="Benchshire", la_code="999")
    started = time.perf_counter()
    report = gias.import_gias(gias_export(rng, n), area=area)
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
        f"({len(report.rejected)} rejected); {n} leaders with profiles",
        flush=True,
    )
    first = FormationRound.objects.create(area=area, name="Scoring", seed=args.seed)
    leaders = [services.to_leader(p) for p in services.pool(first)]
    started, cpu = time.perf_counter(), time.process_time()
    score_matrix(leaders, services.weights(first))
    print(
        f"scoring the pool of {len(leaders)}: {time.perf_counter() - started:.2f} s "
        f"({time.process_time() - cpu:.2f} s of CPU; load average {os.getloadavg()[0]:.1f})"
    )
    warmed = warm_up()
    print(f"engine compiled or loaded ahead (as a worker does at start): {warmed:.2f} s")
    results = {}
    for limit in args.time_limits:
        # As services.start leaves it for the worker (without queueing a task).
        round_ = FormationRound.objects.create(
            area=area,
            name=f"Bench {limit}",
            time_limit=limit,
            seed=args.seed,
            status=RoundStatus.RUNNING,
            heartbeat_at=timezone.now(),
        )
        load = os.getloadavg()[0]
        started = time.perf_counter()
        services.run(round_.pk)
        wall = time.perf_counter() - started
        round_.refresh_from_db()
        if round_.best_score is None:
            raise SystemExit(f"the run with a {limit} s limit stopped: {round_.error}")
        groups = services.proposal(round_)
        results[limit] = round_.best_score
        print(
            f"time limit {limit:>3} s: wall {wall:6.2f} s (pool, scores, search, random "
            f"yardstick, saving), {len(groups)} clusters, score {round_.best_score:.2f}, "
            f"random average {round_.random_average:.2f} (load average {load:.1f})",
            flush=True,
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the process (maximum resident set): {peak:.0f} MiB")
    short = min(results)
    for limit in sorted(results):
        if limit != short:
            print(f"ratio {short}s/{limit}s: {results[short] / results[limit] * 100:.2f}%")


if __name__ == "__main__":
    sys.exit(main())
