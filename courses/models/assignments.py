"""Courses required of a unit subtree and audience group, and the reminders sent about them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AudienceGroup

from .content import Course


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
        verbose_name=_("assigned by"),
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
        verbose_name = _("assignment reminder")
        verbose_name_plural = _("assignment reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "user", "days_before"], name="reminder_once_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}:{self.user_id}:{self.days_before}"
