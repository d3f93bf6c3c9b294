"""Time the learner import on a generated file of N rows: the check alone (dry run), then the
import, both as a content administrator of Hải Phòng. Everything is rolled back, so the
database keeps its data and no invitation is sent."""

import csv
import io

from django.core.management.base import BaseCommand, CommandError

from accounts.learner_files import COLUMNS, MAX_ROWS, learner_import
from accounts.models import Role, UnitRole, User
from loadtest.dataset import CITY_CODE
from loadtest.measure import add_json_option, figures_write, rolled_back
from units.loader import units_load
from units.models import COMMUNE_KINDS, Unit

# Codes and names people type, so the file exercises the matching of audience groups.
GROUPS = ["Người dân", "official", "worker", "Học sinh, sinh viên"]
IMPORTER_EMAIL = "bench.import@example.invalid"


def learner_file(rows: int, unit_codes: list[str]) -> bytes:
    """A CSV learner file as spreadsheets save it (UTF-8 with a byte order mark)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.heading for column in COLUMNS])
    for n in range(rows):
        writer.writerow(
            [
                f"Nguyễn Thị Hồng Nhung {n}",
                f"hoc.vien.{n}@example.vn",
                f"09{n:08d}",
                GROUPS[n % len(GROUPS)],
                unit_codes[n % len(unit_codes)],
                "",
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


class Command(BaseCommand):
    help = "Time checking, then importing, a learner file of N rows (all rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000)
        add_json_option(parser)

    def handle(self, *args, rows, as_json, **options):
        if not 1 <= rows <= MAX_ROWS:
            raise CommandError(f"--rows must be between 1 and {MAX_ROWS}.")
        with rolled_back():
            figures = self._measure(rows)
        if as_json:
            figures_write(self.stdout, figures, as_json=True)
            return
        self.stdout.write(
            f"{rows:,} rows: dry run {figures['dry_run_s']:.2f} s, "
            f"import {figures['import_s']:.2f} s ({figures['file_bytes'] / 1e6:.1f} MB)"
        )

    def _measure(self, rows: int) -> dict:
        if not Unit.objects.filter(code=CITY_CODE).exists():
            units_load()
        city = Unit.objects.get(code=CITY_CODE)
        communes = list(
            Unit.objects.filter(parent=city, kind__in=COMMUNE_KINDS)
            .order_by("code")
            .values_list("code", flat=True)
        )
        content = learner_file(rows, communes)
        importer = User.objects.create_user(
            email=IMPORTER_EMAIL,
            password=None,
            full_name="Quản trị nội dung (đo hiệu năng)",
            is_staff=True,  # a content administrator's grant counts only with staff rights
        )
        UnitRole.objects.create(user=importer, role=Role.CONTENT_ADMIN, unit=city)
        checked = learner_import(content=content, importer=importer, dry_run=True)
        if not checked.ok:
            problems = checked.refused or checked.errors[:3]
            raise CommandError(f"the generated file was refused: {problems}")
        imported = learner_import(content=content, importer=importer, dry_run=False)
        return {
            "rows": rows,
            "file_bytes": len(content),
            "dry_run_s": round(checked.elapsed, 2),
            "import_s": round(imported.elapsed, 2),
            "created": imported.created,
        }
