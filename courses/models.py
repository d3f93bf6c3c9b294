import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AudienceGroup

# Each statistics cell (unit, course, audience group) is counted in this many parts, by learner:
# a change recounts only its part, a sixteenth of the cell's enrolments.
STATS_SHARDS = 16


# Uploads are stored under a random folder: a draft's files cannot be found by guessing their
# names, whoever serves /media/.
def _random_folder(folder: str, filename: str) -> str:
    return f"{folder}/{secrets.token_urlsafe(12)}/{filename}"


def cover_upload_to(instance, filename: str) -> str:
    return _random_folder("courses/covers", filename)


def video_upload_to(instance, filename: str) -> str:
    return _random_folder("courses/videos", filename)


def attachment_upload_to(instance, filename: str) -> str:
    return _random_folder("courses/attachments", filename)


class CompetencyArea(models.TextChoices):
    DATA = "data", _("Finding and evaluating data and information")
    COMMUNICATION = "communication", _("Communicating and collaborating digitally")
    CONTENT = "content", _("Creating digital content")
    SAFETY = "safety", _("Safety")
    PROBLEM_SOLVING = "problem_solving", _("Problem solving")
    AI = "ai", _("Applying artificial intelligence")


class Level(models.TextChoices):
    BASIC = "basic", _("Basic")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class CourseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Course(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    summary = models.CharField(_("summary"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    cover_image = models.ImageField(_("cover image"), upload_to=cover_upload_to, blank=True)
    cover_alt = models.CharField(_("cover image description"), max_length=200, blank=True)
    competency_area = models.CharField(
        _("competency area"), max_length=20, choices=CompetencyArea.choices
    )
    # Comma-delimited audience group codes (",citizen,official,"): one column, portable lookups.
    audiences = models.CharField(_("audience groups"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, default=Level.BASIC)
    estimated_minutes = models.PositiveIntegerField(_("estimated minutes"), default=30)
    status = models.CharField(
        _("status"), max_length=20, choices=CourseStatus.choices, default=CourseStatus.DRAFT
    )
    owner_unit = models.ForeignKey(
        "units.Unit",
        verbose_name=_("owning unit"),
        on_delete=models.PROTECT,
        related_name="courses",
    )
    sequential = models.BooleanField(_("lessons unlock in order"), default=True)
    featured = models.BooleanField(_("featured on the home page"), default=False)
    search_text = models.TextField(editable=False, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-featured", "title"]
        indexes = [
            models.Index(fields=["status", "competency_area"], name="course_status_area_idx")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audience_list(self) -> list[str]:
        return [code for code in self.audiences.split(",") if code]

    def audience_labels(self) -> list[str]:
        labels = dict(AudienceGroup.choices)
        return [str(labels[code]) for code in self.audience_list if code in labels]

    @property
    def is_published(self) -> bool:
        return self.status == CourseStatus.PUBLISHED


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["course", "position", "id"]

    def __str__(self) -> str:
        return self.title


class LessonKind(models.TextChoices):
    READING = "reading", _("Reading")
    VIDEO = "video", _("Video")
    ATTACHMENT = "attachment", _("Attachment")
    QUIZ = "quiz", _("Quiz")


class Lesson(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    # Denormalised from the module so a course's lessons come back in one query.
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=LessonKind.choices)
    position = models.PositiveIntegerField(_("position"), default=0)
    estimated_minutes = models.PositiveIntegerField(_("estimated minutes"), default=5)
    body = models.TextField(_("text"), blank=True, help_text=_("Sanitised HTML."))
    video_file = models.FileField(_("video file"), upload_to=video_upload_to, blank=True)
    video_url = models.URLField(_("video embed address"), blank=True)
    transcript = models.TextField(_("transcript"), blank=True)
    attachment = models.FileField(_("attachment"), upload_to=attachment_upload_to, blank=True)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempt limit"), default=3, help_text=_("0 means unlimited.")
    )
    shuffle = models.BooleanField(_("shuffle questions and choices"), default=False)

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["module__position", "position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_quiz(self) -> bool:
        return self.kind == LessonKind.QUIZ


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")


class Question(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField(_("question"))
    kind = models.CharField(
        _("kind"), max_length=20, choices=QuestionKind.choices, default=QuestionKind.SINGLE
    )
    explanation = models.TextField(_("explanation"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["lesson", "position", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(_("choice"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["question", "position", "id"]

    def __str__(self) -> str:
        return self.text


class Enrollment(models.Model):
    """A learner in a course. Never deleted by the learner: leaving keeps the progress."""

    # Learning data is never deleted with its course or learner: a course is archived, a learner
    # who asks to be forgotten is anonymised (accounts.services.user_erase).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    is_active = models.BooleanField(_("active"), default=True)
    # What the reports group by, copied from the learner so aggregation joins nothing.
    unit = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="enrollments", null=True
    )
    unit_path = models.CharField(max_length=255, blank=True)
    audience_group = models.CharField(max_length=20, blank=True)
    progress_percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    completed_lessons = models.PositiveIntegerField(default=0)
    last_lesson = models.ForeignKey(
        Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # The local calendar day of `completed_at`, kept with it by save(): the trend lines count
    # completions per day from this column and its index, with no date arithmetic per row.
    completed_day = models.DateField(null=True, blank=True, editable=False)
    # The part of its statistics cell the enrolment is counted in: its learner's id modulo
    # STATS_SHARDS, kept by save().
    stats_shard = models.PositiveSmallIntegerField(default=0, editable=False)
    # True while the enrolment holds a valid certificate: reports count it without a join.
    certified = models.BooleanField(_("certified"), default=False)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrollment_unique_learner"),
        ]
        indexes = [
            # The statistics count every cell, and every shard of a cell, from this index
            # alone (an index-only scan on PostgreSQL): the counted columns ride along, left
            # enrolments are not in it.
            models.Index(
                fields=["unit", "course", "audience_group", "stats_shard"],
                include=["started_at", "completed_at", "certified"],
                condition=Q(is_active=True),
                name="enrollment_cell_idx",
            ),
            # Completions per unit and day, for the trend lines.
            models.Index(
                fields=["completed_day", "unit"],
                include=["course"],
                condition=Q(is_active=True, completed_day__isnull=False),
                name="enrollment_day_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.course}"

    def save(self, *args, **kwargs):
        self.stats_shard = stats_shard_of(self.user_id)
        self.completed_day = local_day(self.completed_at)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "completed_at" in update_fields:
            kwargs["update_fields"] = {*update_fields, "completed_day"}
        super().save(*args, **kwargs)

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


class LessonCompletion(models.Model):
    """One per learner and lesson: the fact every figure is recomputed from."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="completions")
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="completions")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "lesson"], name="completion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}:{self.lesson_id}"


class QuizAttempt(models.Model):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="attempts")
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    score_percent = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    answers = models.JSONField(default=dict)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["enrollment", "lesson", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "lesson", "number"], name="attempt_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number}: {self.score_percent}%"


def stats_shard_of(user_id: int) -> int:
    """The part of its statistics cell an enrolment is counted in (see STATS_SHARDS)."""
    return user_id % STATS_SHARDS


def local_day(moment):
    """The calendar day of `moment` in the platform's time zone (Vietnam), or None."""
    return timezone.localdate(moment) if moment is not None else None


def certificate_code() -> str:
    # Unambiguous letters and digits (no 0/O, 1/I): easy to read aloud and type.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    body = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"BDHVS-{body[:4]}-{body[4:]}"


class Certificate(models.Model):
    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.PROTECT, related_name="certificate"
    )
    code = models.CharField(_("code"), max_length=20, unique=True, default=certificate_code)
    # Snapshots: the certificate says what was true when it was issued.
    full_name = models.CharField(_("full name"), max_length=150)
    course_title = models.CharField(_("course"), max_length=200)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revocation"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.code

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None


class Assignment(models.Model):
    """A course required of every learner (present and future) of a unit subtree and group."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey(
        "units.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="assignments"
    )
    audience_group = models.CharField(
        _("audience group"),
        max_length=20,
        choices=AudienceGroup.choices,
        blank=True,
        help_text=_("Empty means every audience group."),
    )
    due_date = models.DateField(_("due date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "unit", "audience_group"], name="assignment_unique_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.course} → {self.unit} ({self.due_date:%d/%m/%Y})"

    def covers(self, *, unit_path: str, audience_group: str) -> bool:
        return unit_path.startswith(self.unit.path) and self.audience_group in ("", audience_group)


class AssignmentReminder(models.Model):
    """One reminder email per learner, assignment and step: a rerun never sends it twice."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "user", "days_before"], name="reminder_once_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}:{self.user_id}:{self.days_before}"


class StaleCell(models.Model):
    """A statistics cell (unit, course, audience group, shard) whose figures must be recomputed.

    Written in the same transaction as the change, so the statistics engine catches up from
    the database even if the broker or the worker was down.
    """

    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    audience_group = models.CharField(max_length=20, blank=True)
    shard = models.PositiveSmallIntegerField(default=0)
    # The local day of the enrolment's completion, if any: the trend line recomputes that day.
    day = models.DateField(null=True, blank=True)
    marked_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.course_id}/{self.audience_group or '*'}"
