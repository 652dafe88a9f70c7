from __future__ import annotations

from django_tasks import task

from . import mail, periodic


@task()
def deliver_email(pk: int) -> bool:
    return mail.deliver(pk)


@task()
def tick() -> int:
    """Periodic work (email retries, meeting reminders), then the next tick."""
    try:
        return periodic.run_jobs()
    finally:
        periodic.schedule_tick()
