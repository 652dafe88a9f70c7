"""What life between meetings shows on a cluster's page (settings.CLUSTER_PANELS)."""

from __future__ import annotations

from typing import Any

from nextpractice.clusters.models import Cluster

from .models import Success


def recent_successes(cluster: Cluster, user: Any) -> list[Success]:
    return list(Success.objects.in_cluster(user, cluster.pk).select_related("author", "about")[:5])
