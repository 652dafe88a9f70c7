"""Telling people things, for every feature app: an in-app notification, and an email
straight away, in a daily or weekly digest, or not at all, as each person prefers.

Here in ``core`` so that meetings, reviews and clusters notify without importing the app
that happened to hold notifications first. Who is told is the caller's decision, made
through ``Membership.objects.agreed()``; what is shown later goes through
``Notification.objects.visible_to``, so a notice does not outlive the right to see it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from .mail import queue_email
from .models import DEFAULT_MODE, DigestSent, Kind, Mode, Notification, Preference
from .scoping import readable_clusters


def modes_for(users: Iterable[Any], kind: str) -> dict[int, str]:
    users = list(users)
    chosen = dict(
        Preference.objects.filter(user__in=users, kind=kind).values_list("user_id", "mode")
    )
    return {u.pk: chosen.get(u.pk, DEFAULT_MODE[Kind(kind)]) for u in users}


def notify(
    users: Iterable[Any],
    cluster: Any,  # a clusters.Cluster (core imports no feature app)
    kind: str,
    text: str,
    link: str,
    *,
    urgent: bool = False,
    at_once: bool = False,
    email: tuple[str, dict[str, Any]] | None = None,
    personal: Callable[[Any], dict[str, Any]] | None = None,
) -> None:
    """In-app notices for ``users``; email as each prefers. Urgent ones are emailed at once
    whatever the preference: a colleague in a crisis cannot be silenced. ``at_once``: the
    same, without the urgent mark (an event they take part in was moved). Call it inside the
    transaction of the change it tells of: the notices and emails go with it or not at all.
    ``personal(user)``: what the email says to that person alone (their own actions)."""
    users = [u for u in users if u.is_active]
    if cluster is not None:
        # Only someone who may read the cluster now is told about it: a person who has
        # left, or has not agreed the ground rules as they stand, hears nothing (the email
        # would carry what the page no longer shows them).
        users = [u for u in users if readable_clusters(u).filter(cluster=cluster.pk).exists()]
    modes = modes_for(users, kind)
    for user in users:
        mode = Mode.IMMEDIATE if urgent or at_once else modes[user.pk]
        notice = Notification.objects.create(
            user=user,
            cluster=cluster,
            kind=kind,
            text=text[:300],
            link=link,
            urgent=urgent,
            digest=mode if mode in (Mode.DAILY, Mode.WEEKLY) else "",
        )
        if mode == Mode.IMMEDIATE and email is not None:
            template, context = email
            queue_email(
                user.email,
                template,
                {
                    **context,
                    **(personal(user) if personal else {}),
                    "person": user,
                    "cluster": cluster,
                    "notice": notice,
                },
            )
            notice.emailed_at = timezone.now()
            notice.save(update_fields=["emailed_at"])


def digest_period(mode: str, local_day: dt.date) -> dt.date:
    """The period a digest covers, named by its first day: the day itself, or the Monday."""
    if mode == Mode.WEEKLY:
        return local_day - dt.timedelta(days=local_day.weekday())
    return local_day


def send_digests(now: dt.datetime | None = None) -> int:
    """Daily digests from 7am, weekly ones on Mondays from 7am; each notice goes once, and
    only to someone who may still read what it is about (left the cluster, or not agreed
    the rules as they stand: it is dropped from the digest, never emailed).

    Once a period per person: the job runs every minute, and a notice that comes at noon
    waits for tomorrow's digest. The claim is a unique row (DigestSent) per person, digest
    and period, so two workers, or the job run twice, send one digest."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < 7:
        return 0
    due = [Mode.DAILY] + ([Mode.WEEKLY] if local.weekday() == 0 else [])
    sent = 0
    pending = Notification.objects.unscoped().filter(
        digest__in=due, emailed_at=None, created_at__lt=now
    )
    by_user: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for user_id, mode, pk in pending.values_list("user_id", "digest", "pk"):
        by_user[user_id][mode].append(pk)
    users = get_user_model()._default_manager
    for user_id, by_mode in by_user.items():
        with transaction.atomic():
            pks = [
                pk
                for mode, mode_pks in by_mode.items()
                if _claim_period(user_id, mode, digest_period(mode, local.date()), now)
                for pk in mode_pks
            ]
            # Only the worker whose update takes the notices sends them.
            claimed = (
                Notification.objects.unscoped()
                .filter(pk__in=pks, emailed_at=None)
                .update(emailed_at=now)
            )
            if not claimed:
                continue
            user = users.get(pk=user_id)
            notices = list(
                Notification.objects.visible_to(user)
                .filter(pk__in=pks, emailed_at=now)
                .select_related("cluster")
                .order_by("created_at")
            )
            if not notices:
                continue
            queue_email(user.email, "emails/digest", {"person": user, "notices": notices})
            sent += 1
    return sent


def _claim_period(user_id: int, mode: str, period: dt.date, now: dt.datetime) -> bool:
    """True for the one caller that records this person's digest for this period."""
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves the outer one usable
            DigestSent.objects.create(user_id=user_id, digest=mode, period=period, sent_at=now)
    except IntegrityError:
        return False
    return True


def mark_read(user: Any, link: str) -> None:
    """Opening what a notice points to marks it read."""
    Notification.objects.visible_to(user).filter(link=link, read_at=None).update(
        read_at=timezone.now()
    )


def mark_all_read(user: Any) -> int:
    return Notification.objects.visible_to(user).filter(read_at=None).update(read_at=timezone.now())


def current_preferences(user: Any) -> dict[str, str]:
    current = {k: str(DEFAULT_MODE[Kind(k)]) for k in Kind.values}
    current |= dict(Preference.objects.filter(user=user).values_list("kind", "mode"))
    return current


@transaction.atomic
def save_preferences(user: Any, chosen: dict[str, str]) -> None:
    """How each kind of notice is emailed. Personal and of no cluster, so not audited."""
    for kind in Kind.values:
        if chosen.get(kind) not in Mode.values:
            continue
        Preference.objects.update_or_create(user=user, kind=kind, defaults={"mode": chosen[kind]})
