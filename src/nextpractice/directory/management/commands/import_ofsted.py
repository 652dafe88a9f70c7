from __future__ import annotations

from nextpractice.directory import gias, ofsted
from nextpractice.directory.management.register_command import RegisterImportCommand
from nextpractice.directory.models import Area


class Command(RegisterImportCommand):
    help = "Import settings from Ofsted's childcare providers list (the provider-level CSV)."

    def run_import(self, data: bytes, area: Area | None) -> gias.ImportReport:
        return ofsted.import_ofsted(data, area=area)

    def summary(self, report: gias.ImportReport) -> str:
        return (
            f"{report.created} created, {report.updated} updated, {report.closed} closed, "
            f"{len(report.skipped)} skipped, {len(report.rejected)} rejected, "
            f"{report.outside} of other local authorities"
        )
