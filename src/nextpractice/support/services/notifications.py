"""Every notice goes through ``notify``: an in-app notification, and an email straight away,
in a digest, or not at all, as each person prefers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.clusters.models import Cluster, Membership, Role
from nextpractice.core.mail import queue_email

from ..models import DEFAULT_MODE, Kind, Mode, Notification, Preference


def modes_for(users: Iterable[User], kind: str) -> dict[int, str]:
    users = list(users)
    chosen = dict(
        Preference.objects.filter(user__in=users, kind=kind).values_list("user_id", "mode")
    )
    return {u.pk: chosen.get(u.pk, DEFAULT_MODE[Kind(kind)]) for u in users}


def notify(
    users: Iterable[User],
    cluster: Cluster,
    kind: str,
    text: str,
    link: str,
    *,
    urgent: bool = False,
    email: tuple[str, dict[str, Any]] | None = None,
) -> None:
    """In-app notices for ``users``; email as each prefers. Urgent ones are emailed at once
    whatever the preference: a colleague in a crisis cannot be silenced."""
    users = [u for u in users if u.is_active]
    modes = modes_for(users, kind)
    for user in users:
        mode = Mode.IMMEDIATE if urgent else modes[user.pk]
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
                {**context, "person": user, "cluster": cluster, "notice": notice},
            )
            notice.emailed_at = timezone.now()
            notice.save(update_fields=["emailed_at"])


def members_of(cluster: Cluster, *, facilitator: bool = True) -> list[User]:
    """The people a cluster's news goes to: those who may read it now (current, agreed)."""
    found = Membership.objects.unscoped().agreed().filter(cluster=cluster)
    if not facilitator:
        found = found.filter(role=Role.MEMBER)
    return [m.user for m in found.select_related("user")]


def send_digests(now: dt.datetime | None = None) -> int:
    """Daily digests from 7am, weekly ones on Mondays from 7am; each notice goes once, and
    only to someone who may still read what it is about (left the cluster, or not agreed
    the rules as they stand: it is dropped from the digest, never emailed)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < 7:
        return 0
    due = [Mode.DAILY] + ([Mode.WEEKLY] if local.weekday() == 0 else [])
    sent = 0
    pending = Notification.objects.unscoped().filter(
        digest__in=due, emailed_at=None, created_at__lt=now
    )
    by_user: dict[int, list[int]] = defaultdict(list)
    for user_id, pk in pending.values_list("user_id", "pk"):
        by_user[user_id].append(pk)
    for user_id, pks in by_user.items():
        with transaction.atomic():
            # Claimed: only the worker whose update takes them sends the digest.
            claimed = (
                Notification.objects.unscoped()
                .filter(pk__in=pks, emailed_at=None)
                .update(emailed_at=now)
            )
            if not claimed:
                continue
            user = User.objects.get(pk=user_id)
            notices = list(
                Notification.objects.visible_to(user)
                .filter(pk__in=pks)
                .select_related("cluster")
                .order_by("created_at")
            )
            if not notices:
                continue
            queue_email(user.email, "emails/digest", {"person": user, "notices": notices})
            sent += 1
    return sent


def tell_cluster(
    cluster: Cluster, by: User, kind: str, text: str, what: str, title: str, link: str
) -> None:
    """Tell the rest of the cluster that a member shared something (research, an event,
    a funding opportunity)."""
    notify(
        [u for u in members_of(cluster) if u.pk != by.pk],
        cluster,
        kind,
        text,
        link,
        email=("emails/shared", {"what": what, "title": title, "by": by, "link": link}),
    )


def mark_read(user: User, link: str) -> None:
    """Opening what a notice points to marks it read."""
    Notification.objects.visible_to(user).filter(link=link, read_at=None).update(
        read_at=timezone.now()
    )


def mark_all_read(user: User) -> int:
    return Notification.objects.visible_to(user).filter(read_at=None).update(read_at=timezone.now())


def current_preferences(user: User) -> dict[str, str]:
    current = {k: str(DEFAULT_MODE[Kind(k)]) for k in Kind.values}
    current |= dict(Preference.objects.filter(user=user).values_list("kind", "mode"))
    return current


@transaction.atomic
def save_preferences(user: User, chosen: dict[str, str]) -> None:
    """How each kind of notice is emailed. Personal, of no cluster: not audited."""
    for kind in Kind.values:
        if chosen.get(kind) not in Mode.values:
            continue
        Preference.objects.update_or_create(user=user, kind=kind, defaults={"mode": chosen[kind]})
