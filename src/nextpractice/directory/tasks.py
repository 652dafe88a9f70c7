from __future__ import annotations

from django_tasks import task

from . import imports


@task()
def run_settings_import(import_id: int) -> None:
    imports.run(import_id)
