"""What a course archive holds: course.json in a versioned schema, with the fields of each level,
plus the media it references under media/; and how a place in it is named in a message."""

from django.utils.translation import gettext as _

SCHEMA = "binhdan-hocvu-so/course"
SCHEMA_VERSION = 1
MANIFEST = "course.json"
MEDIA_DIR = "media/"

COURSE_FIELDS = [
    "title",
    "slug",
    "summary",
    "description",
    "cover_alt",
    "competency_area",
    "level",
    "estimated_minutes",
    "sequential",
]
LESSON_FIELDS = [
    "title",
    "kind",
    "position",
    "estimated_minutes",
    "body",
    "video_url",
    "transcript",
    "pass_mark",
    "max_attempts",
    "shuffle",
]
LESSON_FILES = ["video_file", "attachment"]
QUESTION_FIELDS = ["text", "kind", "explanation", "position"]
CHOICE_FIELDS = ["text", "is_correct", "position"]


def listed(data: dict, key: str) -> list:
    """The list under `key`, or an empty one whatever else stands there."""
    value = data.get(key)
    return value if isinstance(value, list) else []


def module_place(number: int) -> str:
    return _("Module %(number)d") % {"number": number}


def lesson_place(module: str, number: int) -> str:
    return _("%(module)s, lesson %(number)d") % {"module": module, "number": number}


def question_place(lesson: str, number: int) -> str:
    return _("%(lesson)s, question %(number)d") % {"lesson": lesson, "number": number}


def choice_place(question: str, number: int) -> str:
    return _("%(question)s, choice %(number)d") % {"question": question, "number": number}
