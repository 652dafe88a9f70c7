from __future__ import annotations

from django_tasks import task

from . import mail


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
    """Kept for ticks queued before issue 11: periodic work now runs in each worker's loop,
    under a lease (see core.periodic), so a tick left in the queue does nothing and queues
    no successor."""
    return 0
