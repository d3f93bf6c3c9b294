"""`make bench-load` end to end at a small size: gunicorn, a worker and beat on the test
database, simulated learners and an official through locust, no error, and statistics equal to
a recount once beat has run after the load."""

import io
import json

import pytest
from django.core.management import call_command

from courses.demo import demo_curriculum_load
from courses.models import LessonCompletion

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_bench_load_runs_people_through_the_site_and_checks_the_statistics(units_tx, monkeypatch):
    monkeypatch.setenv("STATS_INCREMENTAL_SECONDS", "3")  # beat's interval, for its subprocess
    demo_curriculum_load()
    out = io.StringIO()
    call_command(
        "bench_load",
        "--users", "6", "--minutes", "0.25", "--think-min", "0.2", "--think-max", "0.5",
        "--officials", "1", "--json", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    figures = json.loads(out.getvalue())
    failed = {name: row["failures"] for name, row in figures["pages"].items() if row["failures"]}
    assert figures["total"]["requests"] > 0 and not failed, figures["total"]["failure_messages"]
    assert figures["total"]["log_ins_refused"] == 0
    assert "/courses/[slug]/lessons/[id]/" in figures["pages"]
    assert figures["statistics_equal_recount"] is True
    assert LessonCompletion.objects.exists(), figures  # the learners did learn
