"""What the impact app shows on a cluster's page (settings.CLUSTER_PANELS)."""

from __future__ import annotations

from typing import Any

from nextpractice.clusters.models import Cluster

from .access import open_check_in
from .models import CheckIn


def check_in_open(cluster: Cluster, user: Any) -> CheckIn | None:
    """The person's own check-in waiting for an answer, if any (a prompt, never content)."""
    return open_check_in(user)
