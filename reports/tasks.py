"""Thin Celery wrappers: each calls the service of the same name."""

from celery import shared_task


@shared_task(name="reports.stats_incremental", acks_late=True)
def stats_incremental() -> int | None:
    from .stats import stats_incremental as run

    result = run()
    return result.pk if result else None


@shared_task(name="reports.stats_full_rebuild", acks_late=True)
def stats_full_rebuild() -> int:
    from .stats import stats_full_rebuild as run

    return run().pk


@shared_task(name="reports.stats_runs_purge", acks_late=True)
def stats_runs_purge() -> int:
    from .stats.runs import stats_runs_purge as run

    return run()


@shared_task(name="reports.export_build", acks_late=True)
def export_build(job_id: int) -> None:
    from .exports import export_build as run

    run(job_id=job_id)


@shared_task(name="reports.exports_sweep", acks_late=True)
def exports_sweep() -> int:
    from .exports import exports_sweep as run

    return run()


@shared_task(name="reports.exports_purge", acks_late=True)
def exports_purge() -> int:
    from .exports import exports_purge as run

    return run()
