"""A bounded load scenario: simulated members using the site at once, writes mixed in.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/nextpractice_load \
        .venv/bin/python bench/load_bench.py
    BENCH_USERS=50 BENCH_SECONDS=180 ...   (the defaults)

Builds the database (emptied first; SQLite under var/bench/ when BENCH_DATABASE_URL is not
set), ten clusters of five agreed members with a meeting each, then starts the real parts
as their own processes: ``nextpractice serve`` (gunicorn, BENCH_WEB_WORKERS, default 4) and
``nextpractice worker``, which delivers the outbox to an SMTP server (aiosmtpd) this
script runs on loopback. Each simulated member is a thread with its own session and cookie
jar that, for BENCH_SECONDS, pauses 0.5 to 1.5 s (a person reading) and then does one of:
opens the home page, the meeting, the successes or the help list (reads), adds an agenda
item, records a success, or asks for help (every write through the real form: CSRF token
and one-time key read from the page first; a tenth of the help requests are urgent and
email the whole cluster at once). No new dependency: urllib and threads.

An error is any exception or any status other than 200 (pages) or 302 (a write's redirect).
At the end the worker is given up to 60 s to empty the outbox; the emails received are
counted against the outbox. Prints the figures and a JSON line (to bench/results/load.json),
with the CPU seconds each part spent during the run (web server, PostgreSQL, worker, the
simulated members), sampled from /proc: the figures docs/capacity.md builds on.
BENCH_* variables configure this script only; the product reads none of them.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "load"
WORK.mkdir(parents=True, exist_ok=True)
DB = WORK / "load.sqlite3"
USERS = int(os.environ.get("BENCH_USERS", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "180"))
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "4"))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{DB}")
if DATABASE_URL.startswith("sqlite") and DB.exists():
    DB.unlink()
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["NEXTPRACTICE_VAR_DIR"] = str(WORK)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nextpractice.conf.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from nextpractice.accounts.models import User  # noqa: E402
from nextpractice.clusters.models import Cluster, ClusterStatus, Membership  # noqa: E402
from nextpractice.core.models import OutboundEmail  # noqa: E402
from nextpractice.directory.models import Area, LeaderProfile, Setting, SettingKind, Topic  # noqa: E402
from nextpractice.meetings.models import Meeting, PlaceKind, YearPlan  # noqa: E402
from nextpractice.meetings.planner import academic_year_of  # noqa: E402

CLUSTER_SIZE = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build() -> list[dict[str, Any]]:
    """The network: returns, per member, their session cookie, cluster and meeting."""
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    area = Area.objects.create(name="Loadshire")
    topic = Topic.objects.get_or_create(name="Staffing")[0]
    people: list[dict[str, Any]] = []
    clusters = (USERS + CLUSTER_SIZE - 1) // CLUSTER_SIZE
    starts_at = timezone.now() + dt.timedelta(days=20)
    for c in range(clusters):
        cluster = Cluster.objects.create(
            name=f"Cluster {c}", area=area, status=ClusterStatus.ACTIVE
        )
        plan = YearPlan.objects.create(
            cluster=cluster,
            start_year=academic_year_of(timezone.localdate(starts_at)),
            confirmed_at=timezone.now(),
        )
        meeting = Meeting.objects.create(
            cluster=cluster, plan=plan, starts_at=starts_at, place_kind=PlaceKind.ONLINE
        )
        for m in range(CLUSTER_SIZE):
            n = c * CLUSTER_SIZE + m
            if n >= USERS:
                break
            setting = Setting.objects.create(
                name=f"Setting {n}", kind=SettingKind.PRIMARY, area=area, urn=f"9{n:05d}"
            )
            user = User.objects.create_user(f"m{n}@load.test", None, full_name=f"Member {n}")
            LeaderProfile.objects.create(
                user=user,
                setting=setting,
                job_title="Headteacher",
                phone="07700 900111",
                completed_at=timezone.now(),
            )
            Membership.agreed_in(cluster, user).save()
            client = Client()
            client.force_login(user)
            people.append(
                {
                    "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "cluster": cluster.pk,
                    "meeting": meeting.pk,
                    "topic": topic.pk,
                    "user": user.pk,
                }
            )
    return people


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a write's 302 is its answer: measured, not followed


def field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    return found.group(1) if found else ""


class Member:
    def __init__(self, base: str, person: dict[str, Any], results: dict[str, list[Any]]):
        self.base, self.person, self.results = base, person, results
        jar = http.cookiejar.CookieJar()
        host = urllib.parse.urlparse(base).hostname or "127.0.0.1"
        jar.set_cookie(
            http.cookiejar.Cookie(
                0,
                settings.SESSION_COOKIE_NAME,
                person["session"],
                None,
                False,
                host,
                False,
                False,
                "/",
                True,
                False,
                None,
                False,
                None,
                None,
                {},
            )
        )
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), NoRedirect()
        )

    def call(self, kind: str, path: str, data: dict[str, Any] | None = None) -> str:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 -- http, ours
        if body is not None:
            request.add_header("Referer", self.base + path)
        started = time.perf_counter()
        status, text = 0, ""
        try:
            with self.opener.open(request, timeout=30) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            status = e.code
        except Exception as e:
            self.results["exceptions"].append(f"{kind}: {type(e).__name__}: {e}")
        elapsed = time.perf_counter() - started
        ok = status == (302 if data is not None else 200)
        self.results[kind].append((elapsed, ok, status))
        return text

    def write(self, kind: str, path: str, data: dict[str, Any], page_path: str = "") -> None:
        """Draw the form's page (``page_path``, or the form's own address), then send it."""
        page = self.call(f"{kind} (form)", page_path or path)
        token = field(page, "csrfmiddlewaretoken")
        self.call(
            kind, path, data | {"csrfmiddlewaretoken": token, "once_key": field(page, "once_key")}
        )

    def step(self, rng: random.Random) -> None:
        p, roll = self.person, rng.random()
        if roll < 0.25:
            self.call("home", "/")
        elif roll < 0.5:
            self.call("meeting", f"/meetings/{p['meeting']}/")
        elif roll < 0.6:
            self.call("successes", f"/clusters/{p['cluster']}/successes/")
        elif roll < 0.7:
            self.call("help list", f"/clusters/{p['cluster']}/help/")
        elif roll < 0.82:
            self.write(
                "add agenda item",
                f"/meetings/{p['meeting']}/items/",
                {"kind": "concern", "title": f"Item {rng.randrange(10**6)}", "detail": "Load"},
                page_path=f"/meetings/{p['meeting']}/",
            )
        elif roll < 0.94:
            self.write(
                "record success",
                f"/clusters/{p['cluster']}/successes/",
                {"text": "A good week", "about": p["user"], "related": ""},
            )
        else:
            self.write(
                "ask for help",
                f"/clusters/{p['cluster']}/help/new/",
                {
                    "title": "Cover needed",
                    "what_happened": "Two staff off.",
                    "urgency": "urgent" if rng.random() < 0.1 else "week",
                    "topics": [p["topic"]],
                },
            )


class CpuSampler(threading.Thread):
    """CPU seconds spent by each part during the run, read from /proc every second: the web
    server (gunicorn and its workers), the worker, PostgreSQL's backends for the bench's
    database, and this process (the simulated members and the SMTP server). Sampled, not
    read once, because a backend that closes its connection takes its counts with it."""

    def __init__(self, serve_pid: int, worker_pid: int, db_name: str) -> None:
        super().__init__(daemon=True)
        self.roots = {serve_pid: "web", worker_pid: "worker", os.getpid(): "members"}
        self.db_name = db_name
        self.first: dict[int, tuple[str, float]] = {}
        self.last: dict[int, float] = {}
        self.stopped = threading.Event()
        self.initial = True

    def sample(self) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            pid, ppid = int(entry.name), int(fields[1])
            seconds = (int(fields[11]) + int(fields[12])) / ticks
            role = self.roots.get(pid) or self.roots.get(ppid)
            if role is None and cmdline.startswith("postgres: ") and f" {self.db_name} " in cmdline:
                role = "database"
            if role is None:
                continue
            if pid not in self.first:
                # A process already running counts from now; one started since, from zero.
                self.first[pid] = (role, seconds if self.initial else 0.0)
            self.last[pid] = seconds
        self.initial = False

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            self.sample()

    def stop(self) -> dict[str, float]:
        self.stopped.set()
        self.join()
        self.sample()
        totals: dict[str, float] = defaultdict(float)
        for pid, (role, start) in self.first.items():
            totals[role] += self.last[pid] - start
        return {role: round(seconds, 1) for role, seconds in sorted(totals.items())}


def main() -> None:
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per command

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 OK"

    people = build()
    smtp_port, web_port = free_port(), free_port()
    smtp = Controller(Handler(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    env = {
        **os.environ,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "false",
        "SITE_URL": f"http://127.0.0.1:{web_port}",
    }
    log = (WORK / "processes.log").open("w")
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nextpractice",
            "serve",
            "--bind",
            f"127.0.0.1:{web_port}",
            "--workers",
            str(WEB_WORKERS),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "nextpractice", "worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{web_port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()  # noqa: S310
                break
            except Exception:
                time.sleep(0.5)
        else:
            raise SystemExit("the server did not start: see var/bench/load/processes.log")
        results: dict[str, list[Any]] = defaultdict(list)
        deadline = time.monotonic() + SECONDS

        def run(n: int) -> None:
            rng = random.Random(n)
            member = Member(base, people[n], results)
            while time.monotonic() < deadline:
                time.sleep(rng.uniform(0.5, 1.5))
                member.step(rng)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(len(people))]
        sampler = CpuSampler(serve.pid, worker.pid, str(settings.DATABASES["default"]["NAME"]))
        sampler.sample()
        sampler.start()
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cpu = sampler.stop()
        results["cpu"] = [{"seconds": round(time.monotonic() - started, 1), **cpu}]
        # The worker empties the outbox.
        for _ in range(60):
            if not OutboundEmail.objects.filter(sent_at=None).exists():
                break
            time.sleep(1)
    finally:
        for process in (serve, worker):
            process.send_signal(signal.SIGTERM)
        for process in (serve, worker):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        smtp.stop()
    report(results, received)


def quantiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        v = values[0] if values else 0.0
        return v, v, v
    q = statistics.quantiles(values, n=100, method="inclusive")
    return statistics.median(values), q[94], q[98]


def report(results: dict[str, list[Any]], received: list[bytes]) -> None:
    exceptions = results.pop("exceptions", [])
    cpu = results.pop("cpu", [{}])[0]
    rows, everything, errors = [], [], 0
    for kind in sorted(results):
        samples = results[kind]
        times = [s[0] * 1000 for s in samples]
        bad = [s[2] for s in samples if not s[1]]
        errors += len(bad)
        everything += times
        p50, p95, p99 = quantiles(times)
        rows.append(
            {
                "kind": kind,
                "requests": len(samples),
                "errors": len(bad),
                "statuses": sorted(set(bad)),
                "p50_ms": round(p50, 1),
                "p95_ms": round(p95, 1),
                "p99_ms": round(p99, 1),
            }
        )
    p50, p95, p99 = quantiles(everything)
    outbox = OutboundEmail.objects.count()
    unsent = OutboundEmail.objects.filter(sent_at=None).count()
    summary = {
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "members": USERS,
        "seconds": SECONDS,
        "web_workers": WEB_WORKERS,
        "requests": len(everything),  # the row "all" below reads these names
        "errors": errors + len(exceptions),
        "p50_ms": round(p50, 1),
        "p95_ms": round(p95, 1),
        "p99_ms": round(p99, 1),
        "outbox": outbox,
        "unsent": unsent,
        "received": len(received),
        "by_kind": rows,
        "exceptions": exceptions[:10],
        "cpu_seconds": cpu,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }
    print("| request | n | errors | p50 ms | p95 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    keys = ("requests", "errors", "p50_ms", "p95_ms", "p99_ms")
    for r in [*rows, {"kind": "all", **summary}]:
        print(f"| {r['kind']} | " + " | ".join(str(r[k]) for k in keys) + " |")
    print(f"outbox {outbox}, unsent {unsent}, received by SMTP {len(received)}")
    print(f"CPU seconds during the run: {cpu} on {os.cpu_count()} CPUs")
    line = json.dumps(summary)
    print(line)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(line + "\n")


if __name__ == "__main__":
    main()
