import time

from django.core.management.base import BaseCommand

from reports.engine import stats_full_rebuild, stats_incremental


class Command(BaseCommand):
    help = "Recompute the completion statistics from source rows (waits for a run in progress)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--incremental", action="store_true", help="only what changed since the last run"
        )

    def handle(self, *args, incremental, **options):
        started = time.monotonic()
        run = stats_incremental() if incremental else stats_full_rebuild()
        if run is None:
            self.stdout.write("another statistics run is in progress; nothing done")
            return
        self.stdout.write(
            f"{run.kind}: {run.cells_written} cells written, {run.stale_rows} changes resolved "
            f"in {time.monotonic() - started:.2f} s"
        )
