"""An administrator erases an account for someone who asked (by letter, by phone) and
cannot sign in: the same erasure as "Delete my account", as an action on the people list.
Django's own "delete" is not erasure: it would delete the person's help requests and
reviews with them and leave their name in every record that quotes it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from nextpractice.accounts.models import User

from . import services


@admin.action(
    description="Erase the selected accounts at their holders' request (contributions kept "
    "as a former member's)",
    permissions=["delete"],
)
def erase_accounts(modeladmin: Any, request: HttpRequest, queryset: QuerySet[User]) -> None:
    erased = 0
    for user in queryset:
        try:
            services.erase(user, remove_contributions=False, by=request.user)
        except services.ErasureError as e:
            messages.error(request, f"Account {user.pk}: {e}")
        else:
            erased += 1
    if erased:
        messages.success(request, f"Erased {erased} account(s).")


# The people list is the accounts app's; this layer adds its action to it.
_people = admin.site._registry[User]
_people.actions = [*(_people.actions or []), erase_accounts]
