from django.contrib import admin

from . import services
from .forms import UnitAdminForm
from .models import Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    form = UnitAdminForm
    list_display = ["name", "code", "kind", "parent", "path"]
    list_filter = ["kind"]
    search_fields = ["name", "code", "path"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth"]
    list_select_related = ["parent"]

    def get_readonly_fields(self, request, obj=None):
        # The code is part of every descendant's path: fixed once created.
        return [*self.readonly_fields, "code"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.unit_update(
                unit=obj, name=data["name"], kind=data["kind"], parent=data["parent"]
            )
        else:
            created = services.unit_create(
                code=data["code"], name=data["name"], kind=data["kind"], parent=data["parent"]
            )
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth
