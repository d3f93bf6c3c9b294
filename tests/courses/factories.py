"""Courses as authors build them, their content administrators, and learners' progress."""

from accounts.models import Role, UnitRole, User
from courses import services
from courses.models import (
    Certificate,
    Choice,
    CompetencyArea,
    Course,
    CourseStatus,
    Lesson,
    LessonKind,
    Module,
    Question,
)
from courses.services import course_search_text_refresh
from courses.services.roles import roles_setup
from tests.accounts.factories import UserFactory
from units.models import Unit

CERTIFICATE_COURSE_TITLE = "An toàn trên không gian mạng"


def course_build(
    *,
    title: str = "Kỹ năng số cơ bản",
    slug: str | None = None,
    modules: int = 2,
    lessons_per_module: int = 2,
    quiz: bool = True,
    sequential: bool = True,
    max_attempts: int = 3,
    status: str = "published",
) -> Course:
    """A published course of reading lessons, ending with a two-question quiz."""
    from django.utils.text import slugify

    course = Course.objects.create(
        title=title,
        slug=slug or slugify(title.replace("đ", "d").replace("Đ", "D")) or "khoa-hoc",
        summary="Tóm tắt khóa học.",
        competency_area="safety",
        audiences=",citizen,official,",
        status=status,
        owner_unit=Unit.objects.get(code="VN"),
        sequential=sequential,
    )
    module = None
    for m in range(1, modules + 1):
        module = Module.objects.create(course=course, title=f"Chương {m}", position=m)
        for n in range(1, lessons_per_module + 1):
            Lesson.objects.create(
                module=module,
                course=course,
                title=f"Bài {m}.{n}",
                kind="reading",
                position=n,
                body=f"<p>Nội dung bài {m}.{n}</p>",
            )
    if quiz:
        lesson = Lesson.objects.create(
            module=module,
            course=course,
            title="Bài kiểm tra",
            kind="quiz",
            position=lessons_per_module + 1,
            pass_mark=100,
            max_attempts=max_attempts,
        )
        single = Question.objects.create(
            lesson=lesson, text="Mã OTP có được chia sẻ không?", position=1
        )
        Choice.objects.create(question=single, text="Không bao giờ", is_correct=True, position=1)
        Choice.objects.create(question=single, text="Có, nếu là ngân hàng gọi", position=2)
        multiple = Question.objects.create(
            lesson=lesson,
            text="Chọn các mật khẩu mạnh",
            kind="multiple",
            position=2,
            explanation="Mật khẩu mạnh dài và khó đoán.",
        )
        Choice.objects.create(
            question=multiple, text="Hoa-Sen-Ban-Mai-2025!", is_correct=True, position=1
        )
        Choice.objects.create(question=multiple, text="123456", position=2)
        Choice.objects.create(
            question=multiple, text="Xe-dap-do#Ha-Long", is_correct=True, position=3
        )
    course_search_text_refresh(course=course)
    return course


def course_owned(unit, *, title: str, slug: str, status: str = "published", **kwargs) -> Course:
    """`course_build`'s course, owned by `unit` rather than the nation."""
    course = course_build(title=title, slug=slug, status=status, **kwargs)
    Course.objects.filter(pk=course.pk).update(owner_unit=unit)
    course.refresh_from_db()
    return course


def course_create(
    *, title: str = CERTIFICATE_COURSE_TITLE, slug: str = "an-toan-khong-gian-mang"
) -> Course:
    """A published course of Hải Phòng: one chapter of two reading lessons, no quiz."""
    course = Course.objects.create(
        title=title,
        slug=slug,
        summary="Nhận biết lừa đảo trực tuyến.",
        competency_area=CompetencyArea.SAFETY,
        status=CourseStatus.PUBLISHED,
        owner_unit=Unit.objects.get(code="31"),
    )
    module = Module.objects.create(course=course, title="Chương 1", position=1)
    for position, lesson_title in enumerate(["Nhận biết lừa đảo", "Mật khẩu mạnh"], start=1):
        Lesson.objects.create(
            module=module,
            course=course,
            title=lesson_title,
            kind=LessonKind.READING,
            position=position,
        )
    return course


def quiz_answers(lesson, *, correct: bool = True) -> dict[int, set[int]]:
    """The answers a learner ticks: every question right (or every one wrong)."""
    answers = {}
    for question in lesson.questions.all():
        choices = [c.pk for c in question.choices.all() if c.is_correct == correct]
        answers[question.pk] = set(choices[:1] if question.kind == "single" else choices)
    return answers


def certificate_earn(*, user, course: Course) -> Certificate:
    """Enrol and complete every lesson: the certificate comes from the real code path."""
    services.enrollment_create(user=user, course=course)
    for lesson in course.lessons.order_by("position"):
        services.lesson_complete(user=user, lesson=lesson)
    return Certificate.objects.get(enrollment__user=user, enrollment__course=course)


def author_create(*, unit, email: str) -> User:
    """A staff user with a content-administrator role at `unit`, set up as `setup_roles` does."""
    user = UserFactory(email=email, is_staff=True, audience_group="official")
    UnitRole.objects.create(user=user, role=Role.CONTENT_ADMIN, unit=unit)
    roles_setup()
    return User.objects.get(pk=user.pk)
