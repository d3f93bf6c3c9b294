"""The officials' report pages as the benchmark official sees them: their queries, and their
time against the same city figures computed from source rows on request."""

import logging
import statistics
from contextlib import contextmanager

from django.test import Client
from django.urls import Resolver404, resolve

from accounts.models import Role, UnitRole, User
from units.models import Unit

from ..dataset import CITY_CODE
from ..measure import Progress, QueryCounter, signed_in_client, timed
from .on_request import busiest_commune, on_request_report, precomputed_report

OFFICIAL_EMAIL = "bench.official@example.invalid"
ROUNDS_PAGES = 5  # on-request reports, each followed by PAGE_REQUESTS_PER_ROUND of each page
PAGE_REQUESTS_PER_ROUND = 4


def report_url(code: str) -> str:
    return f"/reports/units/{code}/"


def benchmark_official() -> User:
    """The official of the city the benchmarks sign in as (created on first use)."""
    user = User.objects.filter(email=OFFICIAL_EMAIL).first()
    if user is None:
        user = User.objects.create_user(
            email=OFFICIAL_EMAIL, password=None, full_name="Cán bộ theo dõi (đo hiệu năng)"
        )
    UnitRole.objects.update_or_create(
        user=user, role=Role.OFFICIAL, defaults={"unit": Unit.objects.get(code=CITY_CODE)}
    )
    return user


def page_check(client: Client, url: str) -> dict:
    """The page's status and, when it answers, its number of queries (after a warm-up)."""
    with _quiet_request_errors():
        response = client.get(url)  # warm-up: connection, templates, caches
    if response.status_code != 200:
        error = response.exc_info[1] if getattr(response, "exc_info", None) else None
        return {"status": response.status_code, "error": repr(error) if error else None}
    with QueryCounter() as queries:
        response = client.get(url)
    return {"status": response.status_code, "queries": queries.count}


@contextmanager
def _quiet_request_errors():
    """A failing page is reported in the figures, not as a traceback on the console."""
    request_logger = logging.getLogger("django.request")
    level = request_logger.level
    request_logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        request_logger.setLevel(level)


def report_pages_against_on_request(*, say: Progress, notes: list[str]) -> dict:
    """The city's and its busiest commune's report pages (queries, median time) against the
    city's figures computed on request, which must equal the stored ones."""
    city = Unit.objects.get(code=CITY_CODE)
    try:
        resolve(report_url(CITY_CODE))
        has_page = True
    except Resolver404:
        has_page = False
        notes.append(f"missing: the report page {report_url(CITY_CODE)}")
    commune = busiest_commune(city)
    figures: dict = {"commune": f"{commune.code} {commune.name}" if commune else None}
    client = signed_in_client(benchmark_official(), raise_request_exception=False)
    pages: dict[str, str] = {}
    for key, unit in (("root", city), ("commune", commune)):
        figures[f"report_{key}_ms"] = figures[f"report_{key}_queries"] = None
        if has_page and unit is not None:
            url = report_url(unit.code)
            page = page_check(client, url)
            figures[f"report_{key}_status"] = page["status"]
            if page["status"] == 200:
                figures[f"report_{key}_queries"] = page["queries"]
                pages[key] = url
            else:
                notes.append(
                    f"report page of {unit.code} answered {page['status']}: {page.get('error')}"
                )
    say("report pages and the city report from source rows on request, alternately")
    figures.update(_timed_alternately(client, city=city, pages=pages, notes=notes))
    return figures


def _timed_alternately(client: Client, *, city: Unit, pages: dict[str, str], notes) -> dict:
    """Each comparison is timed in alternation, so that a slower moment of the machine falls
    on both sides of it: one on-request report, then a few requests of each page, per round."""
    on_request_timings: list[float] = []
    page_timings: dict[str, list[float]] = {key: [] for key in pages}
    on_request = {}
    for _ in range(ROUNDS_PAGES):
        elapsed, on_request = timed(lambda: on_request_report(unit=city))
        on_request_timings.append(elapsed)
        for key, url in pages.items():
            for _ in range(PAGE_REQUESTS_PER_ROUND):
                page_timings[key].append(timed(lambda url=url: client.get(url))[0])
    figures: dict = {
        f"report_{key}_ms": round(statistics.median(timings) * 1000, 1)
        for key, timings in page_timings.items()
    }
    figures["on_request_root_ms"] = round(statistics.median(on_request_timings) * 1000, 1)
    figures["on_request_rows"] = len(on_request)
    root_ms = figures.get("report_root_ms")
    figures["precomputed_speedup"] = (
        round(figures["on_request_root_ms"] / root_ms, 1) if root_ms else None
    )
    stored = precomputed_report(unit=city)
    wrong = sorted(pk for pk in on_request if tuple(on_request[pk]) != tuple(stored[pk]))
    figures["on_request_matches_precomputed"] = not wrong
    if wrong:
        notes.append(
            f"precomputed figures differ from source rows for {len(wrong)} units, e.g. "
            f"unit {wrong[0]}: stored {stored[wrong[0]]}, source {on_request[wrong[0]]}"
        )
    return figures
