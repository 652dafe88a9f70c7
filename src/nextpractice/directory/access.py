"""Who may read or change what in the directory.

An area is its coordinators' (anyone else gets 404). A leader may edit only the setting
they are confirmed to lead: the link is established by a coordinator (an invitation from
the directory, or an approved request), never by the leader alone.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from nextpractice.core.forms import is_id

from .models import Area, Setting, SettingClaim, SettingsImport


def get_area_for(user: Any, area_id: int) -> Area:
    """An area its coordinator runs; anyone else (another area's coordinator too) gets 404."""
    area = (
        Area.objects.filter(pk=area_id, coordinators=user).first()
        if getattr(user, "is_authenticated", False) and is_id(area_id)
        else None
    )
    if area is None:
        raise Http404("No such area")
    return area


def get_claim_for(area: Area, claim_id: int) -> SettingClaim:
    """A request about a setting of this area, or 404."""
    claim = (
        SettingClaim.objects.filter(pk=claim_id, setting__area=area).first()
        if is_id(claim_id)
        else None
    )
    if claim is None:
        raise Http404("No such request")
    return claim


def get_import_for(area: Area, import_id: int) -> SettingsImport:
    """An import into this area (its coordinators' page), or 404."""
    job = area.imports.defer("data").filter(pk=import_id).first() if is_id(import_id) else None
    if job is None:
        raise Http404("No such import")
    return job


def get_own_setting(user: Any) -> Setting | None:
    """The setting the leader is confirmed to lead (the only one they may edit), or None.

    ``LeaderProfile.setting`` is written only by ``directory.services.link_leader``: on a
    coordinator's invitation accepted, or a request the coordinator approved.
    """
    profile = getattr(user, "profile", None)
    return profile.setting if profile is not None else None
