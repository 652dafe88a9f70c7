"""Pages kept between requests (core.memo) are never older than the last committed write to
anything they read, whoever wrote it: this process, a transaction, another process.

Most of the suite runs inside one transaction per test, where everything written is
"dirty" and nothing is kept; these tests commit (``transactional_db``), as the web servers
and the worker do, so that values are kept, served kept, and retired.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from nextpractice.accounts.models import User
from nextpractice.clusters import services as cluster_services
from nextpractice.clusters.models import Cluster, Membership
from nextpractice.core import memo, once
from nextpractice.directory.models import Area
from nextpractice.support.models import Success

from .conftest import Cast, client_for
from .test_worker import database_url

ROOT = Path(__file__).resolve().parent.parent


def ask(key: tuple[Any, ...], compute: Any) -> Any:
    """``memo.kept`` as one request asks it: under that request's snapshot of the tokens."""
    with memo.snapshot("tests"):
        return memo.kept(key, compute)


def counter() -> tuple[list[int], Any]:
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        return "|".join(Area.objects.order_by("pk").values_list("name", flat=True))

    return calls, compute


def test_it_names_the_tables_a_statement_touches_and_ignores_sign_in_times() -> None:
    sql = 'SELECT "directory_area"."id" FROM "directory_area" INNER JOIN "accounts_user" ON 1'
    assert memo.tables_in(sql) == {"directory_area", "accounts_user"}
    assert memo.tables_in('SELECT 1 FROM "nextpractice_cache"') == frozenset()
    assert memo._unshown('UPDATE "accounts_user" SET "last_login" = %s WHERE "id" = %s')
    assert not memo._unshown(
        'UPDATE "accounts_user" SET "last_login" = %s, "full_name" = %s WHERE "id" = %s'
    )
    assert not memo._unshown('UPDATE "directory_area" SET "last_login" = %s WHERE "id" = %s')


def test_a_kept_value_is_served_until_a_table_it_read_is_written(
    transactional_db: Any, cast: Cast
) -> None:
    calls, compute = counter()
    first = ask(("areas",), compute)
    assert ask(("areas",), compute) == first
    assert ask(("areas",), compute) == first
    # Computed twice at most: the first time in a process learns the tables it reads.
    assert len(calls) <= 2
    # Outside a request's snapshot, nothing is kept: worked out every time.
    memo.kept(("areas",), compute)
    assert len(calls) <= 3
    before = len(calls)
    with CaptureQueriesContext(connection) as ctx:
        assert ask(("areas",), compute) == first
    # The snapshot (the tokens) and the entry: the areas themselves are not read.
    assert len(calls) == before and len(ctx.captured_queries) == 2
    assert not any('FROM "directory_area"' in q["sql"] for q in ctx.captured_queries)

    # A write to another table retires nothing.
    Cluster.objects.filter(pk=cast.cluster.pk).update(name="Renamed")
    assert ask(("areas",), compute) == first and len(calls) == before

    # A write to a table it read (an update(), no signal sent) retires it.
    Area.objects.filter(pk=cast.area.pk).update(name="Southbridge")
    assert "Southbridge" in ask(("areas",), compute)
    assert len(calls) == before + 1


def test_inside_a_transaction_its_own_writes_are_read_and_a_rollback_retires_nothing(
    transactional_db: Any, cast: Cast
) -> None:
    calls, compute = counter()
    ask(("areas",), compute)
    ask(("areas",), compute)
    kept_before = ask(("areas",), compute)
    n = len(calls)

    class Undo(Exception):
        pass

    def inside() -> None:
        with transaction.atomic():
            Area.objects.filter(pk=cast.area.pk).update(name="Inside")
            # Its own write is seen, and what is worked out here is not kept (nothing is,
            # inside a transaction).
            assert "Inside" in ask(("areas",), compute)
            assert "Inside" in ask(("areas",), compute)
            raise Undo

    with pytest.raises(Undo):
        inside()
    assert len(calls) == n + 2
    # Rolled back: nothing changed, and the value kept before is still good.
    assert ask(("areas",), compute) == kept_before

    with transaction.atomic():
        Area.objects.filter(pk=cast.area.pk).update(name="Committed")
    assert "Committed" in ask(("areas",), compute)


def test_a_write_by_another_process_retires_what_this_one_kept(
    transactional_db: Any, cast: Cast, tmp_path: Path
) -> None:
    calls, compute = counter()
    for _ in range(3):
        ask(("areas",), compute)
    n = len(calls)
    # A new setting (an INSERT ... RETURNING, retired as the process exits on SQLite) and
    # a renamed area, from a process that then ends.
    script = (
        "import django; django.setup()\n"
        "from nextpractice.directory.models import Area\n"
        f"Area.objects.filter(pk={cast.area.pk}).update(name='From elsewhere')\n"
        "Area.objects.create(name='Created elsewhere')\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "nextpractice.conf.settings",
        "PYTHONPATH": str(ROOT / "src"),
    }
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    assert "From elsewhere|" in ask(("areas",), compute)
    assert len(calls) == n + 1
    assert ask(("areas",), compute).endswith("|Created elsewhere")


def test_a_lost_token_is_never_taken_for_the_one_kept(transactional_db: Any, cast: Cast) -> None:
    calls, compute = counter()
    for _ in range(3):
        ask(("areas",), compute)
    n = len(calls)
    cache.delete(memo._gen("directory_area"))  # evicted, or the cache emptied
    ask(("areas",), compute)
    assert len(calls) == n + 1


def test_signing_in_retires_nothing(transactional_db: Any, cast: Cast) -> None:
    calls: list[int] = []

    def names() -> str:
        calls.append(1)
        return "|".join(User.objects.order_by("pk").values_list("full_name", flat=True))

    for _ in range(3):
        ask(("names",), names)
    n = len(calls)
    client_for(cast.alice)  # a sign-in writes last_login
    ask(("names",), names)
    assert len(calls) == n
    User.objects.filter(pk=cast.alice.pk).update(full_name="Alice Renamed")
    assert "Alice Renamed" in ask(("names",), names)


def test_leaving_a_cluster_ends_its_kept_pages_at_once(transactional_db: Any, cast: Cast) -> None:
    """The trust boundary holds across kept pages: the next request after leaving is a 404
    and the home page no longer names the cluster."""
    alice = client_for(cast.alice)
    url = reverse("cluster_detail", args=[cast.cluster.pk])
    # A view kept whole, its access check with it (memo.kept_page).
    aims = reverse("cluster_aims", args=[cast.cluster.pk])
    for _ in range(3):
        assert alice.get(url).status_code == 200
        assert alice.get(aims).status_code == 200
        assert cast.cluster.name in alice.get("/").content.decode()
    with CaptureQueriesContext(connection) as ctx:
        assert alice.get(aims).status_code == 200
    assert len(ctx.captured_queries) == 3  # served kept
    membership = Membership.objects.get(user=cast.alice, cluster=cast.cluster)
    cluster_services.leave(membership)
    assert alice.get(url).status_code == 404
    assert alice.get(aims).status_code == 404
    assert cast.cluster.name not in alice.get("/").content.decode()
    # And an outsider never gets a member's kept page.
    assert client_for(cast.oscar).get(aims).status_code == 404


def test_a_kept_page_is_one_persons_with_their_own_token_and_fresh_form_keys(
    transactional_db: Any, cast: Cast
) -> None:
    url = reverse("successes", args=[cast.cluster.pk])
    # CSRF checked as in production: the kept page's token must be this person's own.
    alice = Client(enforce_csrf_checks=True)
    alice.force_login(cast.alice)
    bob = client_for(cast.bob)
    pages = [alice.get(url).content.decode() for _ in range(4)]
    # Served kept: the same page, yet each with a fresh one-time key for the form.
    keys = [re.search(r'name="once_key" value="([^"]+)"', p)[1] for p in pages]  # type: ignore[index]
    assert len(set(keys)) == 4 and not any("placeholder" in k for k in keys)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", k) for k in keys)
    # The person's CSRF token, not a stand-in, and the form posts.
    assert "np-kept-csrf" not in pages[-1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', pages[-1])[1]  # type: ignore[index]
    response = alice.post(
        url,
        {
            "csrfmiddlewaretoken": token,
            "once_key": keys[-1],
            "about": cast.alice.pk,
            "text": "Our phonics screening results rose",
            "related": "",
        },
    )
    assert response.status_code == 302
    assert Success.objects.unscoped().filter(text__startswith="Our phonics").count() == 1
    # Another key from another serving of the page records a second success: never
    # mistaken for a double click.
    fresh = alice.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', fresh)[1]  # type: ignore[index]
    alice.post(
        url,
        {
            "csrfmiddlewaretoken": token,
            "once_key": keys[0],
            "about": cast.alice.pk,
            "text": "A second success",
            "related": "",
        },
    )
    assert Success.objects.unscoped().filter(text="A second success").count() == 1
    # After a change, the message shows once (a page with a message is never kept).
    assert "Recorded" in alice.get(url).content.decode()
    assert "Recorded" not in alice.get(url).content.decode()
    # Everyone's page is their own.
    assert "Hello, Alice" in alice.get("/").content.decode()
    assert "Hello, Bob" in bob.get("/").content.decode()
    assert "Hello, Alice" in alice.get("/").content.decode()


def test_the_periodic_purge_drops_expired_entries(transactional_db: Any) -> None:
    cache.set("np:kept:gone", "x", 1)
    cache.set("np:kept:stays", "y", 600)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE nextpractice_cache SET expires = %s", ["2000-01-01 00:00:00"])
        cursor.execute(
            "UPDATE nextpractice_cache SET expires = %s WHERE cache_key LIKE %s",
            ["2999-01-01 00:00:00", "%stays"],
        )
    assert memo.purge() >= 1
    assert cache.get("np:kept:stays") == "y"
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM nextpractice_cache WHERE cache_key LIKE %s", ["%gone"])
        assert cursor.fetchone()[0] == 0


def test_placeholders_are_only_given_while_a_page_is_drawn() -> None:
    assert "np-once" not in once.new_key()
    with once.placeholders("f00d"):
        a, b = once.new_key(), once.new_key()
    html = once.with_fresh_keys(f"{a} {b} {a} np-once-beef-0-end", "f00d")
    first, second, again, other = html.split()
    assert first == again and first != second and "f00d" not in html
    # Another drawing's tag (or one written into a post) is left as it is.
    assert other == "np-once-beef-0-end"


def test_a_page_served_kept_asks_the_database_a_handful_of_times(
    transactional_db: Any, cast: Cast
) -> None:
    """Served kept, a member page reads the session, the person and, in one round trip as
    the request begins, what is kept for them (who they are, their clusters, the page):
    the same three queries for any page, whatever the size of the network."""
    alice = client_for(cast.alice)
    urls = [
        "/",
        reverse("cluster_detail", args=[cast.cluster.pk]),
        reverse("successes", args=[cast.cluster.pk]),
        reverse("help_list", args=[cast.cluster.pk]),
        reverse("meetings_year", args=[cast.cluster.pk]),
        reverse("my_actions"),
        reverse("notifications"),
    ]
    for url in urls:
        for _ in range(3):
            assert alice.get(url).status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            assert alice.get(url).status_code == 200
        kept = [q for q in ctx.captured_queries if "nextpractice_cache" in q["sql"]]
        assert len(ctx.captured_queries) == 3 and len(kept) == 1, url


def test_while_the_cache_is_away_pages_work_and_nothing_stale_is_served_after(
    transactional_db: Any, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache unreachable (here its table gone for a while): pages are drawn afresh and
    writes go through; the writes made meanwhile are retired once it is back, so what was
    kept before the outage is not served after it."""
    monkeypatch.setattr(memo, "RETRY", 0.0)  # tried again at once, not 5 s later
    _calls, compute = counter()
    for _ in range(3):
        ask(("areas",), compute)
    alice = client_for(cast.alice)
    assert alice.get("/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE nextpractice_cache RENAME TO nextpractice_cache_away")
    try:
        Area.objects.filter(pk=cast.area.pk).update(name="During the outage")
        assert "During the outage" in ask(("areas",), compute)
        assert alice.get("/").status_code == 200
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE nextpractice_cache_away RENAME TO nextpractice_cache")
    # Back: the old entry (from before the outage) is not served.
    assert "During the outage" in ask(("areas",), compute)
    assert "During the outage" in ask(("areas",), compute)
    assert not memo._unretired


def test_a_write_that_changes_nothing_retires_nothing(transactional_db: Any, cast: Cast) -> None:
    calls, compute = counter()
    for _ in range(3):
        ask(("areas",), compute)
    n = len(calls)
    Area.objects.filter(pk=-1).update(name="Nobody")  # no row: a periodic job with no work
    Area.objects.filter(pk=-1).delete()
    ask(("areas",), compute)
    assert len(calls) == n
