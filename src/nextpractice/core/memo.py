"""Page parts worked out once and kept until a table they read is written.

Building and compiling the ORM's queries is most of a member page's server time, and most
pages are read many times between two writes to what they show. ``kept(key, compute)``
keeps what ``compute()`` returns in the shared cache (the database cache by default, Redis
when configured: every web server and worker sees the same one) with the tables its
queries read, found by watching them (no list to keep up to date by hand). Every statement
that is not a SELECT, from any process, request, task or command, gives each table it names
a new generation token when it commits; a kept value is used only while every one of its
tables still has the token it was computed under. So it is never older than the last
committed write to anything it read, wherever that write came from.

Why it is exact:

- **Writes are seen at the database connection**, not in services: ``update()``, bulk
  writes, deletes, cascades and the worker's writes all pass the connection's execute
  wrapper, installed on every connection as it opens (``install``).
- **The token changes after the commit.** A reader who read the data before the commit
  fetched the tokens before that too, so what it kept is filed under tokens that the
  commit's own change retires. Tokens are random, never counters, so a token that was
  evicted or lost is replaced by one nobody has kept anything under.
- **Inside a transaction that has written a table**, values that read it are worked out
  afresh and not kept (the transaction may yet roll back, and its writes are not seen by
  anybody else until it commits).
- **What the request read before counts as read**: a page is drawn from the cluster or
  meeting whose access the view checked, and from the person, read earlier in the request
  (``core.middleware.read_once_per_request`` records a request's reads), so their tables
  are the page's too. A kept value used inside another counts its tables for both.
- **Time is part of the key**: a caller whose answer depends on the time passes the minute
  (``minute()``; every kept page does), so a kept answer lives at most a minute past the
  moment it changes.

``page()`` keeps a whole member page this way, drawn for one person at one address; access
is still checked on every request before it is served. What is kept is one person's own
pages and data, keyed by their id: it expires after ``TTL`` seconds and never leaves the
cache's own storage (docs/privacy.md). A page served kept reads the session, the person
and one batch from the cache (``ahead``): three queries, whatever the page.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.apps import apps
from django.contrib.messages import get_messages
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection as default_connection
from django.db import connections, router
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from . import once

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Seconds a kept value lives at most, however quiet its tables.
TTL = 600
_ENTRY = "np:kept:"
_GEN = "np:gen:"
# Changed when what is kept changes shape: old entries are then never read.
_VERSION = 2


def minute(now: dt.datetime | None = None) -> dt.datetime:
    """The current minute: for keys of answers that depend on the time."""
    return (now or timezone.now()).replace(second=0, microsecond=0)


_tables: frozenset[str] | None = None


def _known_tables() -> frozenset[str]:
    global _tables
    if _tables is None:
        _tables = frozenset(m._meta.db_table for m in apps.get_models(include_auto_created=True))
    return _tables


def tables_in(sql: str) -> frozenset[str]:
    """The project's tables a statement names (Django quotes every table name it writes:
    the cache's own table is no model's and is never counted)."""
    return frozenset(t for t in _known_tables() if f'"{t}"' in sql)


# Columns no kept part shows: writing only these retires nothing. Every sign-in writes the
# person's last_login, and would otherwise retire every kept part that names anybody.
UNSHOWN = {"accounts_user": frozenset({"last_login"})}
_SET = re.compile(r'^\s*UPDATE "(\w+)" SET (.*?) WHERE ', re.S)
_COLUMN = re.compile(r'"(\w+)" = ')


def _unshown(sql: str) -> bool:
    """Whether an UPDATE writes only columns of ``UNSHOWN``."""
    match = _SET.match(sql)
    if match is None or match[1] not in UNSHOWN:
        return False
    return set(_COLUMN.findall(match[2])) <= UNSHOWN[match[1]]


# Never shown on a kept page, and written all the time: the sessions (every sign-in, and
# once a minute per active person, their "last seen"; read by every request), the worker's
# lease, task queue and outbox (at every tick). Writing them retires nothing, and saves
# the cache a write each time; a value that reads one of them is never kept.
NOT_CONTENT = frozenset(
    {
        "django_session",
        "core_workerlease",
        "django_tasks_database_dbtaskresult",
        "core_outboundemail",
    }
)


@dataclass
class _Connection:
    """What one database connection has written: in the transaction open now (``dirty``,
    ``pending``), and committed but not yet retired (``committed``)."""

    conn: Any
    dirty: set[str] = field(default_factory=set)
    pending: set[str] = field(default_factory=set)
    committed: set[str] = field(default_factory=set)
    reading: list[set[str]] = field(default_factory=list)
    flushing: bool = False

    def retire(self) -> None:
        """On commit: the transaction's tables get new tokens."""
        self.committed |= self.pending
        self.pending = set()
        self.dirty.clear()
        self.flush()

    def flush(self) -> None:
        """New tokens for the tables written and committed. Not from inside the statement
        that wrote them: SQLite finishes an INSERT ... RETURNING only once its row is read,
        after the execute wrapper returns. So such a write is retired at the connection's
        next statement, at the next ``kept``, as the request ends or as the process exits.
        Never inside a transaction: the database cache would write the tokens in it, and
        a rollback would take them back."""
        if self.conn.in_atomic_block:
            return
        if (self.committed or _unretired) and not self.flushing:
            self.flushing = True
            try:
                tables, self.committed = self.committed, set()
                _bump(tables)
            finally:
                self.flushing = False


def _of(conn: Any) -> _Connection:
    found = getattr(conn, "_np_kept", None)
    if found is None:
        found = conn._np_kept = _Connection(conn)
    return found


# Tables written while the cache could not be reached: retired as soon as it can be, and
# nothing kept from them is served by this process until then.
_unretired: set[str] = set()


def _bump(tables: set[str] | frozenset[str]) -> None:
    tables = set(tables) | _unretired
    if not tables:
        return
    try:
        cache.set_many({_GEN + t: secrets.token_hex(8) for t in tables}, None)
    except Exception:  # the cache down, or not made yet (migrating)
        _unretired.update(tables)
        log.warning("Could not retire kept pages after a write to %d tables", len(tables))
    else:
        _unretired.difference_update(tables)


def _watch(conn: Any) -> Callable[..., Any]:
    def watcher(execute: Callable[..., Any], sql: Any, params: Any, many: bool, ctx: Any) -> Any:
        state = _of(conn)
        state.flush()  # the statement before has finished
        text = sql if isinstance(sql, str) else str(sql)
        head = text.lstrip()[:6].upper()
        if head == "SELECT":
            if state.reading:
                state.reading[-1].update(tables_in(text))
            return execute(sql, params, many, ctx)
        written = frozenset() if _unshown(text) else tables_in(text) - NOT_CONTENT
        if written:
            _ahead.set(None)
        result = execute(sql, params, many, ctx)
        if written:
            if conn.in_atomic_block:
                state.dirty |= written
                state.pending |= written
                # One callback per transaction; re-added if a rolled-back savepoint took it.
                if not any(cb is state.retire for _, cb, _ in conn.run_on_commit):
                    conn.on_commit(state.retire)
            else:
                state.committed |= written
                if not (conn.vendor == "sqlite" and "RETURNING" in text):
                    state.flush()  # done and committed (see flush for the exception)
        return result

    return watcher


def install(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created``: watch every connection's statements (once per connection)."""
    if not getattr(connection, "_np_watched", False):
        connection._np_watched = True
        connection.execute_wrappers.insert(0, _watch(connection))


def retire_all() -> None:
    """Nothing kept before now is served again: after the database was changed where no
    connection of this app saw it (a restored backup, an edit by hand in psql)."""
    _bump(_known_tables())


def flush_all(**kwargs: Any) -> None:
    """``request_finished`` and at exit: retire what was written and not yet retired."""
    for conn in connections.all(initialized_only=True):
        _of(conn).flush()


atexit.register(flush_all)


@contextmanager
def recording(conn: Any = default_connection) -> Iterator[set[str]]:
    """Within: the tables that SELECTs on ``conn`` read are gathered in the set given."""
    state = _of(conn)
    seen: set[str] = set()
    state.reading.append(seen)
    try:
        yield seen
    finally:
        state.reading.pop()
        if state.reading:
            state.reading[-1] |= seen


# The tables each kind of value read last time in this process: the tokens to fetch with
# the entry, in the same round trip, before computing it again.
_expected: dict[str, frozenset[str]] = {}

# What a request fetched ahead (``ahead``): the cache keys asked, and those found. Any
# write in the request forgets it (the watcher), so a request never reads its own writes'
# retired tokens from it.
_ahead: ContextVar[tuple[set[str], dict[str, Any]] | None] = ContextVar(
    "nextpractice_kept_ahead", default=None
)


def _entry_key(key: tuple[Hashable, ...]) -> str:
    # Hashed: a key may hold any text (dates, tuples), and the cache's own keys may not.
    return _ENTRY + hashlib.blake2b(repr((_VERSION, key)).encode(), digest_size=16).hexdigest()


@contextmanager
def ahead(*keys: tuple[Hashable, ...]) -> Iterator[None]:
    """Within: ``kept`` finds the entries for ``keys`` and their tables' tokens, fetched
    here in one round trip instead of one each (``core.middleware`` asks for what every
    page reads: who the person is, their clusters, the page itself)."""
    state = _of(default_connection)
    if state.dirty and default_connection.in_atomic_block:
        # Inside a transaction that has written: nothing is served kept (see ``kept``).
        yield
        return
    asked = {_entry_key(k) for k in keys}
    for k in keys:
        asked.update(_GEN + t for t in _expected.get(str(k[0]), frozenset()))
    try:
        found = cache.get_many(list(asked))
    except Exception:  # each kept call asks for itself, and copes
        found = None
    token = _ahead.set(None if found is None else (asked, found))
    try:
        yield
    finally:
        _ahead.reset(token)


def kept(key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned before for ``key`` if none of the tables it read
    has been written since. ``key[0]`` names the kind of value; the rest must say
    everything the answer depends on (whose it is, the minute)."""
    conn = default_connection
    # The watcher is installed as the connection opens: make sure it has.
    conn.ensure_connection()
    state = _of(conn)
    state.flush()
    if state.dirty and not conn.in_atomic_block:
        state.dirty.clear()  # a transaction that rolled back: nothing was written
    kind = str(key[0])
    entry_key = _entry_key(key)
    expected = _expected.get(kind, frozenset())
    if state.dirty and (state.dirty & expected or not expected):
        # This transaction wrote what it reads (or may have: what it reads is not known
        # yet): worked out afresh, and not kept.
        with recording(conn) as read:
            value = compute()
        _expected[kind] = frozenset(read) | expected
        return value
    asked = [entry_key, *(_GEN + t for t in expected)]
    ahead = _ahead.get()
    if ahead is not None and ahead[0].issuperset(asked):
        found = {k: ahead[1][k] for k in asked if k in ahead[1]}
    else:
        try:
            found = cache.get_many(asked)
        except Exception:  # the cache down, or not made yet: work it out
            log.warning("The cache could not be read: a page is worked out afresh")
            return compute()
    entry = found.get(entry_key)
    if entry is not None:
        tables, tokens, value = entry
        if not (state.dirty & tables):
            missing = [t for t in tables if _GEN + t not in found]
            if missing:
                try:
                    found.update(cache.get_many([_GEN + t for t in missing]))
                except Exception:  # see above
                    return compute()
            current = all(found.get(_GEN + t) == tokens.get(t) for t in tables)
            if current and not (_unretired & tables):
                _expected[kind] = expected | tables
                if state.reading:
                    # A value being worked out that uses this one depends on its tables.
                    state.reading[-1].update(tables)
                return value
    # Tokens as they are before reading: a write committed after this retires them.
    tokens = {t: found.get(_GEN + t) for t in expected}
    lost = {t for t, token in tokens.items() if token is None}
    if lost:
        fresh = {t: secrets.token_hex(8) for t in lost}
        try:
            cache.set_many({_GEN + t: v for t, v in fresh.items()}, None)
        except Exception:  # see above: nothing is kept
            return compute()
        tokens.update(fresh)
    with recording(conn) as read:
        value = compute()
        keepable = not (read & NOT_CONTENT)
        # What it depends on: what it read, and what the request read before it (the
        # cluster and membership the view checked, say) and may have handed to it.
        read = set().union(*state.reading) - NOT_CONTENT
    _expected[kind] = frozenset(read) | expected
    if keepable and read <= expected and not (state.dirty & read):
        try:
            cache.set(entry_key, (frozenset(read), {t: tokens[t] for t in read}, value), TTL)
        except Exception:  # not kept this time; the answer stands
            log.warning("The cache could not be written: a page is not kept")
    return value


# Stands in a kept page for the person's CSRF token, which differs from request to request.
CSRF_PLACEHOLDER = "np-kept-csrf-token-4f1c"
# While a page is drawn to be kept: templates get the placeholder for the CSRF token
# (core.context_processors.site) and one-time form keys are placeholders (core.once).
_drawing: ContextVar[bool] = ContextVar("nextpractice_kept_drawing", default=False)


def drawing() -> bool:
    """Whether a page is being drawn to be kept now."""
    return _drawing.get()


@contextmanager
def _draw() -> Iterator[None]:
    token = _drawing.set(True)
    try:
        with once.placeholders():
            yield
    finally:
        _drawing.reset(token)


def page_key(request: HttpRequest, whose: Any) -> tuple[Hashable, ...]:
    """What a kept page is kept under: whose page, its address with its query string,
    whether HTMX asked for part of it, and the minute (what is coming up, due, or in which
    phase a meeting is, changes with the time)."""
    htmx = request.headers.get("HX-Request") == "true"
    return ("page", whose, request.get_full_path(), htmx, minute())


def _serve(
    request: HttpRequest, kept_page: tuple[str, int, list[tuple[str, str]], str]
) -> HttpResponse:
    _, status, headers, html = kept_page
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    response = HttpResponse(once.with_fresh_keys(html), status=status)
    for name, value in headers:
        response[name] = value
    return response


def _keepable(request: HttpRequest) -> bool:
    # A page with messages to show (after a change) is drawn afresh and not kept.
    return (
        request.method in ("GET", "HEAD")
        and getattr(request.user, "is_authenticated", False)
        and not len(get_messages(request))
    )


def page(
    request: HttpRequest, template: str, context: Callable[[], dict[str, Any]], *key: Hashable
) -> HttpResponse:
    """A page rendered once and kept (``kept``) until a table it read is written, for a
    view that has checked access (and done anything else it must do on every request)
    first.

    The key always holds whose page it is, its address and the minute (``page_key``);
    ``key`` adds anything else it depends on. What the request read before (the person,
    the cluster whose access was checked) counts as read. A page with messages to show
    (after a change) is never kept nor served kept; the person's CSRF token and fresh
    one-time form keys (core.once) are put in as it is served."""
    if not _keepable(request):
        return render(request, template, context())

    def compute() -> tuple[str, int, list[tuple[str, str]], str]:
        with _draw():
            return template, 200, [], render_to_string(template, context(), request)

    drawn = kept((*page_key(request, request.user.pk), *key), compute)
    if drawn[0] != template:  # the same address drawn by another template: not this one
        return render(request, template, context())
    return _serve(request, drawn)


class _NotKept(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


# Headers a kept view's response keeps (the rest are the middleware's, added each time).
_KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Vary")


def kept_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A read-only view's page kept between requests, like ``page``, access check and all:
    what it answers is worked out from the database, the person and the time, and a
    write to anything it read (a membership included) retires it. Only its 200 answers
    are kept; a 404, a redirect or an error is the view's, every time. For views that do
    nothing on a GET but read."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _keepable(request):
            return view(request, *args, **kwargs)

        def compute() -> tuple[str, int, list[tuple[str, str]], str]:
            with _draw():
                response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming:
                raise _NotKept(response)
            headers = [(h, response[h]) for h in _KEPT_HEADERS if h in response]
            return view.__qualname__, 200, headers, response.content.decode()

        try:
            return _serve(request, kept(page_key(request, request.user.pk), compute))
        except _NotKept as not_kept:
            return not_kept.response

    return wrapper


def purge() -> int:
    """Periodic: expired entries out of the database cache, so that a kept page (somebody's
    own) is gone once it expires rather than when the cache next grows past its limit.
    Redis expires its own."""
    backend = caches["default"]
    if not isinstance(backend, DatabaseCache):
        return 0
    db = router.db_for_write(backend.cache_model_class)
    conn = connections[db]
    table = conn.ops.quote_name(backend._table)  # type: ignore[attr-defined]
    now = conn.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))
    with conn.cursor() as cursor:
        # Looked for first: a DELETE takes SQLite's write lock even when it finds nothing.
        cursor.execute(f"SELECT 1 FROM {table} WHERE expires < %s LIMIT 1", [now])  # noqa: S608
        if cursor.fetchone() is None:
            return 0
        cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608
        return int(cursor.rowcount)
