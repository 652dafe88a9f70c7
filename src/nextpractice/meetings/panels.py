"""What the meetings app shows on a cluster's page (settings.CLUSTER_PANELS)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from nextpractice.clusters.models import Cluster

from .models import Meeting, MeetingStatus


def next_meeting(cluster: Cluster, user: Any) -> Meeting | None:
    return (
        Meeting.objects.in_cluster(user, cluster.pk)
        .filter(status=MeetingStatus.SCHEDULED, starts_at__gte=timezone.now())
        .select_related("host_setting")
        .order_by("starts_at")
        .first()
    )
