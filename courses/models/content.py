"""What a course holds: the course, its modules, lessons, quiz questions and choices."""

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import AudienceGroup


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
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="modules"
    )
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
    module = models.ForeignKey(
        Module, verbose_name=_("module"), on_delete=models.CASCADE, related_name="lessons"
    )
    # Denormalised from the module so a course's lessons come back in one query.
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="lessons"
    )
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
    lesson = models.ForeignKey(
        Lesson, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="questions"
    )
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
