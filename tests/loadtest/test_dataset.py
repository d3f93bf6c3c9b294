"""The generated load-test data set: consistent, deterministic from its seed, replaced by the
next load, and never removed from under a real learner."""

from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from courses.models import (
    Certificate,
    Enrollment,
    Lesson,
    LessonCompletion,
    LessonKind,
    QuizAttempt,
    StaleCell,
)
from courses.services import course_lesson_ids
from loadtest.dataset import load_generate
from loadtest.dataset.rows import RowWriter
from units.models import Unit

pytestmark = pytest.mark.django_db

LOAD = "@load.invalid"


def generated_learners():
    return User.objects.filter(email__endswith=LOAD)


def fingerprint():
    """Everything the seed decides, keyed by natural keys (primary keys differ between runs)."""
    learners = list(
        generated_learners()
        .order_by("email")
        .values_list(
            "email", "full_name", "audience_group", "home_unit__code", "workplace_unit__code"
        )
    )
    enrollments = list(
        Enrollment.objects.filter(user__email__endswith=LOAD)
        .order_by("user__email", "course__slug")
        .values_list(
            "user__email",
            "course__slug",
            "unit__code",
            "progress_percent",
            "completed_lessons",
            "last_lesson__title",
            "certified",
        )
    )
    organisations = list(
        Unit.objects.filter(code__startswith="31-")
        .order_by("code")
        .values_list("code", "name", "kind", "parent__code", "path", "depth")
    )
    return learners, enrollments, organisations


def test_generate_load_builds_a_consistent_data_set(units, capsys):
    call_command("generate_load", "--learners", "300", "--batch", "120")
    out = capsys.readouterr().out
    assert "300/300 learners" in out and "generated: 220 organisations, 300 learners" in out

    learners = {u.pk: u for u in generated_learners().select_related("workplace_unit", "home_unit")}
    assert len(learners) == 300
    assert User.objects.filter(email__endswith=LOAD, password__startswith="!").count() == 300
    assert len({u.password for u in learners.values()}) == 1  # one shared unusable hash
    groups = Counter(u.audience_group for u in learners.values())
    assert set(groups) == {"citizen", "official", "worker", "student"}
    assert groups["citizen"] > groups["official"] > 0
    kinds = {"agency": 0, "enterprise": 0, "school": 0}
    for u in learners.values():
        assert u.home_unit.path.startswith("/VN/31/") and u.home_unit.is_commune
        if u.workplace_unit:
            kinds[u.workplace_unit.kind] += 1
            expected = {"official": "agency", "worker": "enterprise", "student": "school"}
            assert u.workplace_unit.kind == expected[u.audience_group]
    assert all(kinds.values())

    organisations = Unit.objects.filter(code__regex=r"^31-(AG|EN|SC)-[0-9]{3}$")
    assert Counter(organisations.values_list("kind", flat=True)) == {
        "agency": 40,
        "enterprise": 60,
        "school": 120,
    }
    for unit in organisations.select_related("parent"):
        assert unit.path == f"{unit.parent.path}{unit.code}/"
        assert unit.depth == unit.parent.depth + 1
        assert unit.parent.code == "31" if unit.kind == "agency" else unit.parent.is_commune

    enrollments = list(Enrollment.objects.filter(user__in=learners).select_related("unit"))
    per_learner = Counter(e.user_id for e in enrollments)
    assert set(per_learner) == set(learners) and set(per_learner.values()) <= {1, 2, 3, 4}
    lessons = {e.course_id: course_lesson_ids(course_id=e.course_id) for e in enrollments}
    quizzes = set(Lesson.objects.filter(kind=LessonKind.QUIZ).values_list("id", flat=True))
    done = defaultdict(list)
    for enrollment_id, lesson_id in LessonCompletion.objects.filter(
        enrollment__in=enrollments
    ).values_list("enrollment_id", "lesson_id"):
        done[enrollment_id].append(lesson_id)
    passed = set(
        QuizAttempt.objects.filter(enrollment__in=enrollments, passed=True).values_list(
            "enrollment_id", "lesson_id"
        )
    )
    certificates = {
        c.enrollment_id: c for c in Certificate.objects.filter(enrollment__in=enrollments)
    }
    states = Counter()
    for e in enrollments:
        learner = learners[e.user_id]
        unit = learner.workplace_unit or learner.home_unit
        assert (e.unit_id, e.unit_path, e.audience_group, e.is_active) == (
            unit.pk,
            unit.path,
            learner.audience_group,
            True,
        )
        ordered = lessons[e.course_id]
        completed = done[e.pk]
        assert sorted(completed, key=ordered.index) == ordered[: len(completed)]  # a prefix
        assert e.completed_lessons == len(completed)
        assert e.progress_percent == 100 * len(completed) // len(ordered)
        assert (e.started_at is None) == (not completed)
        assert e.enrolled_at <= (e.started_at or e.enrolled_at)
        assert learner.date_joined <= e.enrolled_at
        for lesson_id in completed:
            assert lesson_id not in quizzes or (e.pk, lesson_id) in passed
        if len(completed) == len(ordered):
            states["completed"] += 1
            assert e.completed_at is not None and e.certified
            assert e.last_lesson_id == ordered[-1]
            certificate = certificates[e.pk]
            assert certificate.full_name == learner.full_name
            assert certificate.course_title == e.course.title
            assert certificate.issued_at == e.completed_at
        else:
            states["part-way" if completed else "not started"] += 1
            assert e.completed_at is None and not e.certified and e.pk not in certificates
            if completed:
                following = ordered[len(completed)]
                assert e.last_lesson_id in (ordered[len(completed) - 1], following)
            else:
                assert e.last_lesson_id is None
    total = sum(states.values())
    assert 0.10 < states["not started"] / total < 0.32
    assert 0.33 < states["part-way"] / total < 0.57
    assert 0.23 < states["completed"] / total < 0.47
    assert len(certificates) == states["completed"]
    assert not StaleCell.objects.exists()  # a full rebuild follows a load


def test_a_second_run_with_the_same_seed_replaces_the_data_set(units):
    call_command("generate_load", "--learners", "300", "--seed", "7")
    first = fingerprint()
    counts = [
        m.objects.count() for m in (User, Enrollment, LessonCompletion, QuizAttempt, Certificate)
    ]
    call_command("generate_load", "--learners", "300", "--seed", "7")
    assert fingerprint() == first
    assert [
        m.objects.count() for m in (User, Enrollment, LessonCompletion, QuizAttempt, Certificate)
    ] == counts
    call_command("generate_load", "--learners", "300", "--seed", "8")
    assert fingerprint()[1] != first[1]
    assert generated_learners().count() == 300


def test_bulk_create_path_writes_the_same_rows_as_copy(units, monkeypatch):
    load_generate(learners=60, seed=3, batch=25)
    copied = fingerprint()
    monkeypatch.setattr(RowWriter, "use_copy", False)
    load_generate(learners=60, seed=3, batch=25)
    assert fingerprint() == copied


def test_removal_refuses_to_delete_an_organisation_a_real_learner_works_at(units):
    load_generate(learners=20, seed=1)
    real = User.objects.create_user(
        email="nhan.vien@example.com",
        full_name="Trần Văn Nam",
        home_unit=Unit.objects.get(code="11560"),
        workplace_unit=Unit.objects.get(code="31-AG-001"),
    )
    with pytest.raises(CommandError, match="still refer"):
        call_command("generate_load", "--learners", "10")
    assert generated_learners().count() == 20  # rolled back: nothing half-removed
    real.refresh_from_db()
    assert real.workplace_unit.code == "31-AG-001"
