from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    ROLE_GRANTED = "role_granted", _("Role granted")
    ROLE_REMOVED = "role_removed", _("Role removed")
    ACCOUNT_RIGHTS_CHANGED = "account_rights_changed", _("Staff or superuser rights changed")
    COURSE_STATUS_CHANGED = "course_status_changed", _("Course status changed")
    CERTIFICATE_REVOKED = "certificate_revoked", _("Certificate revoked")
    LEARNERS_IMPORTED = "learners_imported", _("Learners imported")
    QUIZ_ROUND_GRANTED = "quiz_round_granted", _("Quiz attempts granted")
    EXPORT_DOWNLOADED = "export_downloaded", _("Export downloaded")
    ACCOUNT_ERASED = "account_erased", _("Personal data erased")


class AuditEvent(models.Model):
    """Who did what to whom, written in the same transaction as the change. Never edited."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as written: the record outlives a renamed or deleted account.
    actor_email = models.CharField(_("by (email)"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices)
    target_type = models.CharField(_("object type"), max_length=100, blank=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_repr = models.CharField(_("object"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["action", "-at"], name="audit_action_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {self.target_repr}"
