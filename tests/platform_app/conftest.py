"""One object of every model the admin registers, and the admin walked once per role and
language."""

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import timezone

from tests.accounts.factories import UserFactory, totp_enable
from tests.courses.factories import author_create, course_build
from tests.platform_app.admin_walk import Walk, walk_admin
from units.services import unit_create


def model(label: str):
    return apps.get_model(label)


@pytest.fixture
def admin_world(db):
    """A small tree; a learner with an enrolment, a certificate and an assignment; a national
    content administrator; a superuser with an authenticator; and a row of every other model
    the admin registers."""
    nation = unit_create(code="VN", name="Việt Nam", kind="nation", parent=None)
    city = unit_create(code="31", name="Thành phố Hải Phòng", kind="city", parent=nation)
    ward = unit_create(code="11560", name="Phường Hồng Bàng", kind="ward", parent=city)
    learner = UserFactory(email="hocvien@example.com", full_name="Nguyễn Thị Hoa", home_unit=ward)
    author = author_create(unit=nation, email="quantri@example.com")
    superuser = UserFactory(
        email="sieuquantri@example.com",
        full_name="Trần Văn Quản",
        is_staff=True,
        is_superuser=True,
        audience_group="official",
    )
    totp_enable(superuser)

    now = timezone.now()
    course = course_build(title="An toàn trên mạng", slug="an-toan-tren-mang")
    enrollment = model("courses.Enrollment").objects.create(
        user=learner,
        course=course,
        unit=ward,
        unit_path=ward.path,
        audience_group="citizen",
        progress_percent=100,
        completed_lessons=course.lessons.count(),
        started_at=now,
        completed_at=now,
        certified=True,
    )
    model("courses.Certificate").objects.create(
        enrollment=enrollment, full_name=learner.full_name, course_title=course.title
    )
    model("courses.Assignment").objects.create(
        course=course, unit=city, due_date=datetime.date(2026, 12, 31), created_by=author
    )
    model("reports.UnitStat").objects.create(
        unit=city, course_key=0, audience_group="*", learners=10, enrolled=8, completed=5
    )
    model("reports.ExportJob").objects.create(requester=superuser, unit=city, file_format="csv")
    model("reports.StatsRun").objects.create(kind="full", finished_at=now)
    model("audit.AuditEvent").objects.create(
        actor=superuser,
        actor_email=superuser.email,
        action="role_granted",
        target_repr=str(author),
        ip_address="127.0.0.1",
    )
    interval = model("django_celery_beat.IntervalSchedule").objects.create(
        every=10, period="minutes"
    )
    model("django_celery_beat.CrontabSchedule").objects.create(minute="15", hour="2")
    model("django_celery_beat.SolarSchedule").objects.create(
        event="sunrise", latitude=20.86, longitude=106.68
    )
    model("django_celery_beat.ClockedSchedule").objects.create(clocked_time=now)
    model("django_celery_beat.PeriodicTask").objects.create(
        name="Cập nhật số liệu", task="reports.stats_incremental", interval=interval
    )
    missing = [
        model_class._meta.label
        for model_class in admin.site._registry
        if not model_class._default_manager.exists()
    ]
    assert not missing, f"give these registered models an object in admin_world: {missing}"
    return {"superuser": superuser, "content_admin": author}


@pytest.fixture
def walks(admin_world):
    cache = {}

    def walked(role: str, language: str | None = None) -> Walk:
        if (role, language) not in cache:
            cache[role, language] = walk_admin(admin_world[role], language=language)
        return cache[role, language]

    return walked
