"""Measures the statistics engine and the officials' report page on a generated data set.

Every figure is a wall-clock time on this database; what is compared with what:
- the full rebuild against one raw GROUP BY over the same rows (the least any rebuild can cost);
- the report page, which reads precomputed cells, against the same city figures computed from
  source rows on request (what platforms without a statistics table do on every page view).
"""

import os

from django.conf import settings
from django.db import connection

from accounts.models import User
from courses.models import Enrollment
from reports.stats import stats_full_rebuild, stats_incremental

from ..dataset import (
    LOAD_EMAIL_DOMAIN,
    expected_enrollments_per_learner,
    load_generate,
    tables_maintain,
)
from ..measure import Progress, timed
from .changes import learner_changes
from .on_request import sql_floor_once
from .report_pages import report_pages_against_on_request

ROUNDS_REBUILD = 3  # full rebuilds and floors, alternately: the best of each is compared


def bench_stats(
    *, enrollments: int, seed: int = 42, reuse: bool = False, progress: Progress | None = None
) -> dict:
    say = progress or (lambda _message: None)
    notes: list[str] = []
    figures: dict = {
        "seed": seed,
        "database": connection.vendor,
        "debug": settings.DEBUG,
        "load_average_before": _load_average(),
    }
    figures.update(_data_set(enrollments=enrollments, seed=seed, reuse=reuse, say=say, notes=notes))
    say("full rebuild and SQL floor, alternately (best of 3 each, after a warm-up)")
    figures.update(_rebuild_against_floor())
    say("1,000 learner changes through courses.services")
    figures.update(_incremental_after_changes(seed=seed, say=say, notes=notes))
    figures.update(report_pages_against_on_request(say=say, notes=notes))
    figures["load_average_after"] = _load_average()
    figures["notes"] = notes
    return figures


def _load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _data_set(*, enrollments: int, seed: int, reuse: bool, say: Progress, notes) -> dict:
    """A generated set of about `enrollments` enrolments: the kept one with `reuse`, when it
    has the learners that needs, else a new one."""
    figures: dict = {}
    learners = max(1, round(enrollments / expected_enrollments_per_learner()))
    generated = User.objects.filter(email__endswith=f"@{LOAD_EMAIL_DOMAIN}")
    if reuse and generated.count() == learners:
        figures["generate_s"] = None
        notes.append(f"reused the existing generated set of {learners} learners")
        # Earlier runs' changes are left as a running site leaves them until autovacuum passes;
        # vacuumed, the reused set is in the state a new one is generated in.
        tables_maintain("VACUUM ANALYZE", say)
    else:
        summary = load_generate(learners=learners, seed=seed, progress=say)
        figures["generate_s"] = summary.elapsed_s
    figures["enrollments"] = Enrollment.objects.count()
    figures["learners"] = User.objects.count()
    figures["generated_learners"] = generated.count()
    return figures


def _rebuild_against_floor() -> dict:
    """The full rebuild and the SQL floor timed in alternation, after a warm-up rebuild, so
    that a slower moment of the machine falls on both sides; the best of each is compared."""
    figures: dict = {"full_rebuild_first_s": round(timed(stats_full_rebuild)[0], 3)}
    rebuilds, floors, rows, run = [], [], 0, None
    for _ in range(ROUNDS_REBUILD):
        elapsed, run = timed(stats_full_rebuild)
        rebuilds.append(elapsed)
        elapsed, rows = sql_floor_once()
        floors.append(elapsed)
    figures["full_rebuild_s"] = round(min(rebuilds), 3)
    figures["full_rebuild_runs_s"] = [round(t, 3) for t in rebuilds]
    figures["full_rebuild_cells_written"] = run.cells_written
    floor = min(floors)
    figures["sql_floor_s"] = round(floor, 3)
    figures["sql_floor_runs_s"] = [round(t, 3) for t in floors]
    figures["sql_floor_rows"] = rows
    figures["rebuild_over_floor"] = (
        round(figures["full_rebuild_s"] / floor, 1) if figures["full_rebuild_s"] else None
    )
    return figures


def _incremental_after_changes(*, seed: int, say: Progress, notes: list[str]) -> dict:
    """1,000 learner changes, one incremental run, then a full rebuild that must rewrite no
    cell (the incremental run left none wrong)."""
    elapsed, changes = timed(lambda: learner_changes(count=1000, seed=seed))
    figures: dict = {"changes": dict(changes), "changes_s": round(elapsed, 2)}
    elapsed, run = timed(stats_incremental)
    figures["incremental_1000_s"] = round(elapsed, 3) if run is not None else None
    if run is None:
        notes.append("stats_incremental skipped: another run held the engine lock")
    else:
        figures["incremental_stale_rows"] = run.stale_rows
        figures["incremental_cells_written"] = run.cells_written
    # The same full rebuild before autovacuum has passed over the changed pages: the
    # enrolments' index is then read with a visit to each changed page.
    say("full rebuild after the changes, before any vacuum")
    elapsed, run = timed(stats_full_rebuild)
    figures["full_rebuild_after_changes_s"] = round(elapsed, 3)
    figures["full_rebuild_after_changes_cells_written"] = run.cells_written
    if run.cells_written:
        notes.append(
            f"the full rebuild after the incremental run rewrote {run.cells_written} cells: "
            "the incremental run left them wrong"
        )
    return figures
