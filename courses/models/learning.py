"""What a learner does in a course: enrolment, completions, quiz attempts, certificates, and
the stale statistics cells these changes leave for the statistics engine."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .content import Course, Lesson

# Each statistics cell (unit, course, audience group) is counted in this many parts, by learner:
# a change recounts only its part, a sixteenth of the cell's enrolments.
STATS_SHARDS = 16


class Enrollment(models.Model):
    """A learner in a course. Never deleted by the learner: leaving keeps the progress."""

    # Learning data is never deleted with its course or learner: a course is archived, a learner
    # who asks to be forgotten is anonymised (accounts.services.user_erase).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="enrollments"
    )
    is_active = models.BooleanField(_("active"), default=True)
    # What the reports group by, copied from the learner so aggregation joins nothing.
    unit = models.ForeignKey(
        "units.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="enrollments",
        null=True,
    )
    unit_path = models.CharField(_("unit path"), max_length=255, blank=True)
    audience_group = models.CharField(_("audience group"), max_length=20, blank=True)
    progress_percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    completed_lessons = models.PositiveIntegerField(_("completed lessons"), default=0)
    last_lesson = models.ForeignKey(
        Lesson,
        verbose_name=_("last lesson"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
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
        verbose_name = _("lesson completion")
        verbose_name_plural = _("lesson completions")
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
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
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
        Enrollment,
        verbose_name=_("enrolment"),
        on_delete=models.PROTECT,
        related_name="certificate",
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

    class Meta:
        verbose_name = _("stale cell")
        verbose_name_plural = _("stale cells")

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.course_id}/{self.audience_group or '*'}"

