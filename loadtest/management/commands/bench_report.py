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
from contextlib import nullcontext
from unittest.mock import patch

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from loadtest.bench.on_request import busiest_commune
from loadtest.bench.report_pages import OFFICIAL_EMAIL, report_url
from loadtest.measure import QueryCounter, rolled_back, signed_in_client
from reports import report_cache
from reports.models import StatsRun
from units.models import Unit


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
        user = User.objects.filter(email=email).first()
        if user is None:
            raise CommandError(f"no user {email}")
        if not codes:
            city = Unit.objects.get(code="31")
            commune = busiest_commune(city)
            codes = ["31"] + ([commune.code] if commune else [])
        client = signed_in_client(user, language=lang)
        # Without a cache key the figures are rendered on every request; restored on return.
        never_cached = patch.object(report_cache, "report_body_key", lambda **kwargs: None)
        try:
            with never_cached if uncached else nullcontext():
                for code in codes:
                    url = f"{report_url(code)}{query}"
                    self._bench(client, url, repeat, warmup, cold, profile)
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
            self._profile(client, url, profile)

    def _profile(self, client, url, functions: int):
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            client.get(url)
        profiler.disable()
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(functions)
            self.stdout.write(out.getvalue())

    def _cold(self, client, url, times: int = 10) -> tuple[float, int]:
        """The first request once a new run has finished (median of `times`, and its queries);
        each run is created in a transaction that is rolled back: the data set is unchanged."""
        timings, counts = [], []
        for _ in range(times):
            with rolled_back():
                StatsRun.objects.create(kind="incremental", finished_at=timezone.now())
                with QueryCounter() as queries:
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                counts.append(queries.count)
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}")
        return statistics.median(timings), max(counts)
