from django.contrib import admin
from django.db import transaction

from ..models import UnitRole
from ..services import unit_role_grant, unit_role_revoke


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
