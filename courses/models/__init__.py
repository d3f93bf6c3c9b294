"""The courses app's models, one module per subject; every name is importable from here, as
migrations and the other apps import it (`courses.models.cover_upload_to`, …)."""

from .assignments import Assignment, AssignmentReminder
from .content import (
    Choice,
    CompetencyArea,
    Course,
    CourseStatus,
    Lesson,
    LessonKind,
    Level,
    Module,
    Question,
    QuestionKind,
    attachment_upload_to,
    cover_upload_to,
    video_upload_to,
)
from .learning import (
    STATS_SHARDS,
    Certificate,
    Enrollment,
    LessonCompletion,
    QuizAttempt,
    StaleCell,
    certificate_code,
    local_day,
    stats_shard_of,
)

__all__ = [
    "STATS_SHARDS",
    "Assignment",
    "AssignmentReminder",
    "Certificate",
    "Choice",
    "CompetencyArea",
    "Course",
    "CourseStatus",
    "Enrollment",
    "Lesson",
    "LessonCompletion",
    "LessonKind",
    "Level",
    "Module",
    "Question",
    "QuestionKind",
    "QuizAttempt",
    "StaleCell",
    "attachment_upload_to",
    "certificate_code",
    "cover_upload_to",
    "local_day",
    "stats_shard_of",
    "video_upload_to",
]
