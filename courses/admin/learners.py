"""What learners did, read-only in the admin: enrolments and certificates change only through
the learning services; a certificate is only ever revoked, by an action."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.admin import ReadOnlyAdmin

from ..models import Certificate, Enrollment
from ..services.certificates import certificate_revoke
from .scoping import ScopedMixin


@admin.register(Enrollment)
class EnrollmentAdmin(ScopedMixin, ReadOnlyAdmin):
    """Enrolments and progress change only through the learning services."""

    list_display = ["user", "course", "progress_percent", "completed_at", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["user__email"]
    list_select_related = ["user", "course"]
    ordering = ["-pk"]  # the order the list already had, given to the search-as-you-type pages


@admin.register(Certificate)
class CertificateAdmin(ScopedMixin, admin.ModelAdmin):
    scope_field = "enrollment__course"
    list_display = ["code", "full_name", "course_title", "issued_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["code", "full_name"]
    fields = [
        "code",
        "full_name",
        "course_title",
        "issued_at",
        "enrollment",
        "revoked_at",
        "revoked_reason",
    ]
    # A certificate states what was true when it was issued; it is only ever revoked.
    readonly_fields = fields
    actions = ["revoke_certificates"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Revoke selected certificates"), permissions=["change"])
    def revoke_certificates(self, request, queryset):
        reason = _("Revoked by an administrator")
        revoked = 0
        with transaction.atomic():
            for certificate in queryset.filter(revoked_at__isnull=True).select_related(
                "enrollment"
            ):
                certificate_revoke(
                    certificate=certificate, reason=reason, actor=request.user, request=request
                )
                revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d certificate revoked.", "%(count)d certificates revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
