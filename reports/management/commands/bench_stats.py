"""Measure the statistics engine and the report page on a generated data set of N enrolments."""

import json

from django.core.management.base import BaseCommand

from reports.benchmark import bench_stats


class Command(BaseCommand):
    help = (
        "Generate learners for about N enrolments (generate_load), then time the full rebuild, "
        "the SQL floor, an incremental run after 1,000 changes and the report pages."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enrollments", type=int, required=True)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON object"
        )
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="keep the generated set if it already has the learners N needs",
        )

    def handle(self, *args, enrollments, seed, as_json, reuse, **options):
        progress = self.stderr.write if as_json else self.stdout.write
        figures = bench_stats(enrollments=enrollments, seed=seed, reuse=reuse, progress=progress)
        if as_json:
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
            return
        for key, value in figures.items():
            self.stdout.write(f"{key}: {value}")
