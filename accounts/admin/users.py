from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import path, reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from units.models import COMMUNE_KINDS, ORGANISATION_KINDS, Unit

from ..models import Role, UnitRole, User
from ..selectors import learners_visible_to, units_visible_to, user_is_privileged
from ..services import account_rights_record, invitations_schedule, user_erase
from .learner_files import LearnerFilesAdminMixin
from .permissions import PermissionLabelsMixin

UNIT_KINDS_BY_FIELD = {"home_unit": COMMUNE_KINDS, "workplace_unit": ORGANISATION_KINDS}
ERASED = ngettext_lazy(
    "%(count)d account was erased; its learning records stay, under no name.",
    "%(count)d accounts were erased; their learning records stay, under no name.",
    "count",
)
INVITATIONS_QUEUED = ngettext_lazy(
    "%(count)d invitation will be sent.",
    "%(count)d invitations will be sent.",
    "count",
)


def _is_content_admin(request) -> bool:
    if not hasattr(request, "_accounts_is_content_admin"):
        request._accounts_is_content_admin = (
            request.user.is_active
            and request.user.is_staff
            and UnitRole.objects.filter(user=request.user, role=Role.CONTENT_ADMIN).exists()
        )
    return request._accounts_is_content_admin


def _units_for_learners(*, user, kinds) -> QuerySet[Unit]:
    """Units a learner's home or workplace may be set to by this administrator."""
    units = Unit.objects.filter(kind__in=kinds)
    if user.is_superuser:
        return units
    return units.filter(pk__in=units_visible_to(user=user, role=Role.CONTENT_ADMIN).values("pk"))


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


class PasswordChangeForm(AdminPasswordChangeForm):
    # Django joins this help text when it loads, in the default language, with an English tail.
    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


@admin.register(User)
class UserAdmin(PermissionLabelsMixin, LearnerFilesAdminMixin, DjangoUserAdmin):
    """Superusers manage every account. A content administrator manages the plain learners of
    their unit's subtree: never an account with a role or staff rights, never outside it."""

    change_password_form = PasswordChangeForm

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

    def has_erase_permission(self, request):
        return request.user.is_active and request.user.is_superuser

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
        views = [
            ("unit-autocomplete/", self.unit_autocomplete_view, "unit_autocomplete"),
            ("import/", self.import_view, "import"),
            ("export/", self.export_view, "export"),
        ]
        return [
            path(route, self.admin_site.admin_view(view), name="{}_{}_{}".format(*info, suffix))
            for route, view, suffix in views
        ] + super().get_urls()

    def unit_autocomplete_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return LearnerUnitAutocompleteView.as_view(admin_site=self.admin_site)(request)

    # Actions (the export action is LearnerFilesAdminMixin's) ----------------------------------
    @admin.action(
        description=_("Erase the personal data of the selected accounts (right to erasure)"),
        permissions=["erase"],
    )
    def erase_personal_data(self, request, queryset):
        with transaction.atomic():
            people = list(queryset.exclude(pk=request.user.pk))
            for person in people:
                user_erase(user=person, actor=request.user, request=request)
        self.message_user(request, ERASED % {"count": len(people)}, messages.SUCCESS)

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
        self.message_user(request, INVITATIONS_QUEUED % {"count": len(ids)}, messages.SUCCESS)
