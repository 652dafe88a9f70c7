"""The demo's shared aims: two for each active cluster, one due for review before the next
meeting so that it shows on the agenda."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone

from .models import Aim, Cluster, Membership


def build(clusters: Sequence[Cluster]) -> None:
    today = timezone.localdate()
    for cluster in clusters:
        first = (
            Membership.objects.unscoped()
            .current()
            .members()
            .filter(cluster=cluster)
            .select_related("user")
            .first()
        )
        by = first.user if first else None
        Aim.objects.bulk_create(
            [
                Aim(
                    cluster=cluster,
                    title="Every child has a turn to compete",
                    why="Children who rarely get picked for a team, in every setting: a "
                    "cluster sports day where each school sends the children who never get "
                    "chosen.",
                    how_we_know="Each setting counts how many children took part for the "
                    "first time, and we share what the children said.",
                    review_on=today + dt.timedelta(days=7),
                    proposed_by=by,
                ),
                Aim(
                    cluster=cluster,
                    title="Families who are new to the country feel welcome from day one",
                    why="Families arriving as refugees or with little English, across our "
                    "settings: a shared welcome pack in the community's languages.",
                    how_we_know="Settings tell us how many welcome packs went out and what "
                    "families said at settling-in.",
                    review_on=today + dt.timedelta(days=120),
                    proposed_by=by,
                ),
            ]
        )
