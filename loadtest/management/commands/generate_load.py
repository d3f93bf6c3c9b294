"""Replace the generated load-test data set (learners ending "@load.invalid") with a new one."""

from django.core.management.base import BaseCommand, CommandError

from loadtest.dataset import LoadDataInUse, load_generate
from loadtest.measure import add_seed_option


class Command(BaseCommand):
    help = "Replace the generated learners of Hải Phòng and their learning with N new ones."

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, required=True)
        add_seed_option(parser)
        parser.add_argument("--batch", type=int, default=5000, help="learners per transaction")

    def handle(self, *args, learners, seed, batch, **options):
        if learners < 0 or batch < 1:
            raise CommandError("--learners must be >= 0 and --batch >= 1.")
        try:
            summary = load_generate(
                learners=learners, seed=seed, batch=batch, progress=self.stdout.write
            )
        except LoadDataInUse as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"generated: {summary.organisations} organisations, {summary.learners} learners, "
            f"{summary.enrollments} enrolments, {summary.completions} lesson completions, "
            f"{summary.attempts} quiz attempts, {summary.certificates} certificates "
            f"in {summary.elapsed_s} s"
        )
