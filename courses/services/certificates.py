"""Certificates once issued (issuing is part of completing a course, in services.learning):
revoked by an administrator, anonymised when their learner is erased. The printable PDF is
drawn in courses.certificate_pdf."""

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from accounts.models import User
from accounts.services import ERASED_NAME
from accounts.signals import user_erased
from audit.models import AuditAction
from audit.services import audit_record

from ..models import Certificate
from .stale_cells import stale_cell_mark


@transaction.atomic
def certificate_revoke(
    *, certificate: Certificate, reason: str, actor: User | None = None, request=None
) -> Certificate:
    if certificate.revoked_at is None:
        certificate.revoked_at = timezone.now()
        certificate.revoked_reason = reason
        certificate.save(update_fields=["revoked_at", "revoked_reason"])
        enrollment = certificate.enrollment
        enrollment.certified = False
        enrollment.save(update_fields=["certified", "updated_at"])
        stale_cell_mark(enrollment=enrollment)
        audit_record(
            actor=actor,
            action=AuditAction.CERTIFICATE_REVOKED,
            target=certificate,
            target_repr=f"{certificate.code} — {certificate.full_name}",
            details={"reason": reason, "course": certificate.course_title},
            request=request,
        )
    return certificate


@receiver(user_erased, dispatch_uid="courses.certificates_anonymise")
def _certificates_anonymise(sender, user, **kwargs) -> None:
    """An erased learner's certificates still verify, under no name."""
    Certificate.objects.filter(enrollment__user=user).update(full_name=ERASED_NAME)
