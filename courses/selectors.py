"""Reads shaped for the learner's pages, each in a fixed number of queries.

A course's content (its outline, each lesson, each quiz's questions) is read from the cache,
under a version that every change of the content replaces (services.content_cache):
a lesson page costs the user and the learner's enrolment with its completions, two queries.
"""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet
from django.utils.safestring import mark_safe

from accounts.models import User

from .models import (
    Certificate,
    Course,
    CourseStatus,
    Enrollment,
    Lesson,
    LessonCompletion,
    Module,
)
from .rules import lesson_is_locked
from .sanitize import html_sanitize, text_fold


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


CONTENT_TTL_S = 6 * 3600
# Part of every content key: raised when what is cached changes shape, so a deployment never
# reads entries the previous code wrote.
CONTENT_CACHE_FORMAT = 2
# How long a course found by its address is trusted without asking the database; a change of the
# course forgets it at once, this only bounds a lost invalidation.
COURSE_BY_SLUG_TTL_S = 300


def content_version_key(course_id: int) -> str:
    return f"courses:content-version:{course_id}"


def course_by_slug_key(slug: str) -> str:
    return f"courses:published:{CONTENT_CACHE_FORMAT}:{slug}"


def content_version(*, course: Course) -> str:
    """The version of the course's content: carried by a course found by its address (both are
    forgotten together), else read from the cache."""
    version = getattr(course, "content_version", None)
    if version is None:
        version = cache.get(content_version_key(course.pk)) or "0"
    return version


def _content_key(course: Course, *parts) -> str:
    version = content_version(course=course)
    key = ["courses:content", CONTENT_CACHE_FORMAT, course.pk, version, *parts]
    return ":".join(map(str, key))


def _cached(key: str, read):
    value = cache.get(key)
    if value is None:
        value = read()
        cache.set(key, value, CONTENT_TTL_S)
    return value


def published_course(*, slug: str) -> Course | None:
    def read():
        course = (
            Course.objects.filter(slug=slug, status=CourseStatus.PUBLISHED)
            .select_related("owner_unit")
            .first()
        )
        if course is None:
            return False  # a miss is remembered too, so unknown addresses cost one query
        course.content_version = content_version(course=course)
        return course

    key = course_by_slug_key(slug)
    course = cache.get(key)
    if course is None:
        course = read()
        cache.set(key, course, COURSE_BY_SLUG_TTL_S)
    return course or None


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


def course_lesson_ids(*, course_id: int) -> list[int]:
    """The course's lessons in learning order, from the database (for the writes)."""
    return list(
        Lesson.objects.filter(course_id=course_id)
        .order_by("module__position", "module_id", "position", "id")
        .values_list("id", flat=True)
    )


def course_lessons(*, course: Course) -> list[Lesson]:
    """The course's lessons in learning order, with their modules, without their content."""

    def read():
        return list(
            Lesson.objects.filter(course_id=course.pk)
            .select_related("module")
            .defer("body", "transcript")
            .order_by("module__position", "module_id", "position", "id")
        )

    return _cached(_content_key(course, "lessons"), read)


# The learner's state on every course and lesson page: one statement, written once (building it
# with the ORM on each request cost more than running it). The completed lessons come as one
# list (PostgreSQL) or one comma-separated text (SQLite).
_STATE_SQL = {
    "postgresql": (
        "SELECT e.*, ARRAY(SELECT c.lesson_id FROM {completions} c WHERE c.enrollment_id = e.id)"
        " AS completed_list FROM {enrollments} e WHERE e.user_id = %s AND e.course_id = %s"
    ),
    "sqlite": (
        "SELECT e.*, (SELECT group_concat(c.lesson_id) FROM {completions} c"
        " WHERE c.enrollment_id = e.id) AS completed_list"
        " FROM {enrollments} e WHERE e.user_id = %s AND e.course_id = %s"
    ),
}


def learner_enrollment(*, course: Course, user: User) -> tuple[Enrollment | None, set[int]]:
    """The learner's enrolment and the lessons they completed, in one query."""
    sql = _STATE_SQL[connection.vendor].format(
        enrollments=Enrollment._meta.db_table, completions=LessonCompletion._meta.db_table
    )
    enrollment = next(iter(Enrollment.objects.raw(sql, [user.pk, course.pk])), None)
    if enrollment is None:
        return None, set()
    completed = enrollment.completed_list or []
    if isinstance(completed, str):
        completed = completed.split(",")
    return enrollment, {int(lesson_id) for lesson_id in completed}


def course_outline(*, course: Course, user: User | None) -> CourseOutline:
    """Modules, lessons and the learner's state: the content from the cache, the learner's
    state in one query, whatever the course's size."""
    lessons = course_lessons(course=course)
    enrollment = None
    completed_ids: set[int] = set()
    certificate = None
    if user is not None and user.is_authenticated:
        enrollment, completed_ids = learner_enrollment(course=course, user=user)
        if enrollment is not None and enrollment.completed_at is not None:
            certificate = Certificate.objects.filter(enrollment=enrollment).first()
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
    def read():
        lesson = Lesson.objects.filter(course_id=course.pk, pk=lesson_id).first()
        if lesson is None:
            return False
        # Cleaned when saved, cleaned again for showing: once per version of the content.
        lesson.body_html = mark_safe(html_sanitize(lesson.body))  # noqa: S308 - nh3 output
        return lesson

    lesson = _cached(_content_key(course, "lesson", lesson_id), read) or None
    if lesson is not None:
        lesson.course = course  # already loaded: saves a query in every service call
    return lesson


def quiz_questions(*, lesson: Lesson) -> list:
    def read():
        return list(lesson.questions.prefetch_related("choices"))

    return _cached(_content_key(lesson.course, "questions", lesson.pk), read)


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
