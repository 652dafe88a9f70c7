"""Workflows over accounts."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import transaction

from nextpractice.audit.models import record

from .models import Invitation, User


@transaction.atomic
def account_for_invitation(invitation: Invitation) -> User:
    """The account of the invited address, made (with the address verified: the sign-in
    code that follows proves the mailbox) if there is none yet."""
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is None:
        user = User.objects.create_user(invitation.email)
        if invitation.name:  # as the coordinator's list gave it; she can change it
            user.full_name = invitation.name
            user.save(update_fields=["full_name"])
        EmailAddress.objects.create(user=user, email=invitation.email, primary=True, verified=True)
        record(None, "account.created", user, "An account was made for an invited address")
    return user
