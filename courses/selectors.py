"""Reads shaped for the learner's pages, each in a fixed number of queries."""

from dataclasses import dataclass, field

from django.db.models import QuerySet

from accounts.models import User

from .models import Certificate, Course, CourseStatus, Enrollment, Lesson, LessonCompletion, Module
from .sanitize import text_fold
from .services import lesson_is_locked


def catalogue_courses(
    *, query: str = "", audience: str = "", area: str = "", level: str = ""
) -> QuerySet[Course]:
    courses = Course.objects.filter(status=CourseStatus.PUBLISHED).select_related("owner_unit")
    for word in text_fold(query).split():
        courses = courses.filter(search_text__contains=word)
    if audience:
        courses = courses.filter(audiences__contains=f",{audience},")
    if area:
        courses = courses.filter(competency_area=area)
    if level:
        courses = courses.filter(level=level)
    return courses


def published_course(*, slug: str) -> Course | None:
    return (
        Course.objects.filter(slug=slug, status=CourseStatus.PUBLISHED)
        .select_related("owner_unit")
        .first()
    )


@dataclass
class LessonState:
    lesson: Lesson
    number: int
    completed: bool
    locked: bool


@dataclass
class ModuleOutline:
    module: Module
    lessons: list[LessonState] = field(default_factory=list)


@dataclass
class CourseOutline:
    course: Course
    enrollment: Enrollment | None
    modules: list[ModuleOutline]
    lessons: list[LessonState]
    certificate: Certificate | None

    @property
    def next_lesson(self) -> LessonState | None:
        """Where "continue" leads: the first lesson not yet completed."""
        return next((state for state in self.lessons if not state.completed), None)

    def state_of(self, lesson_id: int) -> LessonState | None:
        return next((s for s in self.lessons if s.lesson.pk == lesson_id), None)

    def neighbours(self, lesson_id: int) -> tuple[LessonState | None, LessonState | None]:
        ids = [s.lesson.pk for s in self.lessons]
        index = ids.index(lesson_id)
        previous = self.lessons[index - 1] if index > 0 else None
        following = self.lessons[index + 1] if index + 1 < len(self.lessons) else None
        return previous, following


def course_outline(*, course: Course, user: User | None) -> CourseOutline:
    """Modules, lessons and the learner's state: four queries whatever the course's size."""
    lessons = list(
        Lesson.objects.filter(course=course)
        .select_related("module")
        .defer("body", "transcript")
        .order_by("module__position", "module_id", "position", "id")
    )
    enrollment = None
    completed_ids: set[int] = set()
    certificate = None
    if user is not None and user.is_authenticated:
        enrollment = (
            Enrollment.objects.filter(user=user, course=course)
            .select_related("certificate")
            .first()
        )
        if enrollment is not None:
            completed_ids = set(
                LessonCompletion.objects.filter(enrollment=enrollment).values_list(
                    "lesson_id", flat=True
                )
            )
            certificate = getattr(enrollment, "certificate", None)
    ordered_ids = [lesson.pk for lesson in lessons]
    states: list[LessonState] = []
    modules: dict[int, ModuleOutline] = {}
    for number, lesson in enumerate(lessons, start=1):
        state = LessonState(
            lesson=lesson,
            number=number,
            completed=lesson.pk in completed_ids,
            locked=lesson_is_locked(
                course=course,
                lesson_id=lesson.pk,
                ordered_ids=ordered_ids,
                completed_ids=completed_ids,
            ),
        )
        states.append(state)
        modules.setdefault(lesson.module_id, ModuleOutline(module=lesson.module)).lessons.append(
            state
        )
    return CourseOutline(
        course=course,
        enrollment=enrollment,
        modules=list(modules.values()),
        lessons=states,
        certificate=certificate,
    )


def lesson_with_content(*, course: Course, lesson_id: int) -> Lesson | None:
    lesson = Lesson.objects.filter(course=course, pk=lesson_id).first()
    if lesson is not None:
        lesson.course = course  # already loaded: saves a query in every service call
    return lesson


def quiz_questions(*, lesson: Lesson) -> list:
    return list(lesson.questions.prefetch_related("choices"))


@dataclass
class LearnerDashboard:
    in_progress: list[Enrollment]
    completed: list[Enrollment]
    certificates: list[Certificate]
    required: list = field(default_factory=list)


def learner_dashboard(*, user: User) -> LearnerDashboard:
    enrollments = list(
        Enrollment.objects.filter(user=user, is_active=True)
        .select_related("course", "last_lesson", "certificate")
        .order_by("-updated_at")
    )
    certificates = list(Certificate.objects.filter(enrollment__user=user).order_by("-issued_at"))
    required = required_courses(user=user)
    required_ids = {item.course.pk for item in required}
    return LearnerDashboard(
        in_progress=[
            e for e in enrollments if e.completed_at is None and e.course_id not in required_ids
        ],
        completed=[e for e in enrollments if e.completed_at is not None],
        certificates=certificates,
        required=required,
    )


def featured_courses(*, limit: int = 6) -> list[Course]:
    return list(
        Course.objects.filter(status=CourseStatus.PUBLISHED, featured=True).order_by("title")[
            :limit
        ]
    )


@dataclass
class RequiredCourse:
    course: Course
    due_date: object
    enrollment: Enrollment | None

    @property
    def is_done(self) -> bool:
        return bool(self.enrollment and self.enrollment.completed_at)

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return not self.is_done and self.due_date < timezone.localdate()


def required_courses(*, user: User) -> list[RequiredCourse]:
    """Courses assigned to the learner's unit (or any unit above it) and audience group:
    two queries, the earliest deadline per course first."""
    from .models import Assignment

    unit = user.workplace_unit or user.home_unit if user.is_authenticated else None
    if unit is None:
        return []
    assignments = (
        Assignment.objects.filter(
            unit__code__in=unit.ancestor_codes(),
            audience_group__in=["", user.audience_group],
            course__status=CourseStatus.PUBLISHED,
        )
        .select_related("course")
        .order_by("due_date")
    )
    earliest: dict[int, RequiredCourse] = {}
    for assignment in assignments:
        earliest.setdefault(
            assignment.course_id, RequiredCourse(assignment.course, assignment.due_date, None)
        )
    enrollments = Enrollment.objects.filter(user=user, course_id__in=earliest, is_active=True)
    for enrollment in enrollments:
        earliest[enrollment.course_id].enrollment = enrollment
    return sorted(earliest.values(), key=lambda r: (r.is_done, r.due_date))
