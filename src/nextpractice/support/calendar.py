"""Cluster events in the diary and in calendar feeds (settings.CALENDAR_SOURCES)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from nextpractice.meetings.calendar import Entry

from .models import Event


def events_for(user: Any, site_url: str) -> list[Entry]:
    return [
        Entry(
            uid=f"event-{event.uid}",
            cluster_id=event.cluster_id,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            title=f"{event.get_kind_display()}: {event.title}",
            location=event.place_text(),
            link=site_url + reverse("event_detail", args=[event.pk]),
            created_at=event.created_at,
            updated_at=event.updated_at,
            sequence=event.sequence,
            cancelled=event.is_cancelled,
        )
        for event in Event.objects.visible_to(user).select_related("host_setting")
    ]
