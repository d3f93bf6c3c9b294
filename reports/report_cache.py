"""What the report pages keep in the cache: the latest run and the course list (the page's
"meta"), and the rendered report, per statistics run. A cache that fails costs queries or the
rendering, never the page."""

import logging
from collections.abc import Callable
from datetime import UTC

from django.core.cache import cache
from django.db import transaction
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from .selectors import ReportMeta, UnitReport, figures_run, report_courses

logger = logging.getLogger(__name__)

# The rendered report (all of the page but the reader's exports) is cached per root, unit,
# filters, language, day and statistics run: a new run changes the key, so new figures show at
# once. Bump the version when the fragment's markup changes, so a deploy never serves the old
# markup. The timeout bounds how long the renderings of past runs stay in the cache, and how
# long a renamed unit or course may keep its old name on a page when no run follows. The time
# the figures were last checked changes without a new run: the fragment leaves a slot for it.
BODY_CACHE_VERSION = 3
BODY_FRESHNESS_SLOT = SafeString("<!--report-freshness-->")
BODY_CACHE_SECONDS = 120
# What every report page reads first, the latest run and the course list, is kept in the cache
# and forgotten whenever a run or a course is saved or deleted (`report_meta_forget`, connected
# in apps.py). The timeout bounds the one race left: a page that read the database just before
# another process committed a run, and stored what it read just after that run was forgotten.
META_CACHE_KEY = "reports:meta:2"
META_CACHE_SECONDS = 10


def report_meta() -> ReportMeta:
    """The latest finished run and the courses a report can be filtered by, from the cache when
    there; read in this order, so figures read afterwards are at least as new as the run. A
    cache that fails costs two queries, never the page."""
    try:
        meta = cache.get(META_CACHE_KEY)
    except Exception:
        logger.warning("report cache unavailable", exc_info=True)
        meta = None
    if isinstance(meta, ReportMeta):
        return meta
    run_id, computed_at, checked_at = figures_run()
    meta = ReportMeta(
        run_id=run_id, computed_at=computed_at, checked_at=checked_at, courses=report_courses()
    )
    try:
        cache.set(META_CACHE_KEY, meta, META_CACHE_SECONDS)
    except Exception:
        logger.warning("report cache unavailable", exc_info=True)
    return meta


def report_meta_forget(**kwargs) -> None:
    """A run or a course was saved or deleted, or a check confirmed the latest run: the next
    page reads both again. Forgotten at once, and again when the transaction commits, so a
    page that read the database in between cannot keep the old values."""

    def forget():
        try:
            cache.delete(META_CACHE_KEY)
        except Exception:
            logger.warning("report cache unavailable", exc_info=True)

    forget()
    transaction.on_commit(forget, using=kwargs.get("using"))


def report_body_key(*, report: UnitReport) -> str | None:
    """The cache key of the page's rendered report, or None when no run has finished (figures
    written outside the engine, as in tests and fresh installs, are never cached).

    Everything the fragment depends on is in the key: the official's root (the breadcrumb
    starts there), the unit, the filters, the language, the day (the trend ends today) and the
    run. Officials of different scopes never share an entry. The run is named by its id and
    the microsecond it finished: databases sharing one cache (development, tests) have runs
    of the same id, never of the same id and instant."""
    if report.run_id is None or report.computed_at is None:
        return None
    filters = report.filters
    parts = (
        "reports:body",
        BODY_CACHE_VERSION,
        report.root.pk,
        report.unit.pk,
        filters.course_key,
        filters.group_key,
        filters.sort,
        get_language(),
        report.today.isoformat(),
        report.run_id,
        report.computed_at.astimezone(UTC).strftime("%Y%m%d%H%M%S%f"),
    )
    return ":".join(str(part) for part in parts)


def report_body_cached(*, report: UnitReport, render: Callable[[UnitReport], str]) -> str:
    """The report's rendering from the cache when this run's is there, else `render(report)`,
    stored for the next official of the same root."""
    key = report_body_key(report=report)
    if key is not None:
        try:
            html = cache.get(key)
        except Exception:
            logger.warning("report cache unavailable", exc_info=True)
            key = None
        else:
            if html is not None:
                return html
    html = render(report)
    if key is not None:
        try:
            cache.set(key, str(html), BODY_CACHE_SECONDS)
        except Exception:
            logger.warning("report cache unavailable", exc_info=True)
    return html
