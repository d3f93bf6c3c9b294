"""Time the officials' report page on the current database, without changing its figures.

Medians of N requests after a warm-up, the number of SQL statements of one request, the size of
the page, and the first request after a new statistics run (the run is created inside a
transaction that is rolled back, so the database keeps its data).
"""

import cProfile
import io
import pstats
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.services import session_second_factor_mark
from reports.benchmark import OFFICIAL_EMAIL, QueryCounter, _busiest_commune
from reports.models import StatsRun
from units.models import Unit


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Median time and query count of /reports/units/<code>/ for the benchmark official."

    def add_arguments(self, parser):
        parser.add_argument(
            "codes", nargs="*", help="unit codes (default: 31 and its busiest commune)"
        )
        parser.add_argument("--repeat", type=int, default=30)
        parser.add_argument("--warmup", type=int, default=3)
        parser.add_argument("--query", default="", help='a query string, e.g. "?sort=name"')
        parser.add_argument("--lang", default="vi", choices=["vi", "en"])
        parser.add_argument("--email", default=OFFICIAL_EMAIL)
        parser.add_argument(
            "--cold", action="store_true", help="also time the first request after a new StatsRun"
        )
        parser.add_argument(
            "--uncached",
            action="store_true",
            help="render the figures on every request, as after each new StatsRun",
        )
        parser.add_argument(
            "--profile", type=int, default=0, metavar="N", help="print the N costliest functions"
        )

    def handle(
        self, *args, codes, repeat, warmup, query, lang, email, cold, uncached, profile, **options
    ):
        if uncached:
            from reports import views

            views.report_body_key = lambda **kwargs: None
        user = User.objects.filter(email=email).first()
        if user is None:
            raise CommandError(f"no user {email}")
        if not codes:
            city = Unit.objects.get(code="31")
            commune = _busiest_commune(city)
            codes = ["31"] + ([commune.code] if commune else [])
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies["django_language"] = lang
        client.force_login(user)
        session = client.session  # the official's log-in passed its second factor
        session_second_factor_mark(session=session)
        session.save()
        try:
            for code in codes:
                self._bench(client, f"/reports/units/{code}/{query}", repeat, warmup, cold, profile)
        finally:
            client.logout()  # removes the benchmark's session row

    def _bench(self, client, url, repeat, warmup, cold, profile):
        for _ in range(warmup):
            response = client.get(url)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}")
        with QueryCounter() as queries:
            response = client.get(url)
        timings, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        line = (
            f"{url}: median {statistics.median(timings):.1f} ms "
            f"(min {min(timings):.1f}, max {max(timings):.1f}, n={repeat}; "
            f"median CPU of this process {statistics.median(cpu):.1f} ms), "
            f"{queries.count} queries, {len(response.content) / 1024:.0f} KiB"
        )
        if cold:
            elapsed, count = self._cold(client, url)
            line += (
                f"; first request after a new StatsRun: median {elapsed:.1f} ms, {count} queries"
            )
        self.stdout.write(line)
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(5):
                client.get(url)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(profile)
            self.stdout.write(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(profile)
            self.stdout.write(out.getvalue())

    def _cold(self, client, url, times: int = 10) -> tuple[float, int]:
        """The first request once a new run has finished (median of `times`, and its queries);
        each run is created in a transaction that is rolled back: the data set is unchanged."""
        timings, counts = [], []
        for _ in range(times):
            try:
                with transaction.atomic():
                    StatsRun.objects.create(kind="incremental", finished_at=timezone.now())
                    with QueryCounter() as queries:
                        started = time.perf_counter()
                        response = client.get(url)
                        timings.append((time.perf_counter() - started) * 1000)
                    counts.append(queries.count)
                    if response.status_code != 200:
                        raise CommandError(f"{url} answered {response.status_code}")
                    raise _Rollback
            except _Rollback:
                pass
        return statistics.median(timings), max(counts)
