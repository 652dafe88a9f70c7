"""Shared events and training days: arranging one, its tasks, and each setting's numbers
or places booked (waiting places promoted first come, first served)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Aim, Cluster
from nextpractice.core.mail import queue_email
from nextpractice.core.words import possessive
from nextpractice.directory.models import LeaderProfile, Setting

from ..models import Event, EventContact, EventKind, EventTask, Kind, Participation
from .errors import SupportError, create_once
from .notifications import members_of, notify, tell_cluster


class _Keep:
    """``edit_event(served_aim=KEEP)``: leave the aim the event serves as it is."""


KEEP = _Keep()


@transaction.atomic
def create_event(
    cluster: Cluster,
    by: User,
    *,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    host_setting: Setting | None = None,
    venue: str = "",
    for_children: bool = False,
    for_staff: bool = False,
    for_families: bool = False,
    aim: str = "",
    served_aim: Aim | None = None,
    capacity: int | None = None,
    contacts: list[tuple[str, str]] | None = None,
    once_key: str = "",
) -> Event:
    if kind not in EventKind.values:
        raise SupportError("Choose what kind of event it is.")
    if ends_at <= starts_at:
        raise SupportError("The event must end after it starts.")

    def create() -> Event:
        event = Event.objects.create(
            cluster=cluster,
            kind=kind,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            host_setting=host_setting,
            venue=venue,
            for_children=for_children,
            for_staff=for_staff,
            for_families=for_families,
            aim=aim,
            served_aim=served_aim,
            capacity=capacity,
            created_by=by,
        )
        EventContact.objects.bulk_create(
            [EventContact(event=event, name=n, email=e) for n, e in contacts or []]
        )
        tell_cluster(
            cluster,
            by,
            Kind.EVENT,
            f"New event: {event.title}, {event.starts_at:%-d %B}",
            "an event",
            event.title,
            reverse("event_detail", args=[event.pk]),
        )
        record(by, "event.created", event, f"{by} arranged an event: {event.title}", cluster)
        return event

    return create_once(by, once_key, Event, create, cluster_id=cluster.pk)


@transaction.atomic
def add_task(event: Event, by: User, text: str, owner: User | None = None) -> EventTask:
    text = text.strip()
    if not text:
        raise SupportError("Write the task first.")
    if owner is not None and owner.pk not in {u.pk for u in members_of(event.cluster)}:
        raise SupportError("A task goes to someone in the cluster.")
    task = EventTask.objects.create(
        event=event, text=text, owner=owner, position=event.tasks.count()
    )
    record(by, "event.task_added", task, f"{by} added a task to {event.title}", event.cluster)
    return task


@transaction.atomic
def toggle_task(task: EventTask, by: User) -> EventTask:
    task.done = not task.done
    task.save(update_fields=["done"])
    words = "done" if task.done else "not done after all"
    record(by, "event.task_toggled", task, f"{by} marked a task {words}", task.event.cluster)
    return task


@transaction.atomic
def set_numbers(
    event: Event, setting: Setting, by: User, children: int, adults: int
) -> Participation:
    if event.kind == EventKind.TRAINING:
        raise SupportError("For a training day, book places instead.")
    part, _ = Participation.objects.unscoped().update_or_create(
        event=event,
        setting=setting,
        defaults={
            "children": children,
            "adults": adults,
            "updated_by": by,
            "updated_at": timezone.now(),
        },
    )
    record(
        by, "event.numbers", part, f"{by} gave {possessive(str(setting))} numbers", event.cluster
    )
    return part


@transaction.atomic
def book_places(event: Event, setting: Setting, by: User, wanted: int) -> Participation:
    """Book places on a training day; beyond its capacity the rest wait for a place."""
    if event.kind != EventKind.TRAINING:
        raise SupportError("Only training days take bookings.")
    # One booking at a time per event, so two cannot take the same last place.
    Event.objects.unscoped().select_for_update().filter(pk=event.pk).first()
    others = sum(
        Participation.objects.unscoped()
        .filter(event=event)
        .exclude(setting=setting)
        .values_list("places", flat=True)
    )
    free = max(0, (event.capacity or 0) - others) if event.capacity else wanted
    places = min(wanted, free)
    part, _ = Participation.objects.unscoped().update_or_create(
        event=event,
        setting=setting,
        defaults={
            "places": places,
            "waiting": wanted - places,
            "updated_by": by,
            "updated_at": timezone.now(),
        },
    )
    _promote_waiting(event)
    part.refresh_from_db()
    record(by, "event.booked", part, f"{by} booked places for {setting}", event.cluster)
    return part


def _promote_waiting(event: Event) -> None:
    """Freed places go to those waiting, first come first served."""
    if not event.capacity:
        return
    parts = list(Participation.objects.unscoped().filter(event=event).order_by("updated_at", "pk"))
    free = event.capacity - sum(p.places for p in parts)
    for p in parts:
        if free <= 0:
            break
        if p.waiting:
            move = min(free, p.waiting)
            p.places += move
            p.waiting -= move
            free -= move
            p.save(update_fields=["places", "waiting"])


def _tell_of_change(
    event: Event, by: User, template: str, text: str, context: dict[str, Any]
) -> None:
    """Members hear through a notice, emailed as each chose on the one preference page;
    the leaders of settings taking part are emailed at once whatever they chose (their
    children or staff are coming: a daily digest may be too late); organising contacts (a
    PE lead, a SENCo) have no account, so they are emailed at once."""
    link = reverse("event_detail", args=[event.pk])
    context = {**context, "event": event, "by": by, "link": link}
    # The event's own rows: the caller was let in to it (support.access.get_event_for).
    taking_part = set(
        LeaderProfile.objects.filter(
            setting__in=Participation.objects.unscoped().filter(event=event).values("setting")
        ).values_list("user_id", flat=True)
    )
    people = [u for u in members_of(event.cluster) if u.pk != by.pk]
    for at_once in (False, True):
        notify(
            [u for u in people if (u.pk in taking_part) == at_once],
            event.cluster,
            Kind.EVENT,
            text,
            link,
            at_once=at_once,
            email=(template, context),
        )
    for contact in EventContact.objects.unscoped().filter(event=event):  # the event's own
        # Only what they were given when asked to organise: no link into the cluster.
        queue_email(
            contact.email,
            template,
            {**context, "person": contact, "cluster": event.cluster, "contact": True},
        )


@transaction.atomic
def edit_event(
    event: Event,
    by: User,
    *,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    host_setting: Setting | None,
    venue: str,
    aim: str,
    sequence: int | None = None,
    served_aim: Aim | _Keep | None = KEEP,
) -> bool:
    """Change an event's title, time, place or details. A change of time or place is a move:
    everyone is told, and calendars see the new SEQUENCE. ``sequence``: the version the form
    was drawn from; a save from an older one (a second click, a colleague's edit since)
    changes nothing. Returns whether anything changed."""
    # Under a lock, from the database: two saves at once must not both count as the change.
    # Unscoped: the caller's access to this event was checked (support.access.get_event_for).
    locked = Event.objects.unscoped().select_for_update().get(pk=event.pk)
    if locked.is_cancelled:
        raise SupportError("This event is cancelled.")
    if sequence is not None and sequence != locked.sequence:
        raise SupportError(
            "Someone changed this event while you were editing it. Here it is as it stands now."
        )
    if ends_at <= starts_at:
        raise SupportError("The event must end after it starts.")
    if not host_setting and not venue.strip():
        raise SupportError("Choose the host setting or give a venue.")
    was_start, was_place = locked.starts_at, locked.place_text()
    before = (
        locked.title,
        locked.starts_at,
        locked.ends_at,
        locked.host_setting_id,
        locked.venue,
        locked.aim,
        locked.served_aim_id,
    )
    locked.title, locked.starts_at, locked.ends_at = title.strip(), starts_at, ends_at
    locked.host_setting, locked.venue, locked.aim = host_setting, venue.strip(), aim
    if not isinstance(served_aim, _Keep):
        locked.served_aim = served_aim
    after = (
        title.strip(),
        starts_at,
        ends_at,
        locked.host_setting_id,
        locked.venue,
        aim,
        locked.served_aim_id,
    )
    if before == after:
        return False
    locked.sequence += 1
    locked.updated_at = timezone.now()
    locked.save()
    moved = locked.starts_at != was_start or locked.ends_at != before[2]
    moved_place = locked.place_text() != was_place
    record(by, "event.edited", locked, f"{by} changed the event {locked.title}", locked.cluster)
    if moved or moved_place:
        when = timezone.localtime(locked.starts_at)
        _tell_of_change(
            locked,
            by,
            "emails/event_moved",
            f"{by} moved {locked.title} to {when:%-d %B, %H:%M}",
            {"was": timezone.localtime(was_start), "was_place": was_place, "moved": moved},
        )
    event.refresh_from_db()
    return True


@transaction.atomic
def cancel_event(event: Event, by: User, reason: str) -> None:
    """Cancel: the event stays, marked cancelled in calendars, and everyone is told once."""
    reason = reason.strip()
    if not reason:
        raise SupportError("Say why the event is cancelled.")
    # The state check under the lock is the once: a second click finds it cancelled.
    # Unscoped: the caller's access to this event was checked (support.access.get_event_for).
    locked = Event.objects.unscoped().select_for_update().get(pk=event.pk)
    if locked.is_cancelled:
        raise SupportError("This event is already cancelled.")
    locked.cancelled_at = locked.updated_at = timezone.now()
    locked.cancel_reason = reason
    locked.sequence += 1
    locked.save()
    record(
        by, "event.cancelled", locked, f"{by} cancelled the event {locked.title}", locked.cluster
    )
    when = timezone.localtime(locked.starts_at)
    _tell_of_change(
        locked,
        by,
        "emails/event_cancelled",
        f"{by} cancelled {locked.title} on {when:%-d %B}",
        {"reason": reason},
    )
    event.refresh_from_db()
