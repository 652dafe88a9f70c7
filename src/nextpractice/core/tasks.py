from __future__ import annotations

from django_tasks import task

from . import mail


@task()
def deliver_email(pk: int) -> bool:
    return mail.deliver(pk)
