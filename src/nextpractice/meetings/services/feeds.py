"""A person's private calendar address: made, replaced (the old one stops working at once)
or turned off."""

from __future__ import annotations

from django.db import transaction

from nextpractice.accounts.models import User
from nextpractice.audit.models import record

from ..models import CalendarFeed


@transaction.atomic
def replace_calendar_address(user: User) -> CalendarFeed:
    CalendarFeed.objects.filter(user=user).delete()
    feed = CalendarFeed.objects.create(user=user)
    record(user, "calendar.replaced", feed, f"{user} made a new calendar address")
    return feed


@transaction.atomic
def turn_off_calendar_address(user: User) -> None:
    for feed in CalendarFeed.objects.filter(user=user):
        record(user, "calendar.revoked", feed, f"{user} turned off their calendar address")
        feed.delete()
