"""Loading the postcode directory: time, and memory that does not grow with the file.

    .venv/bin/python bench/postcodes_bench.py [ROWS ...]     (default: 200000 1000000)

For each size, a fresh SQLite database under var/bench/ and a generated file in the ONSPD
layout (52 columns, every field quoted, one row in 40 terminated, one in 500 without a grid
reference, one in 1,000 broken), with 1,000 settings of one area waiting for a location.
Runs ``postcodes.load`` (read, write in batches, locate the settings, one transaction) in a
child process and reports its wall time and the child's peak resident memory, so sizes can
be compared: flat memory across sizes is the point. Prints a JSON line per size for
bench/results/.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
sys.path.insert(0, str(ROOT))
from tests.registers_data import ONSPD_COLUMNS as COLUMNS  # noqa: E402  (the one layout)

LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def postcode(i: int) -> str:
    """A distinct, well-formed postcode for each i (4,000 per district; BD1..BD99, BE1..)."""
    area = ["BD", "BE", "BF", "BG", "BH", "BJ", "BK", "BL"][i // 396_000]
    district = 1 + (i // 4000) % 99
    sector = (i // 400) % 10
    unit = LETTERS[(i // 20) % 20] + LETTERS[i % 20]
    return f"{area}{district} {sector}{unit}"


def make_file(path: Path, rows: int) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        blank = dict.fromkeys(COLUMNS, "")
        for i in range(rows):
            pc = postcode(i)
            row = blank | {
                "pcd": pc.replace(" ", "").ljust(7),
                "pcds": pc if i % 1000 != 999 else "NOT A POSTCODE",
                "dointr": "198001",
                "doterm": "200512" if i % 40 == 0 else "",
                "oseast1m": "" if i % 500 == 1 else str(400_000 + i % 30_000),
                "osnrth1m": "" if i % 500 == 1 else str(420_000 + i % 25_000),
                "osgrdind": "1",
                "ctry": "E92000001",
                "lat": "53.8",
                "long": "-1.7",
            }
            writer.writerow([row[c] for c in COLUMNS])


def child(rows: int) -> None:
    db = WORK / f"postcodes-{rows}.sqlite3"
    if db.exists():
        db.unlink()
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nextpractice.conf.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from nextpractice.directory import postcodes
    from nextpractice.directory.models import Area, Setting, SettingKind

    call_command("migrate", verbosity=0)
    area = Area.objects.create(name="Bench", la_code="380")
    Setting.objects.bulk_create(
        Setting(
            name=f"Nursery {i}", kind=SettingKind.DAY_NURSERY, area=area, postcode=postcode(i * 7)
        )
        for i in range(1000)
    )
    path = WORK / f"onspd-{rows}.csv"
    make_file(path, rows)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = postcodes.load([path])
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "rows": rows,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "seconds": round(elapsed, 1),
        "rows_per_second": round(rows / elapsed),
        "peak_rss_mb_before_load": round(before / 1024, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        "loaded": report.loaded,
        "skipped": sum(report.skipped.values()),
        "rejected": report.rejected,
        "terminated": report.terminated,
        "settings_exact": report.located.exact,
        "settings_approximate": report.located.approximate,
    }
    path.unlink()
    db.unlink()
    print(json.dumps(result), flush=True)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    sizes = [int(a) for a in sys.argv[1:]] or [200_000, 1_000_000]
    env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
    for rows in sizes:
        subprocess.run([sys.executable, __file__, "--child", str(rows)], check=True, env=env)


if __name__ == "__main__":
    main()
