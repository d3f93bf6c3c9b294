"""Measure the statistics engine and the report page on a generated data set of N enrolments."""

from django.core.management.base import BaseCommand

from loadtest.bench.stats import bench_stats
from loadtest.measure import add_json_option, add_seed_option, figures_write


class Command(BaseCommand):
    help = "Time the statistics engine and the report pages on about N generated enrolments."

    def add_arguments(self, parser):
        parser.add_argument("--enrollments", type=int, required=True)
        add_seed_option(parser)
        add_json_option(parser)
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="keep the generated set if it already has the learners N needs",
        )

    def handle(self, *args, enrollments, seed, as_json, reuse, **options):
        progress = self.stderr.write if as_json else self.stdout.write
        figures = bench_stats(enrollments=enrollments, seed=seed, reuse=reuse, progress=progress)
        figures_write(self.stdout, figures, as_json=as_json)
