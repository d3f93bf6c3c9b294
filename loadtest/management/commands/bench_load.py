"""`make bench-load`: simulated learners and officials against gunicorn, a worker and beat."""

from django.core.management.base import BaseCommand

from loadtest.load.run import load_run, saturation_run
from loadtest.measure import add_json_option, figures_write


class Command(BaseCommand):
    help = (
        "Run locust headless against this site (gunicorn, a Celery worker and beat on the "
        "configured database and broker) and print p50/p95/p99, requests/s and errors per "
        "address, then check the statistics against a recount. --saturation instead steps up "
        "simulated people without think time to find the highest rate with p95 < 500 ms."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=200)
        parser.add_argument("--minutes", type=float, default=3)
        parser.add_argument("--think-min", type=float, default=5)
        parser.add_argument("--think-max", type=float, default=15)
        parser.add_argument("--officials", type=int, default=4)
        parser.add_argument("--saturation", action="store_true")
        parser.add_argument("--steps", default="4,8,16,32,64")
        parser.add_argument("--step-seconds", type=int, default=40)
        add_json_option(parser)

    def handle(self, *args, **options):
        if options["saturation"]:
            figures = saturation_run(
                steps=[int(n) for n in options["steps"].split(",")],
                seconds=options["step_seconds"],
                think_mean=(options["think_min"] + options["think_max"]) / 2,
            )
        else:
            figures = load_run(
                users=options["users"],
                seconds=round(options["minutes"] * 60),
                think=(options["think_min"], options["think_max"]),
                learners=options["users"],
                officials=options["officials"],
            )
            self._table(figures)
        figures_write(self.stdout, figures, as_json=options["as_json"])

    def _table(self, figures: dict) -> None:
        self.stderr.write(f"{'address':55} {'req':>6} {'err':>4} {'p50':>6} {'p95':>6} {'p99':>6}")
        for name, row in sorted(figures["pages"].items()):
            self.stderr.write(
                f"{name[:55]:55} {row['requests']:6} {row['failures']:4} "
                f"{row['p50_ms']:6.0f} {row['p95_ms']:6.0f} {row['p99_ms']:6.0f}"
            )
