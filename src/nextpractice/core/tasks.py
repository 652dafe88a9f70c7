from __future__ import annotations

from django_tasks import task

from . import mail, periodic


@task()
def deliver_email(pk: int) -> bool:
    return mail.deliver(pk)


@task()
def deliver_due() -> int:
    """A sweep of the outbox now, not at the next tick: the mail server answers again and
    the emails waiting out a back-off were brought forward (mail.pull_forward)."""
    return mail.deliver_pending()


@task()
def tick() -> int:
    """Periodic work (email retries, meeting reminders), then the next tick."""
    try:
        return periodic.run_jobs()
    finally:
        periodic.schedule_tick()
