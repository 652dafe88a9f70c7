from __future__ import annotations

from typing import Any

from django.http import Http404

from .models import Area, Setting


def get_area_for(user: Any, area_id: int) -> Area:
    """An area its coordinator runs; anyone else gets 404."""
    area = (
        Area.objects.filter(pk=area_id, coordinators=user).first()
        if user.is_authenticated
        else None
    )
    if area is None:
        raise Http404("No such area")
    return area


def get_own_setting(user: Any) -> Setting | None:
    """The setting the leader leads (the only one they may edit)."""
    profile = getattr(user, "profile", None)
    return profile.setting if profile is not None else None
