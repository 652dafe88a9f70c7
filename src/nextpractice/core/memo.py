"""Pages and values worked out once and kept until a table they read is written.

Building and compiling the ORM's queries is most of a member page's server time, and most
pages are read many times between two writes to what they show. ``kept(key, compute)``
keeps what ``compute()`` returns in the shared cache (the database cache by default, Redis
when configured: every web server and worker sees the same one) with the tables its
queries read, found by watching them (no list to keep up to date by hand). Every statement
that is not a SELECT, from any process, request, task or command, gives each table it names
a new random token once it has committed; a kept value is served only while every one of
its tables still has the token it was filed under. So it is never older than the last
committed write to anything it read, wherever that write came from.

Why it is exact:

- **Writes are seen at the database connection**, not in services: ``update()``, bulk
  writes, deletes, cascades and the worker's writes all pass the connection's execute
  wrapper, installed on every connection as it opens (``install``).
- **Tokens are read before anything else, and change after the commit.** A request fetches
  the tokens as it begins (``snapshot``, from ``core.middleware.kept_ahead``), before it
  reads anything a value is made of, and files every value it keeps under those. A write
  that committed before the snapshot changed them already; one that commits later changes
  them afterwards. Either way no value is filed under tokens newer than what it was made
  from. Tokens are random, never counters: a lost or evicted token is replaced by one
  nobody has filed anything under. Token writes are read back, and retried while the cache
  cannot be reached; until then this process serves nothing kept from those tables.
- **A request that has written keeps and serves nothing more**, and inside a transaction
  nothing is kept or served (its writes are not everybody's yet, and the database cache
  would write inside it).
- **What the request read before counts as read**: a page is drawn from the cluster or
  meeting whose access the view checked, and from the person, read earlier in the request
  (``core.middleware.read_once_per_request`` records a request's reads), so their tables
  are the page's too. A kept value used inside another counts its tables for both.
- **Time is part of the key**: every kept page is kept under the minute, so it lives at
  most a minute past the moment its time-dependent parts change.

``page()`` keeps a whole member page this way, drawn for one person at one address, after
the view has checked access; ``kept_page`` keeps a read-only view whole, its access check
with it. The CSRF token and one-time form keys are placeholders with a random tag, filled
afresh each time the page is served. What is kept is one person's own pages and data,
keyed by their id and marked with the database (``_prefix``): it expires after ``TTL``
seconds and never leaves the cache's own storage (docs/privacy.md). A page served kept
reads the session, the person and one batch from the cache: three queries, whatever the
page.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import hashlib
import logging
import re
import secrets
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
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
# Changed when what is kept changes shape: old entries are then never read.
_VERSION = 3


def minute() -> dt.datetime:
    """The current minute: for keys of answers that depend on the time."""
    return timezone.now().replace(second=0, microsecond=0)


@functools.cache
def _known_tables() -> frozenset[str]:
    return frozenset(m._meta.db_table for m in apps.get_models(include_auto_created=True))


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
    """What one database connection has written: in the transaction open now
    (``pending``), and committed but not yet retired (``committed``)."""

    conn: Any
    pending: set[str] = field(default_factory=set)
    committed: set[str] = field(default_factory=set)
    reading: list[set[str]] = field(default_factory=list)
    flushing: bool = False

    def retire(self) -> None:
        """On commit: the transaction's tables get new tokens."""
        self.committed |= self.pending
        self.pending = set()
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


# Tables written while the cache could not be reached: retired as soon as it can be (tried
# again at most every RETRY seconds), and nothing kept from them is served until then.
_unretired: set[str] = set()
_retry_after = 0.0
RETRY = 5.0
# While migrations run, the cache's own table may not be made yet: a write not retired then
# is expected, not a fault to report, and is retired once they have run (``migrated``).
_migrating = False


@functools.cache
def _prefix() -> str:
    # Two deployments sharing one Redis (staging and production) never share entries: each
    # is marked with its secret key, which all of one deployment's servers and workers
    # share and no two deployments may (docs/deploy.md).
    return f"np:{hashlib.blake2b(settings.SECRET_KEY.encode(), digest_size=6).hexdigest()}:"


def _gen(table: str) -> str:
    # "t:" after the entries' "e:": the database cache culls the smallest keys first, and
    # an entry dropped costs one page drawn again, a token dropped every page of a table.
    return f"{_prefix()}t:{table}"


def _set_tokens(tokens: dict[str, str]) -> bool:
    """Write tokens and read them back: the database cache reports a failed write by
    returning, not raising. Written when each has changed from what it was (to ours, or
    to another process's written at the same moment)."""
    keys = {t: _gen(t) for t in tokens}
    try:
        before = cache.get_many(list(keys.values()))
        cache.set_many({keys[t]: v for t, v in tokens.items()}, None)
        back = cache.get_many(list(keys.values()))
    except Exception:  # the cache down, or not made yet (migrating)
        return False
    return all(back.get(k) is not None and back.get(k) != before.get(k) for k in keys.values())


def _bump(tables: set[str] | frozenset[str]) -> None:
    global _retry_after
    if _unretired and time.monotonic() >= _retry_after:
        tables = set(tables) | _unretired
    if not tables:
        return
    if _set_tokens({t: secrets.token_hex(8) for t in tables}):
        _unretired.difference_update(tables)
    else:
        _unretired.update(tables)
        _retry_after = time.monotonic() + RETRY
        if not _migrating:
            log.warning("Could not retire kept pages after a write to %d tables", len(tables))


def _retry_now() -> None:
    """The tables not yet retired, tried again now, whatever the back-off."""
    global _retry_after
    if _unretired:
        _retry_after = 0.0
        _bump(set())


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
            snapshot = _snapshot.get()
            if snapshot is not None:
                snapshot.wrote = True
        result = execute(sql, params, many, ctx)
        if written and head in ("UPDATE", "DELETE") and ctx["cursor"].rowcount == 0:
            # It changed nothing (a periodic job that found nothing to do): nothing to
            # retire, and no cache write.
            written = frozenset()
        if written:
            if conn.in_atomic_block:
                state.pending |= written
                # One callback per transaction; re-added if a rolled-back savepoint took it.
                if not any(cb == state.retire for _, cb, _ in conn.run_on_commit):
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


def migrating(**kwargs: Any) -> None:
    """``pre_migrate``."""
    global _migrating
    _migrating = True


def migrated(**kwargs: Any) -> None:
    """``post_migrate``: the cache's table is made; what migrations wrote is retired now."""
    global _migrating
    _migrating = False
    _retry_now()


def retire_all() -> None:
    """Nothing kept before now is served again: after the database was changed where no
    connection of this app saw it (a restored backup, an edit by hand in psql)."""
    _bump(_known_tables())


def flush_all() -> None:
    """As a request ends (``core.middleware.read_once_per_request``) and at exit: retire
    what was written and not yet retired."""
    for conn in connections.all(initialized_only=True):
        _of(conn).flush()


@atexit.register
def _at_exit() -> None:
    flush_all()
    _retry_now()  # a last try


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


# The tables that values kept in requests for each view (by URL name) have read, in this
# process: whose tokens such a request fetches as it begins.
_expected: dict[str, frozenset[str]] = {}


@dataclass
class _Snapshot:
    """A request's view of the cache, taken as it begins, before it reads anything kept
    values are made of: the tokens of every table they read, and the entries of the
    values every page asks for. Every value the request keeps is filed under these
    tokens, so none is filed under tokens newer than what it was made from; once the
    request writes, it keeps and serves nothing more."""

    where: str
    tokens: dict[str, str]
    entries: dict[str, Any]
    wrote: bool = False

    def learn(self, read: set[str] | frozenset[str]) -> None:
        """Tables read by a value worked out in this request: fetched for the next."""
        _expected[self.where] = _expected.get(self.where, frozenset()) | read


_snapshot: ContextVar[_Snapshot | None] = ContextVar("nextpractice_kept_snapshot", default=None)


def _entry_key(key: tuple[Hashable, ...]) -> str:
    # Hashed: a key may hold any text (dates, tuples), and the cache's own keys may not.
    digest = hashlib.blake2b(repr((_VERSION, key)).encode(), digest_size=16).hexdigest()
    return f"{_prefix()}e:{digest}"


def _fetch(where: str, keys: tuple[tuple[Hashable, ...], ...]) -> _Snapshot | None:
    tables = sorted(_expected.get(where, ()))
    entry_keys = [_entry_key(k) for k in keys]
    gens = {t: _gen(t) for t in tables}
    try:
        found = cache.get_many([*entry_keys, *gens.values()])
    except Exception:  # the cache down: nothing kept is served nor kept in this request
        return None
    tokens = {t: found[gens[t]] for t in tables if gens[t] in found}
    lost = {t: secrets.token_hex(8) for t in tables if t not in tokens}
    if lost and _set_tokens(lost):  # evicted, or never written: a new token, unused
        tokens.update(lost)
    entries = {k: found.get(k) for k in entry_keys}
    return _Snapshot(where, tokens, entries)


@contextmanager
def snapshot(where: str = "", *keys: tuple[Hashable, ...]) -> Iterator[None]:
    """Within (a request, from ``core.middleware.kept_ahead``): ``kept`` reads tokens and
    the entries for ``keys`` from one round trip made here. ``where`` names the view (its
    URL name): the tables whose tokens are fetched are those its requests' kept values
    have read before."""
    conn = default_connection
    if conn.in_atomic_block:  # tests run requests inside one: nothing is kept there
        yield
        return
    _of(conn).flush()
    token = _snapshot.set(_fetch(where, keys))
    try:
        yield
    finally:
        _snapshot.reset(token)


def _afresh(snap: _Snapshot | None, compute: Callable[[], T]) -> T:
    """Worked out, not kept: its tables are learnt for the requests to come."""
    with recording() as read:
        value = compute()
    if snap is not None:
        snap.learn(read - NOT_CONTENT)
    return value


def kept(key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned before for ``key`` if none of the tables it read
    has been written since. ``key[0]`` names the kind of value; the rest must say
    everything the answer depends on (whose it is, the minute).

    Only in a request that has a snapshot (``snapshot``) and has written nothing, and
    never inside a transaction (its writes are not everybody's yet, and the database
    cache would write in it): anywhere else it is ``compute()``."""
    conn = default_connection
    # The watcher is installed as the connection opens: make sure it has.
    conn.ensure_connection()
    snap = _snapshot.get()
    if snap is None or snap.wrote or conn.in_atomic_block:
        return _afresh(snap, compute)
    state = _of(conn)
    entry_key = _entry_key(key)
    if entry_key in snap.entries:
        entry = snap.entries[entry_key]
    else:
        try:
            entry = cache.get(entry_key)
        except Exception:
            return _afresh(snap, compute)
    if entry is not None:
        tables, tokens, value = entry
        current = all(snap.tokens.get(t) == tokens[t] for t in tables)
        if current and tables <= snap.tokens.keys() and not (_unretired & tables):
            if state.reading:
                # A value being worked out that uses this one depends on its tables.
                state.reading[-1].update(tables)
            return value
    with recording(conn) as read:
        value = compute()
        keepable = not (read & NOT_CONTENT)
        # What it depends on: what it read, and what the request read before it (the
        # cluster and membership the view checked, say) and may have handed to it.
        read = set().union(*state.reading) - NOT_CONTENT
    snap.learn(read)
    if keepable and not snap.wrote and read <= snap.tokens.keys():
        try:
            cache.set(entry_key, (frozenset(read), {t: snap.tokens[t] for t in read}, value), TTL)
        except Exception:  # not kept this time; the answer stands
            log.warning("The cache could not be written: a page is not kept")
    return value


# While a page is drawn to be kept: the tag of this drawing's placeholders for the CSRF
# token (core.context_processors.site) and one-time form keys (core.once), random so that
# nobody can write one into what they post.
_drawing: ContextVar[str | None] = ContextVar("nextpractice_kept_drawing", default=None)


def csrf_placeholder() -> str | None:
    """While a page is drawn to be kept, what stands in it for the CSRF token."""
    tag = _drawing.get()
    return None if tag is None else f"np-csrf-{tag}"


@contextmanager
def _draw() -> Iterator[str]:
    tag = secrets.token_hex(8)
    token = _drawing.set(tag)
    try:
        with once.placeholders(tag):
            yield tag
    finally:
        _drawing.reset(token)


def _fill(html: str, tag: str, request: HttpRequest) -> str:
    """A drawn page with this request's CSRF token and fresh one-time form keys."""
    csrf = f"np-csrf-{tag}"
    if csrf in html:
        html = html.replace(csrf, get_token(request))
    return once.with_fresh_keys(html, tag)


def page_key(request: HttpRequest, whose: Any) -> tuple[Hashable, ...]:
    """What a kept page is kept under: whose page, its address with its query string,
    whether HTMX asked for part of it, and the minute (what is coming up, due, or in which
    phase a meeting is, changes with the time)."""
    htmx = request.headers.get("HX-Request") == "true"
    return ("page", whose, request.get_full_path(), htmx, minute())


Drawn = tuple[str, list[tuple[str, str]], str, str]  # who drew it, headers, html, tag


def _serve(request: HttpRequest, drawn: Drawn) -> HttpResponse:
    _, headers, html, tag = drawn
    response = HttpResponse(_fill(html, tag, request))
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
    request: HttpRequest, template: str, context: Callable[[], dict[str, Any]]
) -> HttpResponse:
    """A page rendered once and kept (``kept``) until a table it read is written, for a
    view that has checked access (and done anything else it must do on every request)
    first.

    Kept under whose page it is, its address and the minute (``page_key``). What the
    request read before (the person, the cluster whose access was checked) counts as
    read. A page with messages to show (after a change) is never kept nor served kept;
    the person's CSRF token and fresh one-time form keys (core.once) are put in as it is
    served."""
    if not _keepable(request):
        return render(request, template, context())

    def compute() -> Drawn:
        with _draw() as tag:
            return template, [], render_to_string(template, context(), request), tag

    drawn = kept(page_key(request, request.user.pk), compute)
    if drawn[0] != template:  # the same address drawn by another template: not this one
        return render(request, template, context())
    return _serve(request, drawn)


class _NotKept(Exception):
    def __init__(self, response: HttpResponse, tag: str) -> None:
        self.response = response
        self.tag = tag


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

        def compute() -> Drawn:
            with _draw() as tag:
                response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming:
                raise _NotKept(response, tag)
            headers = [(h, response[h]) for h in _KEPT_HEADERS if h in response]
            return view.__qualname__, headers, response.content.decode(), tag

        try:
            return _serve(request, kept(page_key(request, request.user.pk), compute))
        except _NotKept as not_kept:
            # Drawn to be kept, and not: its placeholders filled all the same.
            response = not_kept.response
            if not response.streaming and response.content:
                response.content = _fill(response.content.decode(), not_kept.tag, request)
            return response

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
