"""A content administrator of Hải Phòng authors, publishes and assigns a course in the admin;
a ward's official watches the rate against target move when an assigned learner completes it."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import AudienceGroup, Role
from accounts.services import unit_role_grant
from courses.models import Assignment, Course, CourseStatus, Lesson
from courses.services.roles import roles_setup
from tests.accounts.factories import PASSWORD, UserFactory, totp_enable
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
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

TITLE = "Chuyển đổi số cho cán bộ phường"
SLUG = "chuyen-doi-so-cho-can-bo-phuong"
READINGS = [
    ("Dịch vụ công trực tuyến là gì", "<p>Nộp hồ sơ, theo dõi và nhận kết quả qua mạng.</p>"),
    ("Tài khoản định danh VNeID", "<p>Đăng nhập Cổng dịch vụ công bằng tài khoản VNeID.</p>"),
]
QUIZ = "Bài kiểm tra cuối khóa"
QUESTION = "Có được gửi mã OTP cho người gọi điện tự xưng là cán bộ không?"
RIGHT, WRONG = "Không, không bao giờ", "Có, nếu họ nói đúng họ tên"


@pytest.fixture
def ward(units_tx):
    """Hải Phòng's content administrator, an official of Phường Hồng Bàng and its learners."""
    hai_phong, hong_bang = Unit.objects.get(code="31"), Unit.objects.get(code="11311")
    author = UserFactory(is_staff=True, email="quantri@example.com", full_name="Trần Quản Trị")
    unit_role_grant(user=author, role=Role.CONTENT_ADMIN, unit=hai_phong)
    # The official lives in another ward (the factory's default): not one of these learners.
    official = UserFactory(email="canbo@example.com", full_name="Phạm Cán Bộ")
    unit_role_grant(user=official, role=Role.OFFICIAL, unit=hong_bang)
    totp_enable(author)
    totp_enable(official)
    roles_setup()
    officials = [
        UserFactory(home_unit=hong_bang, audience_group=AudienceGroup.OFFICIAL) for _ in range(3)
    ]
    UserFactory(home_unit=hong_bang, audience_group=AudienceGroup.CITIZEN)  # not assigned
    return {"hai_phong": hai_phong, "hong_bang": hong_bang, "learner": officials[0]}


@pytest.fixture
def production_watermarks(settings):
    """Beat runs while the admin and the learner commit: keep the production safety margin, so
    a change stamped just before a run starts but committed after it is seen by the next run."""
    settings.STATS_WATERMARK_MARGIN_S = 60


@pytest.fixture
def person(browser, live_server):
    """Opens a browser of their own for each person, logged in; closes them all afterwards."""
    contexts = []

    def open_as(email: str, viewport: dict) -> Page:
        context = browser.new_context(viewport=viewport, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        log_in(page, email=email, password=PASSWORD)
        return page

    yield open_as
    for context in contexts:
        context.close()


def autocomplete_pick(page: Page, field_name: str, search: str, option: str) -> None:
    """Open the admin's select2 search box, type and pick the option, as a person does."""
    page.locator(f"select[name={field_name}] + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(search)
    page.locator(".select2-results__option", has_text=option).click()


def back_to_course(page: Page, course: Course) -> None:
    page.locator(f".object-tools a[href='/admin/courses/course/{course.pk}/change/']").click()
    expect(page.locator("#course-outline")).to_be_visible()


def add_lesson(page: Page, *, title: str, kind: str, body: str = "", pass_mark: int = 0) -> Lesson:
    """From the course page: "Add a lesson to this module", fill it in, save and continue."""
    page.locator("#course-outline a.addlink").click()
    expect(page).to_have_url(re.compile(r"/admin/courses/lesson/add/\?module=\d+$"))
    module_id = page.url.rsplit("=", 1)[1]
    expect(page.locator("select[name=module]")).to_have_value(module_id)
    page.fill("input[name=title]", title)
    page.select_option("select[name=kind]", kind)
    if body:
        page.fill("textarea[name=body]", body)
    if pass_mark:
        page.fill("input[name=pass_mark]", str(pass_mark))
    page.locator("input[name=_continue]").click()
    expect(page).to_have_url(re.compile(r"/admin/courses/lesson/\d+/change/"))
    return Lesson.objects.get(title=title)


def against_target(page: Page) -> tuple[str, list[str]]:
    """The "against target" card: its rate, and the numbers of "done of assigned"."""
    card = page.locator(".stat-card:has(.stat-note)")
    if not card.count():
        return "", []
    return (
        card.locator(".stat-value").inner_text().strip(),
        re.findall(r"\d+", card.locator(".stat-note").inner_text()),
    )


def wait_for_target(page: Page, wanted: tuple[str, list[str]], seconds: float = 60) -> None:
    """Beat and the worker recompute the figures every few seconds: reload until they show."""
    wait_until(
        lambda: against_target(page) == wanted,
        timeout=seconds,
        message=lambda: f"the card shows {against_target(page)}, not {wanted}, after {seconds} s",
        interval=1,
        between=page.reload,
    )


def test_author_publishes_and_assigns_and_the_official_sees_the_target_met(
    person, ward, celery_beat, production_watermarks
):
    due = timezone.localdate() + timedelta(days=30)

    # 1. The content administrator writes the course in the admin.
    author = person("quantri@example.com", DESKTOP)
    author.get_by_role("link", name="Quản trị", exact=True).click()
    expect(author).to_have_url(re.compile(r"/admin/$"))
    author.goto("/admin/courses/course/")
    author.locator(".object-tools a.addlink").click()
    expect(author).to_have_url(re.compile(r"/admin/courses/course/add/$"))
    author.fill("input[name=title]", TITLE)  # the slug is left empty: made from the title
    author.fill("input[name=summary]", "Dịch vụ công trực tuyến, VNeID và an toàn cho cán bộ.")
    # The owning unit starts as the author's own: the city.
    expect(author.locator("select[name=owner_unit]")).to_have_value(str(ward["hai_phong"].pk))
    expect(author.locator("select[name=owner_unit] + .select2")).to_contain_text("Hải Phòng")
    author.locator("input[name=audiences][value=official]").check()
    author.select_option("select[name=competency_area]", "communication")
    author.locator("input[name=sequential]").check()
    author.fill("input[name=modules-0-title]", "Chương 1")
    author.locator("input[name=_continue]").click()
    expect(author).to_have_url(re.compile(r"/admin/courses/course/\d+/change/$"))
    expect(author.locator("input[name=slug]")).to_have_value(SLUG)
    course = Course.objects.get(slug=SLUG)
    assert course.title == TITLE
    assert course.owner_unit == ward["hai_phong"]
    assert course.audience_list == ["official"]
    assert course.status == CourseStatus.DRAFT
    assert [m.title for m in course.modules.all()] == ["Chương 1"]

    for title, body in READINGS:
        add_lesson(author, title=title, kind="reading", body=body)
        back_to_course(author, course)
    quiz = add_lesson(author, title=QUIZ, kind="quiz", pass_mark=100)
    author.locator(f"a.button[href='/admin/courses/question/add/?lesson={quiz.pk}']").click()
    expect(author.locator("select[name=lesson]")).to_have_value(str(quiz.pk))
    author.fill("textarea[name=text]", QUESTION)
    author.select_option("select[name=kind]", "single")
    author.fill("input[name=choices-0-text]", RIGHT)
    author.locator("input[name=choices-0-is_correct]").check()
    author.fill("input[name=choices-1-text]", WRONG)
    author.locator("input[name=_continue]").click()
    expect(author).to_have_url(re.compile(r"/admin/courses/question/\d+/change/"))
    back_to_course(author, course)
    outline = author.locator("#course-outline")
    for title in [title for title, _body in READINGS] + [QUIZ]:
        expect(outline.get_by_role("link", name=title)).to_be_visible()
    lessons = course.lessons.order_by("module__position", "position")
    assert list(lessons.values_list("title", "kind")) == [
        *((title, "reading") for title, _body in READINGS),
        (QUIZ, "quiz"),
    ]
    assert quiz.pass_mark == 100
    assert list(quiz.questions.get().choices.values_list("text", "is_correct")) == [
        (RIGHT, True),
        (WRONG, False),
    ]

    # The preview opens in a new tab and shows the course as learners will see it.
    with author.context.expect_page() as preview_info:
        author.locator(f".object-tools a[href='/preview/courses/{course.pk}/']").click()
    preview = preview_info.value
    expect(preview.locator(".preview-banner")).to_be_visible()
    expect(preview.get_by_role("heading", level=1)).to_have_text(TITLE)
    lesson_titles = preview.locator(".lesson-list a")
    expect(lesson_titles).to_have_text([title for title, _body in READINGS] + [QUIZ])
    preview.close()

    author.select_option("select[name=status]", "published")
    author.locator("input[name=_continue]").click()
    expect(author.locator("select[name=status]")).to_have_value("published")
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED and course.published_at is not None
    screenshot(author, "admin-course")

    # 2. …and assigns it to the ward's officials, due in 30 days.
    author.goto("/admin/courses/assignment/")
    author.locator(".object-tools a.addlink").click()
    expect(author).to_have_url(re.compile(r"/admin/courses/assignment/add/$"))
    author.fill("#id_courses_input", "Chuyển đổi số")
    expect(author.locator("#id_courses_from option")).to_have_text([TITLE])
    author.select_option("#id_courses_from", label=TITLE)
    author.locator("#id_courses_add").click()
    expect(author.locator("#id_courses_to option")).to_have_text([TITLE])
    autocomplete_pick(author, "unit", "Hồng Bàng", "Phường Hồng Bàng")
    expect(author.locator("select[name=unit]")).to_have_value(str(ward["hong_bang"].pk))
    author.select_option("select[name=audience_group]", label="Cán bộ, công chức, viên chức")
    author.fill("input[name=due_date]", due.isoformat())
    author.locator("form input[type=submit]").click()
    expect(author).to_have_url(re.compile(r"/admin/courses/assignment/$"))
    expect(author.locator("#result_list tbody tr")).to_have_count(1)
    expect(author.locator("#result_list tbody tr")).to_contain_text("Phường Hồng Bàng")
    screenshot(author, "admin-assignment")
    assignment = Assignment.objects.get()
    assert (assignment.course, assignment.unit) == (course, ward["hong_bang"])
    assert (assignment.audience_group, assignment.due_date) == ("official", due)
    assert assignment.created_by.email == "quantri@example.com"

    # 3. The ward's official sees the target once beat and the worker have counted it.
    official = person("canbo@example.com", PHONE)
    official.goto(f"/reports/units/11311/?course={course.pk}")
    expect(official.get_by_role("heading", level=1)).to_have_text("Phường Hồng Bàng")
    wait_for_target(official, ("0,0%", ["0", "3"]))

    # 4. An assigned learner finds the course at the top of "Học tập của tôi" and completes it.
    learner = person(ward["learner"].email, PHONE)
    learner.get_by_role("link", name="Học tập của tôi").click()
    first_section = learner.locator("main section").first
    expect(first_section).to_have_class(re.compile(r"\brequired-courses\b"))
    required = first_section.locator("article").first
    expect(required.get_by_role("heading", level=3)).to_have_text(TITLE)
    expect(required.locator(".required-meta")).to_contain_text(due.strftime("%d/%m/%Y"))
    required.get_by_role("link", name=TITLE).click()
    learner.get_by_role("button", name="Ghi danh khóa học").click()
    for title, _body in READINGS:
        expect(learner.get_by_role("heading", level=1)).to_have_text(title)
        learner.get_by_role("button", name="Hoàn thành bài học").click()
    expect(learner.get_by_role("heading", level=1)).to_have_text(QUIZ)
    learner.get_by_label(RIGHT).check()
    learner.get_by_role("button", name="Nộp bài").click()
    expect(learner.get_by_text("Chúc mừng! Bạn đã hoàn thành khóa học.")).to_be_visible()

    # 5. The official's rate against target moves to one of three.
    wait_for_target(official, ("33,3%", ["1", "3"]))
    screenshot(official, "report-target")
