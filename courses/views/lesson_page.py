"""What every lesson page shows around the lesson, for the learner's and the author's pages."""

from ..models import Course, Lesson
from ..selectors import CourseOutline, LessonState


def lesson_page_context(
    *, course: Course, outline: CourseOutline, lesson: Lesson, state: LessonState
) -> dict:
    previous, following = outline.neighbours(lesson.pk)
    return {
        "course": course,
        "outline": outline,
        "lesson": lesson,
        "state": state,
        "previous": previous,
        "following": following,
    }
