"""The fuzz walk: every URL pattern, every form, with malformed input, as four roles.

A member (Alice), the facilitator (Fay), an outsider (Oscar) and the coordinator (Cora) each

- GET every page of the project (the URL conf, as the access matrix walks it), plainly, with
  every id in the address swapped for the other cluster's id of the same kind and for the
  largest id, and with malformed query strings;
- parse each page's HTML forms (the stdlib's html.parser) and submit each form with one field
  at a time replaced by malformed values;
- POST to every POST-only address with such bodies (the fields come from the forms the
  cluster's own people were shown, so Oscar and Cora send them too, to addresses they must
  not reach).

It fails on any 500 (all of them collected and reported together: address, role, field,
value, exception, and the file:line in our code it came from), on any write a person is not
entitled to (the other cluster's rows, for Alice and Fay; Riverside's, for Oscar; both, for
Cora: compared row by row after every request that wrote anything), and on any page that
shows the other cluster's content (its titles carry a marker).

Every request runs in a savepoint that is rolled back afterwards, so a submission that is
valid despite the bad field (leaving the cluster, cancelling the meeting) does not change
the world the next request sees, and the session cookie is put back after each request.

The bad values are a representative set per kind of field, not the full cross product (that
would take many minutes): each field gets the values that break that kind of field
(ids and numbers: non-ASCII digits, 20 digits, a negative, NaN and the other cluster's id;
dates: 0000-00-00, 10000-01-01 and non-ASCII digits; text: NUL, a megabyte, markup), one
value at a time, the other fields keeping what the page filled in. Alice sends every value
to every field of every form; Fay, Oscar and Cora one per field, turning through the list (so
each value still reaches each form: Oscar's and Cora's requests are refused before any form
is read, and Fay's mostly repeat Alice's). Query strings are sent by the first role that sees
a page (views read them alike for everyone). A NUL never reaches a view any more (core/
middleware.py answers 400); the values still carry one so that stays true.

Any 500 fails the walk, on either database. About 3,300 requests: ~35 s on SQLite,
~55 s on PostgreSQL on an idle machine.
"""

from __future__ import annotations

import functools
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django import forms
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from nextpractice.accounts.models import User
from nextpractice.clusters import aims
from nextpractice.clusters.models import Cluster
from nextpractice.core.converters import MAX_ID
from nextpractice.directory.models import LeaderProfile
from nextpractice.meetings import services as meeting_services
from nextpractice.reviews import filetypes
from nextpractice.reviews import services as review_services
from nextpractice.support import services as support_services
from nextpractice.support.models import Event, Funding, Idea, NewHead, ResearchPiece

from .conftest import Cast, make_meeting
from .test_access_matrix import MATRIX, all_patterns

# The access matrix's fixture, requested by name below.
from .test_access_matrix import world as world

# Every title of the other cluster's content carries this; no page shown to someone outside
# that cluster may contain it.
MARKER = "Zqhilltopz"

MB = 1024 * 1024

# label -> value. Labels are what failures name (a megabyte is unprintable).
NUMBER_VALUES = {
    "sup2": "²",  # "²".isdigit() is True, int("²") raises
    "arabic3": "٣",  # int("٣") == 3: a digit to Python, not to the database
    "20digits": "9" * 20,  # beyond a 64-bit integer
    "negative": "-1",
    "nan": "NaN",
}
DATE_VALUES = {
    "date0000": "0000-00-00",
    "year10000": "10000-01-01",
    "sup-year": "²⁰²⁶-01-01",
}
TIME_VALUES = {"time25": "25:61", "arabic-time": "٣:٣٠"}
TEXT_VALUES = {
    "nul": "a\x00b",
    "1MB": "x" * MB,
    "markup": '<script>alert("x")</script>',
}
# Query strings: every parameter a view reads (and those of the page's GET forms) at once.
QUERY_NAMES = ["year", "page", "q", "id", "step", "over", "next", "version", "kind", "expired"]
QUERY_VALUES = {
    "year99999": "99999",
    "sup23": "²³",
    "negative": "-1",
    "nul": "\x00",
    "20digits": "9" * 20,
    "1MB": "9" * MB,
    "markup": "<script>x</script>",
    "nan": "NaN",
}
POST_NAMES = ["title", "body", "text", "kind", "minutes", "user", "member", "item", "focus"]
POST_NAMES += ["answer", "decision", "vote", "reason", "group", "position", "to", "status"]
PATH_VALUES = {"nul": "a\x00b", "long": "x" * 10_000, "markup": "<script>x</script>"}
SKIP_ACTIONS = ("/accounts/logout/", "/admin/")

ROLES = ["member", "facilitator", "outsider", "coordinator"]

# Writes a person is entitled to make in a cluster they are not in: (role, model label).
ENTITLED_WRITES: set[tuple[str, str]] = set()


# --- HTML forms ---------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, number, date, time, select, hidden, checkbox, radio, file...
    value: str
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)

    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.action, self.method, tuple(sorted({f.name for f in self.fields})))

    def data(self) -> dict[str, Any]:
        """What a browser would send untouched."""
        data: dict[str, Any] = {}
        for f in self.fields:
            if f.kind in {"checkbox", "radio"} and not f.value:
                continue
            if f.kind == "file":
                continue
            if f.kind == "checkbox":
                data.setdefault(f.name, []).append(f.value)
            else:
                data.setdefault(f.name, f.value)
        return data


class FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: Field | None = None
        self.textarea: Field | None = None
        self.button_seen: set[str] = set()
        # Buttons that send their form elsewhere (formaction): each is a form of its own.
        self.elsewhere: list[tuple[str, Field | None]] = []

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if tag == "form":
            action = urljoin(self.page, attrs.get("action") or self.page)
            self.form = Form(action, (attrs.get("method") or "get").lower())
            self.forms.append(self.form)
            return
        if tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            self.select.options.append(value)
            if "selected" in attrs or (not self.select.value and value):
                self.select.value = value
            return
        if self.form is None or "disabled" in attrs:
            return
        submits = tag == "button" and (attrs.get("type") or "submit").lower() == "submit"
        submits = submits or (tag == "input" and (attrs.get("type") or "").lower() == "submit")
        if submits and "formaction" in attrs:
            button = (
                Field(attrs["name"], "button", attrs.get("value", ""))
                if attrs.get("name")
                else None
            )
            self.elsewhere.append((urljoin(self.page, attrs["formaction"]), button))
            return
        if "name" not in attrs:
            return
        name = attrs["name"]
        if name == "csrfmiddlewaretoken":
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "image"}:
                # The first named button: some forms say what to do through it.
                if name not in self.button_seen:
                    self.button_seen.add(name)
                    self.form.fields.append(Field(name, "button", attrs.get("value", "")))
                return
            if kind in {"checkbox", "radio"}:
                value = attrs.get("value", "on") if "checked" in attrs else ""
                existing = [f for f in self.form.fields if f.name == name and f.kind == kind]
                if kind == "radio" and existing:
                    existing[0].options.append(attrs.get("value", "on"))
                    if value:
                        existing[0].value = value
                    return
                self.form.fields.append(Field(name, kind, value, [attrs.get("value", "on")]))
                return
            self.form.fields.append(Field(name, kind, attrs.get("value", "")))
        elif tag == "button":
            if name not in self.button_seen:
                self.button_seen.add(name)
                self.form.fields.append(Field(name, "button", attrs.get("value", "")))
        elif tag == "select":
            self.select = Field(name, "select", "")
            self.form.fields.append(self.select)
        elif tag == "textarea":
            self.textarea = Field(name, "textarea", "")
            self.form.fields.append(self.textarea)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            if self.form is not None:
                # What a browser sends when that button is pressed: the form's fields, the
                # button's own name and value, and none of the other buttons'.
                fields = [f for f in self.form.fields if f.kind != "button"]
                for action, button in self.elsewhere:
                    extra = [button] if button is not None else []
                    self.forms.append(Form(action, self.form.method, fields + extra))
            self.form = None
            self.button_seen = set()
            self.elsewhere = []
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea.value += data


def forms_of(page: str, html: str) -> list[Form]:
    parser = FormParser(page)
    parser.feed(html)
    return parser.forms


# --- The world: the access matrix's, and the same again in the other cluster ---------------


def other_cluster_content(cast: Cast) -> dict[str, int]:
    """Content of Oscar's cluster (Hilltop), ids by the URL keyword that names each kind."""
    other = cast.other_cluster
    meeting = make_meeting(other, timedelta(days=21))
    meeting.chair = meeting.note_taker = cast.oscar
    meeting.save()
    item = meeting_services.add_item(meeting, cast.oscar, "concern", f"{MARKER} item")
    action = meeting_services.add_action(meeting, cast.oscar, f"{MARKER} action", cast.oscar)
    review = review_services.create_request(
        other,
        cast.oscar,
        kind="document",
        title=f"{MARKER} SEF",
        feedback_by=date(2030, 1, 1),
        focus=[(f"{MARKER} focus", None)],
        document_kind="sef",
        upload=review_services.CheckedFile(b"%PDF-1.4 test", "sef.pdf", filetypes.PDF),
    )
    help_request = support_services.ask_for_help(
        other, cast.oscar, f"{MARKER} help", "Help!", [], "urgent"
    )
    piece = ResearchPiece.objects.create(
        cluster=other, added_by=cast.oscar, title=f"{MARKER} research", summary="x"
    )
    idea = Idea.objects.create(
        cluster=other, author=cast.oscar, title=f"{MARKER} idea", what_we_did="x", what_happened="y"
    )
    event = Event.objects.create(
        cluster=other,
        kind="sports",
        title=f"{MARKER} event",
        venue="Park",
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
    )
    funding = Funding.objects.create(
        cluster=other, funder=f"{MARKER} trust", what="Kit", deadline=date(2030, 1, 1)
    )
    aim = aims.propose_aim(
        other, cast.oscar, title=f"{MARKER} aim", why="x", how_we_know="y", review_on=None
    )
    support_services.say_new(other, cast.oscar, new=True)
    new_head = NewHead.objects.unscoped().get(cluster=other, user=cast.oscar)
    step = support_services.add_step(other, cast.oscar, f"{MARKER} first step")
    return {
        "cluster_id": other.pk,
        "user_id": cast.oscar.pk,
        "aim_id": aim.pk,
        "meeting_id": meeting.pk,
        "plan_id": meeting.plan_id,
        "item_id": item.pk,
        "action_id": action.pk,
        "review_id": review.pk,
        "version_id": review.versions.get().pk,
        "help_id": help_request.pk,
        "piece_id": piece.pk,
        "idea_id": idea.pk,
        "event_id": event.pk,
        "funding_id": funding.pk,
        "new_head_id": new_head.pk,
        "step_id": step.pk,
    }


# --- Who may write what: a fingerprint of a cluster's rows --------------------------------


@functools.cache
def paths_to_cluster() -> dict[type[models.Model], list[str]]:
    """For every model of ours, the lookups (up to three foreign keys deep) to a cluster: all
    of them, as a row may hang off its cluster by one key and leave another empty."""
    found: dict[type[models.Model], list[str]] = {Cluster: ["pk"]}
    frontier: dict[type[models.Model], list[str]] = {Cluster: [""]}
    for _ in range(3):
        nxt: dict[type[models.Model], list[str]] = {}
        for model in apps.get_models():
            if not model.__module__.startswith("nextpractice") or model is Cluster:
                continue
            for f in model._meta.fields:
                target = getattr(f, "related_model", None)
                if f.is_relation and f.many_to_one and target in frontier:
                    for prefix in frontier[target]:
                        path = f"{f.name}__{prefix}" if prefix else f.name
                        nxt.setdefault(model, []).append(path)
                        found.setdefault(model, []).append(path)
        frontier = nxt
    return found


def fingerprint(clusters: list[Cluster]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that belongs to these clusters, and their members' accounts and profiles."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    q_by_model = paths_to_cluster()
    for model, paths in q_by_model.items():
        query = models.Q()
        for path in paths:
            query |= models.Q(**{f"{path}__in": [c.pk for c in clusters]})
        rows[model._meta.label] = sorted(
            model._base_manager.filter(query).distinct().values_list(), key=repr
        )
    members = User.objects.filter(memberships__cluster__in=clusters).distinct()
    rows["accounts.User"] = sorted(
        members.values_list("pk", "email", "full_name", "is_active", "password"), key=repr
    )
    rows["directory.LeaderProfile"] = sorted(
        LeaderProfile.objects.filter(user__in=members).values_list(), key=repr
    )
    return rows


def changed_models(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))


# --- The walk -------------------------------------------------------------------------------


@dataclass
class Problem:
    kind: str  # 500, write, leak
    name: str
    role: str
    method: str
    url: str
    field: str
    label: str
    detail: str

    def key(self) -> tuple[str, str, str]:
        return (self.name, self.field, self.label)

    def __str__(self) -> str:
        url = self.url if len(self.url) < 120 else self.url[:117] + "..."
        return (
            f"{self.kind} {self.name} as {self.role}: {self.method} {url} "
            f"[{self.field}={self.label}] {self.detail}"
        )


def origin(exc_info: Any) -> str:
    """The exception and the last line of our code it passed through."""
    exc_type, exc, tb = exc_info
    where = "?"
    for frame in traceback.extract_tb(tb):
        if "/nextpractice/" in frame.filename and "/site-packages/" not in frame.filename:
            where = f"{frame.filename.split('/src/')[-1]}:{frame.lineno}"
    message = str(exc).replace("\x00", "\\x00")
    message = message if len(message) < 160 else message[:157] + "..."
    return f"{exc_type.__name__}: {message} at {where}"


@dataclass
class Walk:
    cast: Cast
    client: Client
    role: str
    protected: list[Cluster]
    baseline: dict[str, list[tuple[Any, ...]]]
    problems: list[Problem]
    requests: int = 0

    def send(
        self,
        name: str,
        method: str,
        url: str,
        data: dict[str, Any] | None = None,
        *,
        field: str = "",
        label: str = "",
    ) -> Any:
        cookies = self.client.cookies
        self.requests += 1
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                response = getattr(self.client, method)(url, data or {})
            problem = Problem("", name, self.role, method.upper(), url, field, label, "")
            if response.status_code >= 500:
                exc = getattr(response, "exc_info", None)
                problem.kind = "500"
                problem.detail = origin(exc) if exc else f"status {response.status_code}"
                self.problems.append(problem)
            elif any(wrote(q["sql"]) for q in queries.captured_queries):
                after = fingerprint(self.protected)
                touched = [
                    label_
                    for label_ in changed_models(self.baseline, after)
                    if (self.role, label_) not in ENTITLED_WRITES
                ]
                if touched:
                    problem.kind = "write"
                    problem.detail = f"changed {touched}"
                    self.problems.append(problem)
            transaction.set_rollback(True)
        self.client.cookies = cookies
        if (
            self.role != "outsider"
            and response.status_code < 500
            and not response.streaming
            and MARKER.encode() in response.content
        ):
            problem.kind = "leak"
            problem.detail = "shows the other cluster's content"
            self.problems.append(problem)
        return response


def wrote(sql: str) -> bool:
    head = sql.lstrip().split(" ", 1)[0].upper()
    return head in {"INSERT", "UPDATE", "DELETE"} and "django_session" not in sql


def bad_values(f: Field, other: dict[str, int]) -> dict[str, Any]:
    """The representative bad values for one kind of field (see the module's docstring)."""
    if f.kind == "file":
        return {
            "junk-file": SimpleUploadedFile("evil.pdf", b"\x00<script>"),
            "nul-name": SimpleUploadedFile("ev\x00il.pdf", b"%PDF-1.4"),
        }
    if f.kind in {"date", "month"}:
        return DATE_VALUES
    if f.kind in {"time", "datetime-local"}:
        return TIME_VALUES | {"date0000": "0000-00-00T00:00"}
    numeric = f.kind == "number" or (f.value.isdigit() or any(o.isdigit() for o in f.options))
    if f.kind in {"select", "radio", "checkbox", "hidden", "number", "button"} or numeric:
        values: dict[str, Any] = dict(NUMBER_VALUES)
        if numeric:
            guess = other_id_for(f.name, other)
            if guess is not None:
                values["other-cluster-id"] = str(guess)
        if not numeric:
            values |= {"nul": "a\x00b", "markup": TEXT_VALUES["markup"]}
        return values
    return TEXT_VALUES | {"sup2": "²"}


def other_id_for(name: str, other: dict[str, int]) -> int | None:
    base = name.split("-")[-1].removesuffix("_id").removesuffix("s")
    for key, value in other.items():
        if key.removesuffix("_id") == base:
            return value
    if base in {"user", "member", "person", "owner", "assignee", "chair", "note_taker", "who"}:
        return other["user_id"]
    return other.get("item_id")


@dataclass
class World:
    kwargs: dict[str, Any]
    other: dict[str, int]
    people: dict[str, User]


def url_of(route: str, name: str, kwargs: dict[str, Any]) -> str | None:
    needed = {k: v for k, v in kwargs.items() if f":{k}>" in route}
    try:
        return reverse(name, kwargs=needed)
    except NoReverseMatch:
        return None


def our_patterns() -> list[tuple[str, str]]:
    return [(r, n) for r, n in all_patterns() if n in MATRIX]


def walk_pages(
    walk: Walk,
    world: World,
    shown: dict[tuple[str, str, tuple[str, ...]], Form],
    queried: set[str],
) -> None:
    for route, name in our_patterns():
        method = MATRIX[name][0]
        url = url_of(route, name, world.kwargs)
        assert url is not None, name
        # Every id in the address: the other cluster's of the same kind, and the largest id.
        for kwarg in [k for k in world.kwargs if f":{k}>" in route]:
            for label, value in [("other-cluster-id", world.other.get(kwarg)), ("max-id", MAX_ID)]:
                if value is None or (kwarg == "group" and label == "other-cluster-id"):
                    continue
                swapped = url_of(route, name, world.kwargs | {kwarg: value})
                if swapped:
                    walk.send(name, method, swapped, field=f"<{kwarg}>", label=label)
        # Every other value in the address (tokens, kinds): NUL, a long string, markup.
        for kwarg in [k for k in world.kwargs if f":{k}>" in route and f"<id:{k}>" not in route]:
            if f"<index:{kwarg}>" in route:
                continue
            for label, value in PATH_VALUES.items():
                swapped = url_of(route, name, world.kwargs | {kwarg: value})
                if swapped:
                    walk.send(name, method, swapped, field=f"<{kwarg}>", label=label)
        if method == "post":
            # Bodies for addresses no form of theirs may have shown (their forms are sent
            # below): every usual field name at once, with each of a few bad values.
            for label in ["nul", "20digits", "1MB"]:
                value = (TEXT_VALUES | NUMBER_VALUES)[label]
                # (A megabyte in ten fields at most: more is over the upload limit, a 400.)
                body = dict.fromkeys(QUERY_NAMES + ([] if label == "1MB" else POST_NAMES), value)
                walk.send(name, "post", url, body, field="*", label=label)
            continue
        response = walk.send(name, "get", url)
        if response.status_code != 200 or response.streaming:
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        page_forms = forms_of(url, response.content.decode())
        names = set(QUERY_NAMES) | {
            f.name for form in page_forms if form.method == "get" for f in form.fields
        }
        # Query strings: by the first role that sees the page (views read them alike for all).
        if name not in queried:
            queried.add(name)
            for label, value in QUERY_VALUES.items():
                query = urlencode(dict.fromkeys(sorted(names), value))
                walk.send(name, "get", f"{url}?{query}", field="?query", label=label)
        for form in page_forms:
            if form.action.startswith(SKIP_ACTIONS) or urlsplit(form.action).netloc:
                continue
            shown.setdefault(form.key(), form)


def resolve_name(url: str) -> str:
    try:
        return resolve(urlsplit(url).path).url_name or url
    except Resolver404:
        return url


def submit_forms(walk: Walk, world: World, forms: list[Form], *, every_value: bool) -> None:
    """Each form, each field in turn replaced by its bad values: all of them, or (for roles
    whose requests are refused before any form is read, or that repeat another role's) one
    per field, turning through the list so every value is still sent to every form."""
    turn = 0
    for form in forms:
        name = resolve_name(form.action)
        base = form.data()
        seen: set[str] = set()
        for f in form.fields:
            if f.name in seen:
                continue
            seen.add(f.name)
            values = list(bad_values(f, world.other).items())
            if not every_value:
                turn += 1
                values = [values[turn % len(values)]]
            for label, value in values:
                data = {**base, f.name: value}
                if form.method == "get":
                    walk.send(name, "get", form.action, data, field=f.name, label=label)
                else:
                    walk.send(name, "post", form.action, data, field=f.name, label=label)


@pytest.fixture
def fuzz_world(request: pytest.FixtureRequest, cast: Cast) -> World:
    # The access matrix's world (every kind of content in Riverside), shared rather than copied.
    world = request.getfixturevalue("world")
    people = {
        "member": cast.alice,
        "facilitator": cast.fay,
        "outsider": cast.oscar,
        "coordinator": cast.cora,
    }
    return World(world["kwargs"], other_cluster_content(cast), people)


def protected_for(role: str, cast: Cast) -> list[Cluster]:
    return {
        "member": [cast.other_cluster],
        "facilitator": [cast.other_cluster],
        "outsider": [cast.cluster],
        "coordinator": [cast.cluster, cast.other_cluster],
    }[role]


def walks(cast: Cast, world: World, problems: list[Problem]) -> Iterator[Walk]:
    for role in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(world.people[role])
        protected = protected_for(role, cast)
        yield Walk(cast, client, role, protected, fingerprint(protected), problems)


def test_fuzz_walk(cast: Cast, fuzz_world: World) -> None:
    started = time.monotonic()
    problems: list[Problem] = []
    # Forms the cluster's own people were shown: everyone submits them (outsiders to addresses
    # they must not reach).
    shown: dict[tuple[str, str, tuple[str, ...]], Form] = {}
    all_walks = list(walks(cast, fuzz_world, problems))
    timings: list[str] = []
    queried: set[str] = set()
    for walk in all_walks:
        own: dict[tuple[str, str, tuple[str, ...]], Form] = {}
        lap = time.monotonic()
        walk_pages(walk, fuzz_world, own, queried)
        timings.append(f"{walk.role} pages {time.monotonic() - lap:.0f} s")
        for key, form in own.items():
            shown.setdefault(key, form)
    for walk in all_walks:
        lap, before = time.monotonic(), walk.requests
        submit_forms(walk, fuzz_world, list(shown.values()), every_value=walk.role == "member")
        timings.append(
            f"{walk.role} forms {time.monotonic() - lap:.0f} s ({walk.requests - before})"
        )
    print("fuzz: " + ", ".join(timings), file=sys.stderr)
    total = sum(w.requests for w in all_walks)
    print(
        f"fuzz: {total} requests, {len(shown)} forms, {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    report = "\n".join(str(p) for p in problems)
    assert not problems, f"{len(problems)} problems:\n{report}"


# --- The generic fixes, and the harness itself ---------------------------------------------


@pytest.mark.parametrize(
    "cluster_id", ["99999999999999999999", "2147483648", "0", "%D9%A3", "%C2%B2", "00000000001"]
)
def test_ids_in_addresses_out_of_range_are_not_found(cast: Cast, cluster_id: str) -> None:
    # Before the <id:...> converter, 20 digits reached the database (OverflowError, a 500).
    client = Client(raise_request_exception=False)
    client.force_login(cast.alice)
    assert client.get(f"/clusters/{cluster_id}/").status_code == 404
    assert client.get(f"/clusters/{cluster_id}/meetings/").status_code == 404
    assert client.get(f"/clusters/{cast.cluster.pk}/").status_code == 200
    assert reverse("cluster_detail", kwargs={"cluster_id": MAX_ID}).endswith(f"/{MAX_ID}/")


def test_the_walk_reports_a_write_to_a_protected_cluster(cast: Cast) -> None:
    # The harness's own check: Alice adding an item to her meeting is a write to Riverside,
    # which the walk reports when Riverside is the cluster it protects.
    meeting = make_meeting(cast.cluster, timedelta(days=3))
    client = Client(raise_request_exception=False)
    client.force_login(cast.alice)
    problems: list[Problem] = []
    walk = Walk(cast, client, "member", [cast.cluster], fingerprint([cast.cluster]), problems)
    url = reverse("meeting_item_add", kwargs={"meeting_id": meeting.pk})
    response = walk.send("meeting_item_add", "post", url, {"kind": "concern", "title": "Ofsted"})
    assert response.status_code == 302
    assert [p.kind for p in problems] == ["write"]
    assert "meetings.AgendaItem" in problems[0].detail
    # ... and rolled it back: the next request sees the world as it was.
    assert not meeting.items.exists()
    walk = Walk(cast, client, "member", [cast.other_cluster], fingerprint([cast.other_cluster]), [])
    walk.send("meeting_item_add", "post", url, {"kind": "concern", "title": "Ofsted"})
    assert not walk.problems


def test_the_walk_reports_the_other_clusters_content_on_a_page(cast: Cast) -> None:
    # The harness's own check: a page with the marked content, seen by someone the walk
    # takes for an outsider to it, is reported (here Oscar's own page, walked as if he were
    # a member of Riverside, whose protected cluster is Hilltop).
    other = other_cluster_content(cast)
    client = Client(raise_request_exception=False)
    client.force_login(cast.oscar)
    walk = Walk(cast, client, "member", [cast.other_cluster], {}, [])
    url = reverse("meeting_detail", kwargs={"meeting_id": other["meeting_id"]})
    assert walk.send("meeting_detail", "get", url).status_code == 200
    assert [p.kind for p in walk.problems] == ["leak"]


def test_the_walk_reads_forms_as_a_browser_would_send_them() -> None:
    html = """
    <form method="post" action="add/"><input type="hidden" name="csrfmiddlewaretoken" value="t">
    <input name="title" value="Hi"><textarea name="detail">Some</textarea>
    <select name="who"><option value="">-</option><option value="7" selected>Bo</option></select>
    <input type="checkbox" name="topics" value="1" checked><input type="checkbox" name="topics"
    value="2"><input type="radio" name="answer" value="yes"><input type="radio" name="answer"
    value="no" checked><input type="number" name="minutes" disabled>
    <button name="go" value="publish">Go</button><button name="go" value="save">Save</button>
    </form><form><input type="search" name="q"></form>"""
    post, get = forms_of("/clusters/1/", html)
    assert (post.action, post.method, get.method) == ("/clusters/1/add/", "post", "get")
    assert post.data() == {
        "title": "Hi",
        "detail": "Some",
        "who": "7",
        "topics": ["1"],
        "answer": "no",
        "go": "publish",
    }
    assert set(bad_values(post.fields[2], {"user_id": 9, "item_id": 3})) >= {"20digits", "sup2"}


def test_the_walk_sends_a_form_to_each_of_its_buttons_addresses() -> None:
    """One form whose buttons post it to different views (formaction), as the chair's tools
    for an agenda item do: each button is walked as a form of its own, with its own name."""
    html = """
    <form method="post" action="time/"><input type="hidden" name="csrfmiddlewaretoken" value="t">
    <input name="minutes" value="5"><button>Set time</button>
    <button formaction="move/" name="direction" value="up">Up</button>
    <button formaction="move/" name="direction" value="down">Down</button>
    <button formaction="record/" name="off_record" value="on">Off the record</button>
    <button type="button" formaction="nowhere/">Not a submit button</button>
    <select name="into"><option value="3">Three</option></select>
    <button formaction="merge/">Merge</button></form>"""
    sent = {(f.action, tuple(sorted(f.data().items()))) for f in forms_of("/m/1/", html)}
    assert sent == {
        ("/m/1/time/", (("into", "3"), ("minutes", "5"))),
        ("/m/1/move/", (("direction", "up"), ("into", "3"), ("minutes", "5"))),
        ("/m/1/move/", (("direction", "down"), ("into", "3"), ("minutes", "5"))),
        ("/m/1/record/", (("into", "3"), ("minutes", "5"), ("off_record", "on"))),
        ("/m/1/merge/", (("into", "3"), ("minutes", "5"))),
    }


def test_a_500_is_reported_with_the_line_of_our_code() -> None:
    from nextpractice.core.converters import IdConverter

    try:
        IdConverter().to_python("0")
    except ValueError:
        where = origin(sys.exc_info())
    assert where.startswith("ValueError: out of range: 0 at nextpractice/core/converters.py:")


@pytest.mark.django_db
def test_every_styled_form_bounds_its_ids_and_numbers() -> None:
    # A 20-digit id in a model choice (the profile's strengths, help topics) reached SQLite
    # as an OverflowError: a 500 from the form, not an error message.
    from nextpractice.core.forms import StyledForm
    from nextpractice.directory.models import Topic

    topic = Topic.objects.create(name="Phonics")

    class Example(StyledForm):
        one = forms.ModelChoiceField(queryset=Topic.objects.all(), required=False)
        many = forms.ModelMultipleChoiceField(queryset=Topic.objects.all(), required=False)
        count = forms.IntegerField(required=False)

    for bad in ["9" * 20, "²", "٣", "-1", "NaN", "0", "a\x00b", "9" * MB]:
        form = Example({"one": bad, "many": [bad]})
        assert not form.is_valid()
        assert set(form.errors) == {"one", "many"}, bad
    for bad in ["9" * 20, "²", "٣", "NaN", "a\x00b", "9" * MB, str(2**31)]:
        form = Example({"count": bad})
        assert not form.is_valid()
        assert set(form.errors) == {"count"}, bad
    good = Example({"one": str(topic.pk), "many": [str(topic.pk)], "count": "12"})
    assert good.is_valid()
    assert good.cleaned_data["one"] == topic and good.cleaned_data["count"] == 12
    # The class-level fields are untouched: only each form's copies are bounded.
    assert type(Example.base_fields["one"]) is forms.ModelChoiceField
    assert type(Example.base_fields["count"]) is forms.IntegerField


def test_strict_number_fields() -> None:
    from nextpractice.core.forms import IdField, SearchField, StrictIntegerField, YearField, is_id

    assert [is_id(v) for v in ["1", MAX_ID, str(MAX_ID + 1), "²", "٣", "0", True, " 7 "]] == [
        True,
        True,
        False,
        False,
        False,
        False,
        False,
        True,
    ]
    assert StrictIntegerField().clean("-12") == -12
    for bad in ["٣", "²", "1e3", "NaN", "9" * 20, "9" * MB, "", "\x00"]:
        with pytest.raises(forms.ValidationError):
            StrictIntegerField().clean(bad)
    assert YearField().clean("2026") == 2026
    for bad in ["99999", "0", "10000", "²⁰²⁶"]:
        with pytest.raises(forms.ValidationError):
            YearField().clean(bad)
    assert IdField().clean(str(MAX_ID)) == MAX_ID
    with pytest.raises(forms.ValidationError):
        IdField().clean(str(MAX_ID + 1))
    assert SearchField().clean("  phonics ") == "phonics"
    for bad in ["x" * MB, "a\x00b"]:
        with pytest.raises(forms.ValidationError):
            SearchField().clean(bad)


def test_nul_characters_are_refused_by_the_forms(cast: Cast) -> None:
    # On PostgreSQL a NUL that reached a query or a save was a 500 (search boxes, hand-read
    # fields, the calendar token). Every input now goes through a form, whose text fields
    # refuse a NUL with a message; nothing is saved, on either database.
    from nextpractice.audit.models import AuditEntry

    client = Client(raise_request_exception=False)
    client.force_login(cast.alice)
    search = reverse("cluster_search", kwargs={"cluster_id": cast.cluster.pk})
    assert client.get(search, {"q": "phonics"}).status_code == 200
    assert client.get(search, {"q": "pho\x00nics"}).status_code in {200, 400}
    # A token is letters, digits, - and _ (the <token:...> converter): anything else is no
    # address at all, before any query.
    assert client.get("/calendar/a%00b.ics").status_code == 404
    assert client.get("/calendar/a%3Bb.ics").status_code == 404
    assert client.get(f"/calendar/{'x' * 129}.ics").status_code == 404
    meeting = make_meeting(cast.cluster, timedelta(days=3))
    add = reverse("meeting_item_add", kwargs={"meeting_id": meeting.pk})
    entries = AuditEntry.objects.unscoped().count()
    response = client.post(add, {"kind": "concern", "title": "Of\x00sted"})
    assert response.status_code in {200, 400} and b"Null characters are not allowed" in (
        response.content
    )
    assert not meeting.items.exists() and AuditEntry.objects.unscoped().count() == entries


def test_no_address_takes_an_unbounded_integer() -> None:
    # <int:...> lets 20 digits through to the database; ids go through <id:...>.
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "src" / "nextpractice"
    found = [
        f"{path.relative_to(src)}:{number}"
        for path in sorted(src.rglob("urls.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "<int:" in line
    ]
    assert not found, f"use <id:...> (or <index:...>) instead of <int:...>: {found}"
