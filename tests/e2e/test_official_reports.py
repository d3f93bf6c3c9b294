import io

import openpyxl
import pytest
from django.db import connection
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import unit_role_grant
from courses import services
from courses.demo import demo_curriculum_load
from courses.models import Course
from tests.accounts.factories import PASSWORD, UserFactory, totp_enable
from tests.courses.factories import quiz_answers
from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.journeys import log_in
from tests.waiting import wait_until
from units.models import Unit

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.celery,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only: celery beat runs in a process of its own, and the SQLite test "
        "database lives in the memory of the test process",
    ),
]


def number(text: str) -> int:
    return int(text.replace(".", "").replace(",", "").strip() or 0)


def completed_on_page(page) -> int:
    return number(page.locator(".stat-card").nth(2).locator(".stat-value").inner_text())


@pytest.fixture
def city(units_tx):
    demo_curriculum_load()
    safety = Course.objects.get(slug="an-toan-truc-tuyen")
    devices = Course.objects.get(slug="thiet-bi-va-internet")
    lessons = list(safety.lessons.order_by("module__position", "position"))
    for i, code in enumerate(["11311", "11311", "11560", "11560", "10510"]):
        learner = UserFactory(home_unit=Unit.objects.get(code=code))
        services.enrollment_create(user=learner, course=devices)
        services.enrollment_create(user=learner, course=safety)
        for lesson in lessons[: i % 4]:
            services.lesson_complete(user=learner, lesson=lesson)
    finisher = UserFactory(
        full_name="Lê Văn Học", email="hoc@example.com", home_unit=Unit.objects.get(code="11311")
    )
    services.enrollment_create(user=finisher, course=safety)
    for lesson in lessons[:-1]:
        services.lesson_complete(user=finisher, lesson=lesson)
    official = UserFactory(email="canbo@example.com", audience_group="official")
    unit_role_grant(user=official, role=Role.OFFICIAL, unit=Unit.objects.get(code="31"))
    totp_enable(official)
    return {"quiz": lessons[-1], "course": safety}


def test_official_drills_down_exports_and_sees_a_completion_arrive(
    browser, live_server, city, celery_beat
):
    official_context = browser.new_context(viewport=PHONE, base_url=live_server.url)
    official = official_context.new_page()
    official.set_default_timeout(20_000)
    log_in(official, email="canbo@example.com", password=PASSWORD)
    official.goto("/reports/")
    expect(official.get_by_role("heading", level=1)).to_have_text("Thành phố Hải Phòng")
    # Beat's first run builds the figures within seconds: wait for the registered learners.
    wait_until(
        lambda: number(official.locator(".stat-card").first.locator(".stat-value").inner_text()),
        timeout=60,
        message="beat's first statistics run did not show in 60 s",
        interval=1,
        between=official.reload,
    )
    screenshot(official, "report-city")

    official.locator("table.report-table-ranking").get_by_role(
        "link", name="Phường Hồng Bàng"
    ).click()
    expect(official.get_by_role("heading", level=1)).to_have_text("Phường Hồng Bàng")
    before = completed_on_page(official)

    official.goto("/reports/units/31/")
    page_rows = {}
    for row in official.locator("table.report-table-ranking tbody tr").all():
        cells = row.locator("td, th").all_inner_texts()
        page_rows[cells[1].split("\n")[0].strip()] = [number(c) for c in cells[2:6]]
    official.locator("input[name=file_format][value=xlsx]").check()
    official.locator("form.export-form button[type=submit]").click()
    download_link = official.locator("main a[href$='/download']").first
    wait_until(
        download_link.count,
        timeout=30,
        message="the worker did not build the export in 30 s",
        interval=1,
        between=official.reload,
    )
    with official.expect_download() as info:
        download_link.click()
    sheet = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read())).active
    rows = list(sheet.iter_rows(values_only=True))
    name_col, first_count = 0, 3  # unit, code, rank, then learners, enrolled, started, completed
    file_rows = {
        str(r[name_col]): [int(v or 0) for v in r[first_count : first_count + 4]]
        for r in rows[1:]
        if r[name_col] and str(r[name_col]) in page_rows
    }
    assert file_rows and len(file_rows) == len(page_rows)
    assert file_rows == page_rows

    # Meanwhile a learner in another browser finishes the course.
    learner_context = browser.new_context(viewport=PHONE, base_url=live_server.url)
    learner = learner_context.new_page()
    learner.set_default_timeout(20_000)
    log_in(learner, email="hoc@example.com", password=PASSWORD)
    quiz = city["quiz"]
    learner.goto(f"/courses/{city['course'].slug}/lessons/{quiz.pk}/")
    for question_id, choices in quiz_answers(quiz).items():
        for choice in choices:
            learner.locator(f"input[name=q_{question_id}][value='{choice}']").check()
    learner.locator("form.quiz-form button[type=submit]").click()
    expect(learner.get_by_text("Chúc mừng! Bạn đã hoàn thành khóa học.")).to_be_visible()

    official.goto("/reports/units/11311/")
    wait_until(
        lambda: completed_on_page(official) == before + 1,
        timeout=60,
        message=lambda: (
            f"completed shows {completed_on_page(official)}, not {before + 1}, "
            "60 s after the learner finished"
        ),
        interval=2,
        between=official.reload,
    )
    screenshot(official, "report-commune")
    official_context.close()
    learner_context.close()
