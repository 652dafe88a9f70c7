"""Ofsted's national childcare providers file (70,000 rows) through an area's background
import, and through the administrator's command for every authority.

    .venv/bin/python bench/ofsted_import_bench.py

Builds a throwaway SQLite database under var/bench/, an area with LA code 380 (Bradford),
and a file in the published 48-column layout (every field quoted) with 70,000 active
providers, 1,000 of them Bradford's and half of all of them childminders (REDACTED), from
the test generator (tests/registers_data.py). Times the upload step (what the web request
does), the worker's run (read every row, keep the area's, write them in one transaction),
the same file again, and then the national file with no area (every authority's providers,
the administrator's ``import_ofsted``). Prints a JSON line for bench/results/.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = ROOT / "var" / "bench"
WORK.mkdir(parents=True, exist_ok=True)
DB = WORK / "ofsted.sqlite3"
if DB.exists():
    DB.unlink()
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nextpractice.conf.settings")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from tests.registers_data import national_ofsted_file  # noqa: E402

from nextpractice.directory import imports, ofsted  # noqa: E402
from nextpractice.directory.models import Area, Setting, SettingsImport  # noqa: E402

ROWS = 70_000
AREA_ROWS = 1_000


def timed_import(area: Area, data: bytes) -> dict[str, float | int]:
    started = time.perf_counter()
    job = imports.start(
        area, None, SimpleUploadedFile("childcare.csv", data, "text/csv"), SettingsImport.OFSTED
    )
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
        "outside": job.outside,
        "rejected": len(job.rejected),
    }


def main() -> None:
    call_command("migrate", verbosity=0)
    area = Area.objects.create(name="Bradford", la_code="380")
    data = national_ofsted_file(ROWS, AREA_ROWS)
    first = timed_import(area, data)
    again = timed_import(area, data)
    assert Setting.objects.count() == AREA_ROWS == first["created"]
    started = time.perf_counter()
    report = ofsted.import_ofsted(data)
    national_s = time.perf_counter() - started
    assert Setting.objects.count() == ROWS
    result = {
        "bench": "ofsted_import",
        "rows": ROWS,
        "area_rows": AREA_ROWS,
        "bytes": len(data),
        "python": sys.version.split()[0],
        "first": first,
        "again": again,
        "national_no_area": {
            "run_s": round(national_s, 2),
            "created": report.created,
            "updated": report.updated,
            "areas": Area.objects.count(),
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
