"""Shared events and training days: arranging one, its tasks, and each setting's numbers
or places booked (waiting places promoted first come, first served)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from nextpractice.accounts.models import User
from nextpractice.audit.models import record
from nextpractice.clusters.models import Cluster
from nextpractice.directory.models import Setting

from ..models import Event, EventContact, EventKind, EventTask, Kind, Participation
from .errors import SupportError, create_once
from .notifications import members_of, tell_cluster


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
    record(by, "event.numbers", part, f"{by} gave {setting}'s numbers", event.cluster)
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
