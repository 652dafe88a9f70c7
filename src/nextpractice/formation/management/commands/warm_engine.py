"""Compile the grouping engine ahead (``make install`` runs this), so that the first
formation round after an install spends its time limit searching, not compiling."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from nextpractice.grouping import warm_up


class Command(BaseCommand):
    help = "Compile the grouping engine's kernels into numba's on-disk cache."

    def handle(self, *args: Any, **options: Any) -> None:
        seconds = warm_up()
        self.stdout.write(f"The grouping engine is compiled and cached ({seconds:.1f} s).")
