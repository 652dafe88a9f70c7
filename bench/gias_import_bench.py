"""A local authority's full GIAS update (20,000 rows) through the background import.

    .venv/bin/python bench/gias_import_bench.py

Builds a throwaway SQLite database under var/bench/, an area with LA code 380, and a file in
the real 139-column GIAS layout with 20,000 open establishments (every 50th row broken, so
the report has rejected rows). Times the upload step (what the web request does: size and
header checks, storing the file, queueing the task) and the worker's run (reading every row,
then writing every setting and the report in one transaction), first import and re-import.
Prints a JSON line for bench/results/.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
WORK.mkdir(parents=True, exist_ok=True)
DB = WORK / "gias.sqlite3"
if DB.exists():
    DB.unlink()
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nextpractice.conf.settings")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402

from nextpractice.directory import imports  # noqa: E402
from nextpractice.directory.models import Area, Setting, SettingsImport  # noqa: E402

ROWS = 20_000
HEADER = (ROOT / "tests" / "data" / "gias-establishments-header.csv").read_text().strip()
COLUMNS = next(csv.reader([HEADER]))


def gias_file() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for i in range(ROWS):
        row = {
            "URN": f"{200000 + i}" if i % 50 else f"bad{i}",
            "LA (code)": "380",
            "LA (name)": "Bradford",
            "EstablishmentName": f"Primary School {i}",
            "TypeOfEstablishment (name)": "Community school",
            "EstablishmentStatus (name)": "Open",
            "PhaseOfEducation (name)": "Primary",
            "Street": "School Lane",
            "Town": "Bradford",
            "Postcode": "BD7 1AX",
            "Easting": "414500",
            "Northing": "432900",
            "NumberOfPupils": "412",
            "PercentageFSM": "38.6",
            "GOR (name)": "Yorkshire and the Humber",
        }
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return out.getvalue().encode()


def timed_import(area: Area, data: bytes) -> dict[str, float | int]:
    started = time.perf_counter()
    job = imports.start(area, None, SimpleUploadedFile("edubase.csv", data, "text/csv"))
    upload_s = time.perf_counter() - started
    started = time.perf_counter()
    imports.run(job.pk)
    run_s = time.perf_counter() - started
    job.refresh_from_db()
    assert job.state == SettingsImport.DONE, job.error
    return {
        "upload_s": round(upload_s, 3),
        "run_s": round(run_s, 2),
        "created": job.created,
        "updated": job.updated,
        "rejected": len(job.rejected),
    }


def main() -> None:
    call_command("migrate", verbosity=0)
    area = Area.objects.create(name="Bradford", la_code="380")
    data = gias_file()
    first = timed_import(area, data)
    again = timed_import(area, data)
    assert Setting.objects.count() == first["created"]
    result = {
        "bench": "gias_import",
        "rows": ROWS,
        "bytes": len(data),
        "python": sys.version.split()[0],
        "first": first,
        "again": again,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
