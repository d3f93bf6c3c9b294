"""Enrolments follow their learners: the unit and audience group the reports group by are
copied onto each enrolment, and moved when the learner moves."""

from django.db import transaction

from units.models import Unit

from ..models import Enrollment


@transaction.atomic
def enrollments_follow_learners(*, moves: list[tuple[int, int | None, str]]) -> None:
    """Each (enrolment id, unit id, audience group): the enrolment takes its learner's counted
    unit, that unit's path and the learner's audience group."""
    paths = dict(Unit.objects.filter(id__in={m[1] for m in moves}).values_list("id", "path"))
    for enrollment_id, unit_id, group in moves:
        Enrollment.objects.filter(pk=enrollment_id).update(
            unit_id=unit_id, unit_path=paths.get(unit_id, ""), audience_group=group
        )
