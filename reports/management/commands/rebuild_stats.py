import time

from django.core.management.base import BaseCommand, CommandError

from reports.stats import EngineBusy, stats_full_rebuild, stats_incremental


class Command(BaseCommand):
    help = (
        "Recompute the completion statistics from source rows. Waits for a run in progress "
        "(--wait seconds), then gives up with exit status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--incremental", action="store_true", help="only what changed since the last run"
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=300,
            metavar="SECONDS",
            help="how long to wait for a statistics run in progress (default: 300)",
        )

    def handle(self, *args, incremental, wait, **options):
        if wait < 0:
            raise CommandError("--wait must be 0 or more seconds.")

        def waiting(seconds_left: float) -> None:
            self.stdout.write(
                "Another statistics run is in progress; "
                f"waiting up to {seconds_left:.0f} s for it to finish..."
            )

        started = time.monotonic()
        try:
            if incremental:
                run = stats_incremental(wait_s=wait, on_wait=waiting)
            else:
                run = stats_full_rebuild(wait_s=wait, on_wait=waiting)
        except EngineBusy:
            run = None
        if run is None:
            raise CommandError(
                f"Another statistics run is still in progress after {wait:g} s; nothing done. "
                "Try again later, or wait longer with --wait."
            )
        self.stdout.write(
            f"{run.kind}: {run.cells_written} cells written, {run.stale_rows} changes resolved "
            f"in {time.monotonic() - started:.2f} s"
        )
