"""The trust boundary is structural: a forgotten rule fails here instead of leaking.

- Every model that belongs to a cluster (directly or through its parent) reads through a
  ``ClusterScopedQuerySet``; outside its app's ``access.py`` and ``models.py`` a query of it
  must start with ``visible_to``/``in_cluster`` (a person's read) or ``unscoped`` (work that
  is nobody's read, said out loud), or be a ``create``.
- "Current member" and "has agreed" are written once, in ``clusters/models.py``.
- No view reads ``request.POST``/``request.GET`` by hand: every input goes through a form.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from nextpractice.clusters.models import Cluster, ClusterScopedQuerySet

SRC = Path(__file__).resolve().parent.parent / "src" / "nextpractice"

# Starting a query of a scoped model with one of these is deciding, visibly, who reads.
ALLOWED_STARTS = {
    "visible_to",
    "in_cluster",
    "in_clusters",
    "unscoped",
    "of",  # a person's own rows (their memberships, invitations to their address)
    "fellows_of",  # who is in one's own clusters: names only, as an invitation shows them
    "create",
    "bulk_create",
}


def cluster_owned_models() -> list[type[models.Model]]:
    """Models with a foreign key to a cluster, and (transitively) models that hang off them."""
    owned: list[type[models.Model]] = []
    changed = True
    while changed:
        changed = False
        for model in apps.get_models():
            if (
                model in owned
                or model is Cluster
                or not model.__module__.startswith("nextpractice")
            ):
                continue
            for field in model._meta.fields:
                target = getattr(field, "related_model", None)
                if (
                    field.is_relation
                    and field.many_to_one
                    and (target is Cluster or target in owned)
                ):
                    owned.append(model)
                    changed = True
                    break
    return owned


def test_every_cluster_owned_model_reads_through_the_scoped_queryset() -> None:
    unscoped = {
        model._meta.label
        for model in cluster_owned_models()
        if not issubclass(model._default_manager._queryset_class, ClusterScopedQuerySet)
    }
    assert not unscoped, f"cluster-owned models without a ClusterScopedQuerySet: {unscoped}"


def source_files() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def rel(path: Path) -> str:
    return str(path.relative_to(SRC))


def unscoped_queries(path: Path, names: set[str]) -> list[str]:
    """``Model.objects.<method>`` of a scoped model that does not start with an allowed
    method."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in {"objects", "_default_manager"}
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id in names
            and node.attr not in ALLOWED_STARTS
        ):
            found.append(f"{rel(path)}:{node.lineno} {node.value.value.id}.objects.{node.attr}")
    return found


def rule_written_out(path: Path) -> list[str]:
    """The membership rule spelled out by hand instead of asked of the queryset."""
    found = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        if (
            "left_at=None" in line
            or "left_at__isnull" in line
            or "ground_rules_agreed_version" in line
        ):
            found.append(f"{rel(path)}:{lineno} {line.strip()}")
    return found


def violations() -> dict[str, list[str]]:
    names = {model.__name__ for model in cluster_owned_models()}
    views = set(view_modules())
    by_file: dict[str, list[str]] = {}
    for path in source_files():
        name = rel(path)
        found: list[str] = []
        if path.name not in {"access.py", "models.py", "admin.py"}:
            found += unscoped_queries(path, names)
        if name != "clusters/models.py":
            found += rule_written_out(path)
        if path in views:
            found += hand_read_input_lines(path)
        if found:
            by_file[name] = found
    return by_file


def hand_read_input_lines(path: Path) -> list[str]:
    # Passing ``request.POST`` whole to a form (``Form(request.POST)``) is the way in; reading
    # a key of it (``request.POST["x"]``, ``request.POST.get("x")``) is not.
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Subscript) or (
            isinstance(node, ast.Attribute) and node.attr in {"get", "getlist", "__getitem__"}
        ):
            target = node.value
        if (
            isinstance(target, ast.Attribute)
            and target.attr in {"POST", "GET", "FILES"}
            and isinstance(target.value, ast.Name)
            and target.value.id == "request"
        ):
            found.append(f"{rel(path)}:{node.lineno} request.{target.attr}[...]")
    return found


def test_no_read_of_cluster_content_escapes_the_rule() -> None:
    found = violations()
    assert not found, "reads outside the trust boundary:\n" + "\n".join(
        line for lines in found.values() for line in lines
    )


@pytest.mark.parametrize(
    "snippet",
    [
        "Meeting.objects.filter(pk=1)",
        "Meeting.objects.get(pk=1)",
        "HelpRequest.objects.all()",
    ],
)
def test_the_scan_catches_an_unscoped_read(tmp_path: Path, snippet: str) -> None:
    path = SRC / "_scan_probe.py"
    try:
        path.write_text(f"def f():\n    return {snippet}\n")
        names = {model.__name__ for model in cluster_owned_models()}
        assert unscoped_queries(path, names)
    finally:
        path.unlink()


def test_the_scan_lets_a_scoped_read_through(tmp_path: Path) -> None:
    path = SRC / "_scan_probe.py"
    try:
        path.write_text(
            "def f(user):\n"
            "    return Meeting.objects.visible_to(user).filter(pk=1), "
            "HelpRequest.objects.unscoped().filter(urgency='urgent')\n"
        )
        names = {model.__name__ for model in cluster_owned_models()}
        assert not unscoped_queries(path, names)
    finally:
        path.unlink()


def test_no_template_decides_a_permission_from_a_global_flag() -> None:
    # Who may see what is answered by access objects and views (``access.can_...``,
    # ``can_see_research``), never by a template reading a person's flags.
    import re

    gate = re.compile(
        r"\{%\s*(?:el)?if\b[^%]*\b(is_researcher|is_superuser|is_staff|is_coordinator)\b"
    )
    templates = SRC / "templates"
    found = [
        f"{path.relative_to(templates)}:{number}"
        for path in sorted(templates.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if gate.search(line)
    ]
    assert not found, f"permission rules written out in templates: {found}"


def view_modules() -> list[Path]:
    return [
        p
        for p in source_files()
        if p.name == "views.py" or p.parent.name == "views" or rel(p) == "site/account.py"
    ]


def test_no_view_writes_a_model_itself() -> None:
    # Every write goes through a service that validates, saves, audits and notifies in one
    # transaction; a view that saves, creates, updates or deletes has skipped all of that.
    writes = {"save", "delete", "create", "update", "bulk_create", "get_or_create"}
    found = []
    for path in view_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in writes
            ):
                found.append(f"{rel(path)}:{node.lineno} .{node.func.attr}()")
    assert view_modules() and not found, f"views writing models: {found}"
