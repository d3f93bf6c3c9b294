"""Permission names as the admin shows them: Django stores them in English ("Can add
course"); these labels follow the page's language."""

from django.apps import apps
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _

ACTIONS = {"add": _("Add"), "change": _("Change"), "delete": _("Delete"), "view": _("View")}


def permission_label(permission) -> str:
    action = permission.codename.split("_", 1)[0]
    model = permission.content_type.model_class()
    if action not in ACTIONS or model is None:
        return permission.name
    section = apps.get_app_config(model._meta.app_label).verbose_name
    return f"{section} | {model._meta.verbose_name} | {ACTIONS[action]}"


class PermissionLabelsMixin:
    """For a model admin whose form chooses permissions (users, groups)."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and db_field.related_model is Permission:
            formfield.label_from_instance = permission_label
        return formfield
