"""The hand-off to the statistics engine: every write that changes what the reports count marks
the learner's statistics cell stale in its own transaction, so the engine finds it in the
database and nothing in the request waits for it."""

from ..models import Enrollment, StaleCell, local_day


def stale_cell_mark(*, enrollment: Enrollment) -> None:
    if enrollment.unit_id is not None:
        StaleCell.objects.create(
            unit_id=enrollment.unit_id,
            course_id=enrollment.course_id,
            audience_group=enrollment.audience_group,
            shard=enrollment.stats_shard,
            day=local_day(enrollment.completed_at),
        )
