"""The researcher's page: counts only, none under 5, and none that the totals give back."""

from __future__ import annotations

import re

from django.urls import reverse

from nextpractice.clusters.models import Cluster, ClusterStatus
from nextpractice.directory.models import Area, Setting, SettingKind

from .conftest import Cast, client_for, make_person


def figures(html: str) -> list[list[str]]:
    """Each table's rows of figures, as shown."""
    tables = re.findall(r"<table.*?</table>", html, re.DOTALL)
    return [
        [
            re.findall(r'<td class="govuk-table__cell[^"]*">(.*?)</td>', row)
            for row in re.findall(r"<tbody.*?</tbody>", table, re.DOTALL)[0].split("</tr>")
            if "<td" in row
        ]
        for table in tables
    ]


def test_no_figure_under_five_and_none_that_the_total_gives_back(cast: Cast) -> None:
    # Northbridge (the cast's area) has 4 leaders with a profile; Southgate has 12.
    south = Area.objects.create(name="Southgate")
    for i in range(12):
        setting = Setting.objects.create(
            name=f"South {i}", kind=SettingKind.PRIMARY, area=south, urn=f"20000{i}"
        )
        make_person(f"s{i}@example.test", f"South Leader {i}", setting)
    for i in range(6):
        Cluster.objects.create(name=f"South {i}", area=south, status=ClusterStatus.ACTIVE)
    page = client_for(cast.rita).get(reverse("research"))
    assert page.status_code == 200
    leaders, by_status, by_size = figures(page.content.decode())
    # Before: "fewer than 5" for Northbridge, 12 for Southgate: and a total would give 4.
    assert leaders == [["not shown"], ["not shown"], ["16"]]
    # Northbridge has 2 active clusters (hidden, with its row total); the Active column's
    # total (8) would give it back from Southgate's 6, so the 6 and its row total go too.
    # Zeros stay shown.
    assert by_status == [
        ["0", "not shown", "0", "0", "not shown"],
        ["0", "not shown", "0", "0", "not shown"],
        ["0", "8", "0", "0", "8"],
    ]
    # Active clusters by members: six with none, one with 1 (Hilltop), one with 3.
    assert by_size == [["6"], ["not shown"], ["not shown"], ["8"]]
    shown = [v for table in (leaders, by_status, by_size) for row in table for v in row]
    assert not {v for v in shown if v.isdigit() and 0 < int(v) < 5}, shown
    assert "Riverside" not in page.content.decode() and "Alice" not in page.content.decode()
