"""The cluster page at 200% zoom: a 640px-wide window zoomed to 200% lays out a 320px page.
Member cards with a long name, email address and setting wrap instead of pushing the page
sideways; the proposals to remove someone open from the keyboard; axe finds nothing
serious."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from nextpractice.clusters import services as cluster_services
from nextpractice.clusters.models import Membership, Role
from nextpractice.directory.models import Setting, SettingKind
from nextpractice.support import services as support

from .conftest import make_person
from .test_browser import (  # noqa: F401 - fixtures, found by pytest by name
    _session_cookie,
    check,
    journey_world,
    new_context,
)

pytestmark = pytest.mark.browser

# 640 device pixels at 200%: the page is laid out in 320 CSS pixels, drawn at scale 2.
ZOOMED = {"viewport": {"width": 320, "height": 720}, "device_scale_factor": 2}


def test_the_cluster_page_at_200_percent_zoom_does_not_scroll_sideways(
    live_server: Any,
    chromium: Any,
    journey_world: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    world = journey_world
    cluster, amira = world["cluster"], world["amira"]
    setting = Setting.objects.create(
        name="The Saint Bartholomew-Featherstonehaugh Church of England Voluntary Aided "
        "Infant and Nursery School",
        kind=SettingKind.PRIMARY,
        area=world["area"],
        urn="107999",
    )
    long = make_person(
        "headteacher.bartholomew-featherstonehaugh.infantandnursery@"
        "saintbartholomewfeatherstonehaugh.example.test",
        "Wilhelmina Featherstonehaugh-Cholmondeley-Bartholomew",
        setting,
    )
    Membership.objects.create(
        cluster=cluster,
        user=long,
        role=Role.MEMBER,
        ground_rules_agreed_at=timezone.now(),
        ground_rules_agreed_version=cluster.ground_rules_version,
    )
    support.record_success(
        cluster, amira, world["ben"], "A **parents' phonics evening**: forty came."
    )
    cluster_services.propose_removal(cluster, world["ben"], long, "Absent.")

    context = new_context(chromium, **ZOOMED)
    try:
        context.add_cookies([_session_cookie(live_server, amira)])
        page = context.new_page()
        page.goto(f"{live_server.url}/clusters/{cluster.pk}/")
        page.get_by_role("heading", name="Members").wait_for()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the cluster page scrolls sideways by {overflow}px at 200%"
        assert page.locator("main strong", has_text="parents' phonics evening").count() == 1
        # The proposal is out of the main view until opened, and opens from the keyboard.
        vote = page.get_by_role("button", name="I agree to remove Wilhelmina")
        assert not vote.is_visible()
        page.locator("#removals summary").focus()
        page.keyboard.press("Enter")
        vote.wait_for(state="visible")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the open proposal scrolls sideways by {overflow}px"
        check(page, "cluster-page-200-percent")
    finally:
        context.close()
