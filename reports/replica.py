"""The officials' figures may be read from a read replica (REPLICA_DATABASE_URL), so report
pages and exports never load the primary the learners write to.

Only reads made inside `report_reads()` go there, and only of the precomputed tables and their
runs: the report pages and the export builder open it; the statistics engine, which reads and
writes the same tables, never does, so it always works on the primary. The run that dates the
figures is read from the same replica as the figures, so a lagging replica shows older figures
with their own time, never new times over old figures.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
# The figures, their runs, and the unit tree the rankings join them to (the scope itself is
# checked on the primary, before the report is read).
REPLICA_MODELS = {"reports.unitstat", "reports.dailystat", "reports.statsrun", "units.unit"}
_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)


@contextmanager
def report_reads():
    token = _reading_reports.set(True)
    try:
        yield
    finally:
        _reading_reports.reset(token)


class ReportReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            _reading_reports.get()
            and REPLICA in settings.DATABASES
            and model._meta.label_lower in REPLICA_MODELS
        ):
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # it follows the primary, it is never migrated itself
