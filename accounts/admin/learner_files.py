"""The learner files in the user admin: import (upload, dry run, confirm) and CSV export."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from audit.models import AuditAction
from audit.services import audit_record

from ..learner_files.columns import COLUMNS
from ..learner_files.export import learner_export_lines
from ..learner_files.importing import learner_import
from ..learner_files.limits import MAX_FILE_BYTES, MAX_ROWS, file_too_large
from ..learner_files.pending import (
    pending_upload_discard,
    pending_upload_keep,
    pending_upload_take,
)

ERRORS_SHOWN = 1000
IMPORT_TEMPLATE = "admin/accounts/user/import.html"
IMPORTED = ngettext_lazy(
    "%(count)d learner was imported. The invitation email is on its way.",
    "%(count)d learners were imported. Invitation emails are on their way.",
    "count",
)


class LearnerImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or Excel .xlsx)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("At most %(rows)s learners and %(size)d MB per file.") % {
            "rows": f"{MAX_ROWS:,}",
            "size": MAX_FILE_BYTES // (1024 * 1024),
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(file_too_large().messages[0])
        return upload


def _csv_response(lines, *, stem: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.csv"'
    return response


class LearnerFilesAdminMixin:
    """Import and export views for the user admin, which routes them and says who may import
    (has_import_permission)."""

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import_learners": self.has_import_permission(request),
            "can_export_learners": self.has_view_permission(request),
        }
        return super().changelist_view(request, extra_context)

    # Export ----------------------------------------------------------------------------------
    @admin.action(description=_("Export selected learners (CSV)"))
    def export_learners_csv(self, request, queryset):
        return self._learner_export(request, queryset)

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._learner_export(request, self.get_queryset(request))

    def _learner_export(self, request, queryset):
        audit_record(
            actor=request.user,
            action=AuditAction.EXPORT_DOWNLOADED,
            target_repr=_("Learner list (CSV)"),
            details={"kind": "learners", "rows": queryset.count()},
            request=request,
        )
        return _csv_response(learner_export_lines(queryset=queryset), stem="learners")

    # Import ----------------------------------------------------------------------------------
    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import learners"),
            "columns": COLUMNS,
            "errors_shown": ERRORS_SHOWN,
        }
        if request.method == "POST" and ("confirm" in request.POST or "cancel" in request.POST):
            return self._import_confirm(request, context)
        form = LearnerImportForm()
        if request.method == "POST":
            form = LearnerImportForm(request.POST, request.FILES)
            if form.is_valid():
                return self._import_check(request, context, form.cleaned_data["file"])
        context["form"] = form
        return TemplateResponse(
            request, IMPORT_TEMPLATE, context, status=400 if form.errors else 200
        )

    def _import_check(self, request, context, upload):
        """The dry run of an uploaded file, kept for the confirmation if every row is right."""
        pending_upload_discard(session=request.session)
        content = upload.read()
        report = learner_import(content=content, importer=request.user, dry_run=True)
        if report.ok:
            pending_upload_keep(session=request.session, content=content, name=upload.name)
        context.update(report=report, filename=upload.name, form=LearnerImportForm())
        # A file with errors is shown with them, as refused input (400).
        return TemplateResponse(request, IMPORT_TEMPLATE, context, status=200 if report.ok else 400)

    def _import_confirm(self, request, context):
        content, name = pending_upload_take(session=request.session)
        if "cancel" in request.POST:
            self.message_user(request, _("The import was cancelled."), messages.INFO)
            return redirect(reverse("admin:accounts_user_changelist"))
        if content is None:
            self.message_user(
                request,
                _("The uploaded file is no longer available. Upload it again."),
                messages.ERROR,
            )
            return redirect(reverse("admin:accounts_user_import"))
        report = learner_import(content=content, importer=request.user, dry_run=False)
        if report.ok:
            self.message_user(request, IMPORTED % {"count": report.created}, messages.SUCCESS)
            return redirect(reverse("admin:accounts_user_changelist"))
        context.update(report=report, filename=name, form=LearnerImportForm())
        return TemplateResponse(request, IMPORT_TEMPLATE, context, status=400)
