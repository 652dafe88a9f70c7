from __future__ import annotations

from nextpractice.directory import gias
from nextpractice.directory.management.register_command import RegisterImportCommand
from nextpractice.directory.models import Area


class Command(RegisterImportCommand):
    help = "Import settings from a GIAS establishment export (CSV)."
    area_help = "Only import rows of this local authority."

    def run_import(self, data: bytes, area: Area | None) -> gias.ImportReport:
        return gias.import_gias(data, area=area)
