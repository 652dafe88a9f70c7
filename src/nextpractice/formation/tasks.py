from __future__ import annotations

from django_tasks import task

from . import services


@task()
def run_round(round_id: int, run_number: int | None = None) -> None:
    services.run(round_id, run_number)
