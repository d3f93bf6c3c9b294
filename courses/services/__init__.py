"""Every write of the courses app, one module per subject:

- `learning`: enrol, leave, complete a lesson, submit a quiz, progress derived again;
- `certificates`: revoke, anonymise an erased learner's;
- `authoring`: publishing rules, status workflow, lessons, copies, the catalogue's search text;
- `assignments`: assign, reschedule, delete;
- `reminders`: deadline emails for assigned courses;
- `roles`: the role groups and their permissions;
- `content_cache`: the learner pages' cached content forgotten on change;
- `stale_cells`: the hand-off to the statistics engine;
- `transfer`: course export and import as a .zip.

The names below are the ones other apps, the load tools and the tests call as
`courses.services.<name>`; `course_lesson_ids` is a read, kept here for them from
courses.selectors.
"""

from ..selectors import course_lesson_ids
from .assignments import (
    assignment_create,
    assignment_delete,
    assignment_reschedule,
    assignments_create,
    assignments_delete,
)
from .authoring import course_search_text_refresh
from .certificates import certificate_revoke
from .learning import (
    QuizResult,
    course_progress_refresh,
    enrollment_create,
    enrollment_leave,
    lesson_complete,
    quiz_score,
    quiz_submit,
)
from .stale_cells import stale_cell_mark

__all__ = [
    "QuizResult",
    "assignment_create",
    "assignment_delete",
    "assignment_reschedule",
    "assignments_create",
    "assignments_delete",
    "certificate_revoke",
    "course_lesson_ids",
    "course_progress_refresh",
    "course_search_text_refresh",
    "enrollment_create",
    "enrollment_leave",
    "lesson_complete",
    "quiz_score",
    "quiz_submit",
    "stale_cell_mark",
]
