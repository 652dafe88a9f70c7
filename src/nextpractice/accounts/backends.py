"""The sign-in backends, reading the signed-in person as every page asks for them.

Django's backends read the person's row on each request and the pages then ask again for
their profile, its setting and whether they coordinate an area; ``User.for_request`` reads
all of it in the one query. Sign-in itself (passwords, allauth's email codes) is theirs,
unchanged.
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoBackend

from .models import User


class ModelBackend(DjangoBackend):
    def get_user(self, user_id: Any) -> User | None:
        user = User.for_request(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id: Any) -> User | None:
        user = User.for_request(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
