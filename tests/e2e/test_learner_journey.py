import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from courses.demo import demo_curriculum_load
from courses.models import Course, Lesson
from tests.e2e.conftest import screenshot
from tests.e2e.journeys import sign_up_and_log_in

pytestmark = [pytest.mark.e2e]

FULL_NAME = "Nguyễn Thị Hồng Nhung"


@pytest.fixture
def curriculum(units_tx):
    demo_curriculum_load()


def _answer_quiz(page, lesson: Lesson, *, correctly: bool) -> None:
    for question in lesson.questions.all():
        choices = list(question.choices.all())
        wanted = [c for c in choices if c.is_correct == correctly] or choices[:1]
        if question.kind == "single":
            wanted = wanted[:1]
        for choice in wanted:
            page.locator(f"input[name=q_{question.pk}][value='{choice.pk}']").check()
    page.get_by_role("button", name="Nộp bài").click()


def test_learner_goes_from_search_to_verified_certificate(page, curriculum):
    sign_up_and_log_in(
        page, full_name=FULL_NAME, email="nhung@example.com", password="Hoc-so-2025!"
    )

    page.get_by_role("navigation").get_by_role("link", name="Khóa học").click()
    page.get_by_label("Tìm kiếm").fill("an toan lua dao")
    page.get_by_role("button", name="Tìm").click()
    expect(page.locator(".course-card")).to_have_count(1)
    screenshot(page, "catalogue")
    page.get_by_role("link", name="An toàn trên không gian mạng và nhận diện lừa đảo").click()

    course = Course.objects.get(slug="an-toan-truc-tuyen")
    lessons = list(course.lessons.order_by("module__position", "position"))
    # A locked lesson refuses to open before the learner is even enrolled or has progressed.
    page.get_by_role("button", name="Ghi danh khóa học").click()
    page.goto(f"/courses/{course.slug}/lessons/{lessons[1].pk}/")
    expect(page.get_by_role("alert")).to_contain_text("Bài học này đang bị khóa")

    page.goto(f"/courses/{course.slug}/")
    page.get_by_role("link", name="Bắt đầu học").click()
    for index, lesson in enumerate(lessons[:-1]):
        expect(page.get_by_role("heading", level=1)).to_have_text(lesson.title)
        if index == 0:
            screenshot(page, "lesson")
        page.get_by_role("button", name="Hoàn thành bài học").click()

    quiz = lessons[-1]
    expect(page.get_by_role("heading", level=1)).to_have_text(quiz.title)
    _answer_quiz(page, quiz, correctly=False)
    expect(page.locator("#quiz-result")).to_contain_text("chưa đạt")
    _answer_quiz(page, quiz, correctly=True)
    expect(page.get_by_text("Chúc mừng! Bạn đã hoàn thành khóa học.")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải chứng nhận (PDF)").click()
    pdf = PdfReader(io.BytesIO(open(download_info.value.path(), "rb").read()))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert FULL_NAME in text
    verify_url = re.search(r"https?://\S+/verify/[A-Z0-9-]+", text).group(0)

    page.get_by_role("button", name="Đăng xuất").click()
    page.goto(verify_url)
    expect(page.get_by_text(FULL_NAME)).to_be_visible()
    expect(page.get_by_text("Hợp lệ", exact=True)).to_be_visible()
    screenshot(page, "certificate-verify")
