"""The statistics engine: incremental runs equal a full rebuild equal a direct recount."""

import pytest
from django.core.management import call_command

from accounts.models import User
from courses import services
from courses.models import Certificate, CourseStatus, StaleCell
from reports.models import ALL_COURSES, ALL_GROUPS, DailyStat, UnitStat
from reports.stats import leaves, stats_full_rebuild, stats_incremental
from tests.accounts.factories import UserFactory
from tests.courses.factories import course_build, quiz_answers
from tests.reports.recount import recount, recount_daily, stored, stored_daily
from units.models import Unit
from units.services import unit_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _exact_watermarks(settings):
    """Changes here are made and counted seconds apart, with no concurrent writer: without the
    production safety margin an incremental run must find exactly what changed."""
    settings.STATS_WATERMARK_MARGIN_S = 0


@pytest.fixture(params=["stale shards", "every shard"])
def recount_path(request, monkeypatch):
    """The two ways an incremental run recounts enrolments: a lookup per stale shard, or one
    scan of every shard once many are stale. Both must end in the same figures."""
    share = 0 if request.param == "every shard" else 10**9
    monkeypatch.setattr(leaves, "WHOLE_RECOUNT_SHARE", share)


def finish_course(user, course):
    services.enrollment_create(user=user, course=course)
    lessons = list(course.lessons.order_by("module__position", "position"))
    for lesson in lessons[:-1]:
        services.lesson_complete(user=user, lesson=lesson)
    services.quiz_submit(
        user=user, lesson=lessons[-1], answers=quiz_answers(lessons[-1]), attempt_number=1
    )


class Cell:
    """A statistics cell; `counts()` gives learners, enrolled, started, completed, certified."""

    def __init__(self, stat):
        self.stat = stat

    def __getattr__(self, name):
        return getattr(self.stat, name)

    def counts(self):
        return self.stat.counts()[:5]


def cell(code, course_key=ALL_COURSES, group=ALL_GROUPS):
    return Cell(UnitStat.objects.get(unit__code=code, course_key=course_key, audience_group=group))


def daily():
    return {(d.unit_id, d.day): d.completed for d in DailyStat.objects.all()}


@pytest.fixture
def world(units):
    hong_bang = Unit.objects.get(code="11311")
    thuy_nguyen = Unit.objects.get(code="11560")
    agency = unit_create(
        code="31-SO-TTTT",
        name="Sở Thông tin và Truyền thông",
        kind="agency",
        parent=Unit.objects.get(code="31"),
    )
    safety = course_build(title="An toàn số", slug="an-toan-so")
    payment = course_build(title="Thanh toán số", slug="thanh-toan-so")
    an = UserFactory(home_unit=hong_bang, audience_group="citizen")
    binh = UserFactory(home_unit=hong_bang, audience_group="official", workplace_unit=agency)
    chi = UserFactory(home_unit=thuy_nguyen, audience_group="citizen")
    UserFactory(home_unit=thuy_nguyen, audience_group="worker")  # registered, never enrols
    return locals()


def test_figures_roll_up_from_commune_to_city_and_nation(world):
    w = world
    finish_course(w["an"], w["safety"])
    services.enrollment_create(user=w["an"], course=w["payment"])
    finish_course(w["binh"], w["safety"])
    services.enrollment_create(user=w["chi"], course=w["safety"])
    stats_full_rebuild()

    # Hồng Bàng: An (citizen) only; Bình counts at his agency, where he works. The all-courses
    # cell adds up the course cells: An's two enrolments.
    assert cell("11311").counts() == (1, 2, 1, 1, 1)
    assert cell("11311", w["safety"].pk).counts() == (1, 1, 1, 1, 1)
    assert cell("11311", w["payment"].pk).counts() == (1, 1, 0, 0, 0)
    assert cell("31-SO-TTTT", group="official").counts() == (1, 1, 1, 1, 1)
    # Hải Phòng covers its communes and its agency: 4 learners, 4 enrolments, 2 completed.
    assert cell("31").counts() == (4, 4, 2, 2, 2)
    assert cell("31", w["safety"].pk).counts() == (4, 3, 2, 2, 2)
    assert cell("31", w["payment"].pk).counts() == (4, 1, 0, 0, 0)
    assert cell("31", group="citizen").counts() == (2, 3, 1, 1, 1)
    assert cell("VN").counts() == cell("31").counts()
    assert cell("31").completion_rate == pytest.approx(50.0)
    assert stored() == recount()
    assert stored_daily() == recount_daily()
    assert sum(d.completed for d in DailyStat.objects.filter(unit__code="31")) == 2


def test_incremental_follows_every_kind_of_change_and_equals_a_full_rebuild(world, recount_path):
    w = world
    stats_full_rebuild()
    finish_course(w["an"], w["safety"])
    finish_course(w["chi"], w["payment"])
    services.enrollment_create(user=w["binh"], course=w["payment"])
    stats_incremental()
    assert stored() == recount()
    assert stored_daily() == recount_daily()
    assert cell("31").completed == 2

    # A learner moves to another commune and changes group; a learner leaves; a certificate
    # is revoked; a course is unpublished.
    chi = w["chi"]
    chi.home_unit = Unit.objects.get(code="11311")
    chi.audience_group = "worker"
    chi.save()
    services.enrollment_leave(enrollment=w["binh"].enrollments.get(course=w["payment"]))
    certificate = Certificate.objects.get(enrollment__user=w["an"])
    services.certificate_revoke(certificate=certificate, reason="test")
    stats_incremental()
    assert stored() == recount()
    assert stored_daily() == recount_daily()
    assert cell("11560").enrolled == 0 and cell("11311", group="worker").completed == 1
    assert cell("11311").certified == 1  # Chi's certificate still valid; An's revoked

    safety = w["safety"]
    safety.status = CourseStatus.DRAFT
    safety.save()
    stats_incremental()
    assert stored() == recount()
    assert stored_daily() == recount_daily()
    assert not UnitStat.objects.filter(course_key=safety.pk).exists()

    incremental_table, incremental_daily = stored(), daily()
    stats_full_rebuild()
    assert stored() == incremental_table
    assert daily() == incremental_daily
    assert not StaleCell.objects.exists()


def test_a_rerun_changes_nothing_and_a_lost_run_is_caught_up(world, recount_path):
    w = world
    finish_course(w["an"], w["safety"])
    stats_full_rebuild()
    before = stored()
    assert stats_incremental().cells_written == 0
    assert stats_full_rebuild().cells_written == 0
    assert stored() == before
    # Changes made while no worker ran are still in the database and are caught up later.
    finish_course(w["chi"], w["safety"])
    finish_course(w["chi"], w["payment"])
    assert StaleCell.objects.count() > 0
    stats_incremental()
    assert stored() == recount()
    assert stored_daily() == recount_daily()


def test_new_learner_without_enrolment_counts_as_registered(world):
    stats_full_rebuild()
    UserFactory(home_unit=Unit.objects.get(code="11560"), audience_group="student")
    stats_incremental()
    assert cell("11560", group="student").learners == 1
    assert stored() == recount()
    assert stored_daily() == recount_daily()


def test_rebuild_stats_command(world, capsys):
    finish_course(world["an"], world["safety"])
    call_command("rebuild_stats")
    assert "full:" in capsys.readouterr().out
    assert stored() == recount()
    assert stored_daily() == recount_daily()
    assert User.objects.count() >= 4


def test_assignments_set_the_target_and_its_rate(world):
    import datetime

    from courses.models import Assignment

    w = world
    stats_full_rebuild()
    # Every citizen of Hải Phòng must complete the safety course: An and Chi (2 pairs).
    Assignment.objects.create(
        course=w["safety"],
        unit=Unit.objects.get(code="31"),
        audience_group="citizen",
        due_date=datetime.date(2026, 12, 31),
    )
    stats_incremental()
    assert cell("31", w["safety"].pk).target == 2
    assert cell("31", w["safety"].pk).target_rate == 0
    finish_course(w["an"], w["safety"])
    finish_course(w["binh"], w["safety"])  # not a citizen: does not count against the target
    stats_incremental()
    safety = cell("31", w["safety"].pk)
    assert (safety.target, safety.target_completed, safety.target_rate) == (2, 1, 50.0)
    assert cell("11311", w["safety"].pk).target_rate == 100.0
    assert cell("31").target == 2
    assert stored() == recount()
    assert stored_daily() == recount_daily()
    # A future member of the subtree is assigned too.
    UserFactory(home_unit=Unit.objects.get(code="11560"), audience_group="citizen")
    stats_incremental()
    assert cell("31", w["safety"].pk).target == 3
    assert stored() == recount()
    assert stored_daily() == recount_daily()
    before = stored()
    stats_full_rebuild()
    assert stored() == before
