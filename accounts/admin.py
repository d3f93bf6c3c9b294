import os
import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.models import AuditAction
from audit.services import audit_record
from units.models import COMMUNE_KINDS, ORGANISATION_KINDS, Unit

from .imports import (
    COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    learner_export_lines,
    learner_import,
)
from .models import Role, UnitRole, User
from .selectors import learners_visible_to, units_visible_to, user_is_privileged
from .services import (
    account_rights_record,
    invitations_schedule,
    unit_role_grant,
    unit_role_revoke,
    user_erase,
)

PENDING_IMPORT_SESSION_KEY = "accounts_learner_import"
PENDING_IMPORT_MAX_AGE = 24 * 3600
ERRORS_SHOWN = 1000
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


# An uploaded file waits here between the dry run and the confirmation: outside MEDIA_ROOT,
# readable by this process only, named by a random token kept in the uploader's session.
def pending_import_dir() -> Path:
    directory = Path(
        getattr(settings, "LEARNER_IMPORT_DIR", None) or Path(settings.VAR_DIR) / "learner-imports"
    )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def pending_import_save(content: bytes) -> str:
    directory = pending_import_dir()
    cutoff = time.time() - PENDING_IMPORT_MAX_AGE
    for stale in directory.iterdir():  # files of imports never confirmed nor cancelled
        if stale.is_file() and stale.stat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)
    token = secrets.token_urlsafe(32)
    descriptor = os.open(directory / token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    return token


def pending_import_read(token: str) -> bytes | None:
    if not _TOKEN.match(token or ""):
        return None
    try:
        return (pending_import_dir() / token).read_bytes()
    except FileNotFoundError:
        return None


def pending_import_delete(token: str) -> None:
    if _TOKEN.match(token or ""):
        (pending_import_dir() / token).unlink(missing_ok=True)


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
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB. Split it into smaller files.")
                % {"size": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


def _is_content_admin(request) -> bool:
    if not hasattr(request, "_accounts_is_content_admin"):
        request._accounts_is_content_admin = (
            request.user.is_active
            and request.user.is_staff
            and UnitRole.objects.filter(user=request.user, role=Role.CONTENT_ADMIN).exists()
        )
    return request._accounts_is_content_admin


def _csv_response(lines, *, stem: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.csv"'
    return response


def _units_for_learners(*, user, kinds) -> QuerySet[Unit]:
    """Units a learner's home or workplace may be set to by this administrator."""
    units = Unit.objects.filter(kind__in=kinds)
    if user.is_superuser:
        return units
    return units.filter(pk__in=units_visible_to(user=user, role=Role.CONTENT_ADMIN).values("pk"))


UNIT_KINDS_BY_FIELD = {"home_unit": COMMUNE_KINDS, "workplace_unit": ORGANISATION_KINDS}


class LearnerUnitAutocompleteSelect(AutocompleteSelect):
    """Search-as-you-type answered by LearnerUnitAutocompleteView: the administrator's units."""

    def get_url(self):
        return reverse(f"{self.admin_site.name}:accounts_user_unit_autocomplete")


class LearnerUnitAutocompleteView(AutocompleteJsonView):
    def get_queryset(self):
        queryset = super().get_queryset()
        kinds = UNIT_KINDS_BY_FIELD.get(self.source_field.name)
        if queryset.model is not Unit or kinds is None:
            return queryset.none()
        return queryset.filter(pk__in=_units_for_learners(user=self.request.user, kinds=kinds))


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Superusers manage every account. A content administrator manages the plain learners of
    their unit's subtree: never an account with a role or staff rights, never outside it."""

    ordering = ["email"]
    list_display = ["email", "full_name", "audience_group", "home_unit", "is_staff", "is_active"]
    list_filter = ["audience_group", "is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "full_name", "phone"]
    list_select_related = ["home_unit"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            _("Profile"),
            {"fields": ["full_name", "audience_group", "home_unit", "workplace_unit", "phone"]},
        ),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]}),
        (
            _("Profile"),
            {"fields": ["audience_group", "home_unit", "workplace_unit", "phone"]},
        ),
    ]
    actions = ["export_learners_csv", "send_invitations", "erase_personal_data"]
    change_list_template = "admin/accounts/user/change_list.html"

    # Scope: a content administrator works on the learners of their unit's subtree only.
    def get_queryset(self, request):
        return super().get_queryset(request) & learners_visible_to(user=request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:  # out of scope looks exactly like missing
            raise Http404
        return obj

    def has_module_permission(self, request):
        return super().has_module_permission(request) or _is_content_admin(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or _is_content_admin(request)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and user_is_privileged(user=obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        """Accounts are erased (anonymised), never deleted: their learning records stay."""
        return False

    def has_import_permission(self, request):
        """Import learners: superusers and content administrators (staff with the role)."""
        user = request.user
        return (
            user.is_active and user.is_staff and (user.is_superuser or _is_content_admin(request))
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:  # nobody raises their own or anyone's privileges
            readonly += ["is_staff", "is_superuser", "groups", "user_permissions"]
        return readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kinds = UNIT_KINDS_BY_FIELD.get(db_field.name)
        if kinds is not None:
            kwargs["queryset"] = _units_for_learners(user=request.user, kinds=kinds)
            kwargs["widget"] = LearnerUnitAutocompleteSelect(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        rights = [name for name in ("is_staff", "is_superuser") if name in form.changed_data]
        if rights:
            account_rights_record(
                user=obj,
                changes={name: getattr(obj, name) for name in rights},
                actor=request.user,
                request=request,
            )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "groups" in form.changed_data:
            account_rights_record(
                user=form.instance,
                changes={"groups": sorted(g.name for g in form.instance.groups.all())},
                actor=request.user,
                request=request,
            )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not request.user.is_superuser and "home_unit" in form.base_fields:
            # Every account an administrator makes or keeps sits in their scope.
            form.base_fields["home_unit"].required = True
            form.base_fields["audience_group"].required = True
        return form

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "unit-autocomplete/",
                self.admin_site.admin_view(self.unit_autocomplete_view),
                name="{}_{}_unit_autocomplete".format(*info),
            ),
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="{}_{}_import".format(*info),
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
        ] + super().get_urls()

    def unit_autocomplete_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return LearnerUnitAutocompleteView.as_view(admin_site=self.admin_site)(request)

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

    @admin.action(
        description=_("Erase the personal data of the selected accounts (right to erasure)"),
        permissions=["erase"],
    )
    def erase_personal_data(self, request, queryset):
        with transaction.atomic():
            people = list(queryset.exclude(pk=request.user.pk))
            for person in people:
                user_erase(user=person, actor=request.user, request=request)
        self.message_user(
            request,
            ngettext(
                "%(count)d account was erased; its learning records stay, under no name.",
                "%(count)d accounts were erased; their learning records stay, under no name.",
                len(people),
            )
            % {"count": len(people)},
            messages.SUCCESS,
        )

    def has_erase_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    @admin.action(
        description=_("Send the invitation email to selected learners not yet invited"),
        permissions=["import"],
    )
    def send_invitations(self, request, queryset):
        ids = list(
            queryset.filter(
                invited_at__isnull=True, is_active=True, password__startswith="!"
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: invitations_schedule(user_ids=ids), robust=True)
        self.message_user(
            request,
            ngettext(
                "%(count)d invitation will be sent.",
                "%(count)d invitations will be sent.",
                len(ids),
            )
            % {"count": len(ids)},
            messages.SUCCESS,
        )

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
        pending = request.session.get(PENDING_IMPORT_SESSION_KEY) or {}
        if request.method == "POST" and ("confirm" in request.POST or "cancel" in request.POST):
            request.session.pop(PENDING_IMPORT_SESSION_KEY, None)
            content = pending_import_read(pending.get("token", ""))
            pending_import_delete(pending.get("token", ""))
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
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d learner was imported. The invitation email is on its way.",
                        "%(count)d learners were imported. Invitation emails are on their way.",
                        report.created,
                    )
                    % {"count": report.created},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:accounts_user_changelist"))
            context.update(
                report=report, filename=pending.get("name", ""), form=LearnerImportForm()
            )
            return TemplateResponse(request, "admin/accounts/user/import.html", context)

        if request.method == "POST":
            form = LearnerImportForm(request.POST, request.FILES)
            if form.is_valid():
                if pending:
                    pending_import_delete(pending.get("token", ""))
                upload = form.cleaned_data["file"]
                content = upload.read()
                report = learner_import(content=content, importer=request.user, dry_run=True)
                if report.ok:
                    request.session[PENDING_IMPORT_SESSION_KEY] = {
                        "token": pending_import_save(content),
                        "name": upload.name,
                    }
                else:
                    request.session.pop(PENDING_IMPORT_SESSION_KEY, None)
                context.update(report=report, filename=upload.name, form=LearnerImportForm())
                return TemplateResponse(request, "admin/accounts/user/import.html", context)
        else:
            form = LearnerImportForm()
        context["form"] = form
        return TemplateResponse(request, "admin/accounts/user/import.html", context)


@admin.register(UnitRole)
class UnitRoleAdmin(admin.ModelAdmin):
    """Grants and removals go through accounts.services, which writes them to the audit log."""

    list_display = ["user", "role", "unit", "granted_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__full_name", "unit__name", "unit__code"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]

    def save_model(self, request, obj, form, change):
        if change:
            old = UnitRole.objects.select_related("user", "unit").get(pk=obj.pk)
            if (old.user_id, old.role) != (obj.user_id, obj.role):
                unit_role_revoke(grant=old, actor=request.user, request=request)
        grant = unit_role_grant(
            user=obj.user, role=obj.role, unit=obj.unit, actor=request.user, request=request
        )
        obj.pk, obj.granted_at = grant.pk, grant.granted_at

    def delete_model(self, request, obj):
        unit_role_revoke(grant=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for grant in queryset.select_related("user", "unit"):
                unit_role_revoke(grant=grant, actor=request.user, request=request)
