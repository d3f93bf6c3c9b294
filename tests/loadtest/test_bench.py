"""The benchmarks, run at a small size: each prints its figures and leaves the data as it was
(or, for bench_stats, with its generated set)."""

import io
import json

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from courses.demo import demo_curriculum_load
from courses.models import Enrollment, StaleCell
from loadtest.bench.changes import learner_changes
from loadtest.bench.on_request import on_request_report, precomputed_report
from loadtest.bench.report_pages import benchmark_official
from loadtest.dataset import load_generate
from reports import report_cache
from reports.models import StatsRun
from reports.report_cache import report_body_key
from reports.stats import stats_full_rebuild, stats_incremental
from units.models import Unit

pytestmark = pytest.mark.django_db


def test_changes_through_the_services_mark_cells_and_the_on_request_sql_agrees(units):
    load_generate(learners=300, seed=5)
    stats_full_rebuild()
    city = Unit.objects.get(code="31")
    assert on_request_report(unit=city) == precomputed_report(unit=city)
    changes = learner_changes(count=50, seed=5)
    assert sum(changes.values()) == 50 and changes["left"] == changes["enrolled"] == 1
    assert StaleCell.objects.count() == 50  # one per change, written by courses.services
    stats_incremental()
    assert on_request_report(unit=city) == precomputed_report(unit=city)


def test_bench_stats_prints_the_figures_and_checks_them(units):
    """The benchmark as run at 1,000,000 enrolments, on a small set: one JSON object with the
    issue's figures, the stored city figures equal to source rows, the incremental run's table
    equal to a full rebuild's, and a reused set measured again."""
    keys = {
        "enrollments",
        "full_rebuild_s",
        "sql_floor_s",
        "rebuild_over_floor",
        "incremental_1000_s",
        "full_rebuild_after_changes_s",
        "report_root_ms",
        "report_root_queries",
        "report_commune_ms",
        "report_commune_queries",
        "on_request_root_ms",
        "precomputed_speedup",
    }
    for reuse in ([], ["--reuse"]):
        out = io.StringIO()
        call_command("bench_stats", "--enrollments", "1200", "--json", *reuse, stdout=out)
        figures = json.loads(out.getvalue())
        assert keys <= figures.keys()
        assert all(figures[key] is not None for key in keys), figures
        assert 1000 <= figures["enrollments"] <= 1400
        assert figures["on_request_matches_precomputed"] is True
        assert figures["full_rebuild_after_changes_cells_written"] == 0
        assert figures["report_root_queries"] <= 12 and figures["report_commune_queries"] <= 12
        assert sum(figures["changes"].values()) > 0  # a small set runs out of changes first
    assert figures["notes"] == ["reused the existing generated set of 480 learners"]


def test_bench_runs_measures_the_start_up_on_many_runs_and_leaves_none(units):
    StatsRun.objects.create(kind="full", finished_at=timezone.now())
    out = io.StringIO()
    call_command("bench_runs", "--rows", "5000", "--repeat", "5", "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["rows"] == 5000
    assert figures["start_up_ms"] > 0 and figures["start_up_queries"] >= 2
    assert StatsRun.objects.count() == 1


def test_bench_report_times_the_page_and_rolls_back_its_runs(units):
    benchmark_official()
    StatsRun.objects.create(kind="full", finished_at=timezone.now())
    out = io.StringIO()
    call_command(
        "bench_report", "31", "--repeat", "2", "--warmup", "1", "--cold", "--uncached", stdout=out
    )
    line = out.getvalue()
    assert line.startswith("/reports/units/31/: median ") and " queries, " in line
    assert "first request after a new StatsRun: median " in line
    assert StatsRun.objects.count() == 1  # the runs of --cold were rolled back
    assert report_cache.report_body_key is report_body_key  # --uncached is undone on return


@pytest.mark.django_db(transaction=True)
def test_bench_pages_measures_cpu_queries_and_throughput_against_a_minimal_page(units_tx):
    """As run for the figures: the pages through Django's handler, then a real gunicorn."""
    demo_curriculum_load()
    out = io.StringIO()
    call_command(
        "bench_pages", "--requests", "5", "--rounds", "1", "--seconds", "1", "--json", stdout=out
    )
    figures = json.loads(out.getvalue())
    assert (figures["minimal_queries"], figures["lesson_queries"], figures["course_queries"]) == (
        1,
        2,
        2,
    )
    for page in ("minimal", "course", "lesson", "catalogue", "my_learning"):
        assert figures[f"{page}_cpu_ms"] > 0
    assert figures["lesson_rps"] > 0 and figures["minimal_rps"] > 0
    assert figures["lesson_over_minimal"] == round(
        figures["lesson_rps"] / figures["minimal_rps"], 2
    )
    # The completion it measured was undone; the benchmark learner is enrolled, nothing more.
    enrollment = Enrollment.objects.get(user__email="bench.learner@example.invalid")
    assert enrollment.completed_lessons == 0 and not enrollment.completions.exists()


def test_bench_import_times_the_check_and_the_import_and_rolls_back(units):
    out = io.StringIO()
    call_command("bench_import", "--rows", "60", "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["rows"] == figures["created"] == 60
    assert figures["dry_run_s"] >= 0 and figures["import_s"] >= 0
    assert not User.objects.filter(email__startswith="hoc.vien.").exists()
    assert not EmailAddress.objects.exists()
    out = io.StringIO()
    call_command("bench_import", "--rows", "60", stdout=out)
    assert out.getvalue().startswith("60 rows: dry run ")
