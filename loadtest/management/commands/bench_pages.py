"""Server CPU and queries of each learner page, and the lesson page's throughput from gunicorn
against a minimal page (`python manage.py bench_pages --json`)."""

import time

from django.core.management.base import BaseCommand
from django.test import override_settings

from loadtest.bench.learner_pages import (
    benchmark_learner,
    learner_urls,
    page_cost,
    session_cookie,
    throughput,
)
from loadtest.measure import (
    QueryCounter,
    add_json_option,
    figures_write,
    rolled_back,
    signed_in_client,
)


class Command(BaseCommand):
    help = (
        "CPU ms and queries per learner page over --requests requests through Django's handler, "
        "then the lesson page's requests per second from gunicorn against a minimal page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=200)
        parser.add_argument("--rounds", type=int, default=3, help="throughput rounds")
        parser.add_argument("--seconds", type=float, default=5.0, help="per throughput round")
        parser.add_argument("--no-throughput", action="store_true")
        add_json_option(parser)

    def handle(self, *args, requests, rounds, seconds, no_throughput, as_json, **options):
        learner = benchmark_learner()
        urls = learner_urls(learner)
        complete_url = urls.pop("complete")
        figures = {"requests_per_page": requests}
        with override_settings(ROOT_URLCONF="loadtest.urls"):
            client = signed_in_client(learner)
            for name, url in urls.items():
                cost = page_cost(client, url, requests)
                if cost.status != 200:
                    raise SystemExit(f"{name} ({url}) answered {cost.status}")
                figures[f"{name}_cpu_ms"] = cost.cpu_ms
                figures[f"{name}_queries"] = cost.queries
                figures[f"{name}_html_bytes"] = cost.html_bytes
            figures.update(self._completion(client, complete_url))
        if not no_throughput:
            cookie = session_cookie(learner)
            figures.update(throughput(urls, cookie, rounds=rounds, seconds=seconds))
        figures_write(self.stdout, figures, as_json=as_json)

    def _completion(self, client, url: str) -> dict:
        """Completing the first lesson, undone afterwards."""
        with rolled_back(), QueryCounter() as queries:
            started = time.process_time()
            response = client.post(url)
            cpu = time.process_time() - started
        if response.status_code != 302:
            raise SystemExit(f"completing a lesson answered {response.status_code}")
        return {
            "lesson_complete_cpu_ms": round(cpu * 1000, 2),
            "lesson_complete_queries": queries.count,
        }
