"""Admin labels that Django and the third-party apps leave in English whatever the language,
named here so they are translated (locale_src/admin.vi.po). Loaded after their own admin
modules (platform_app comes last in INSTALLED_APPS)."""

import django_celery_beat.models as beat_models
from allauth.mfa.models import Authenticator
from cron_descriptor import Options
from cron_descriptor import get_description as cron_description
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import PeriodicTaskAdmin

from accounts.admin.permissions import PermissionLabelsMixin, permission_label

# allauth's two-step verification: its model and fields have no translatable names.
Authenticator._meta.verbose_name = _("authenticator")
Authenticator._meta.verbose_name_plural = _("authenticators")
for _name, _label in {
    "user": _("user"),
    "type": _("type"),
    "data": _("data"),
    "created_at": _("created at"),
    "last_used_at": _("last used at"),
}.items():
    Authenticator._meta.get_field(_name).verbose_name = _label

# django-celery-beat: labels left untranslated, and the schedule descriptions of cron_descriptor
# in the page's language.
beat_models.PeriodicTask._meta.get_field("task").verbose_name = _("Task name")
beat_models.PeriodicTask.scheduler.fget.short_description = _("schedule")
beat_models.CrontabSchedule.human_readable.fget.short_description = _("in words")
PeriodicTaskAdmin.crontab_translation.short_description = _("in words")


def _cron_in_words(expression, options=None):
    options = options or Options()
    if get_language() == "vi":
        options.locale_code = "vi_VN"
        options.use_24hour_time_format = True
    return cron_description(expression, options)


beat_models.get_description = _cron_in_words

# Groups: permission names in the page's language.
admin.site.unregister(Group)


@admin.register(Group)
class TranslatedGroupAdmin(PermissionLabelsMixin, GroupAdmin):
    pass


# The links of many-to-many fields, listed when a group is deleted ("Group-permission
# relationship: Group_permissions object (55)").
User = get_user_model()
for _through, _singular, _plural, _label in (
    (
        Group.permissions.through,
        _("group permission"),
        _("group permissions"),
        lambda link: permission_label(link.permission),
    ),
    (
        User.groups.through,
        _("group membership"),
        _("group memberships"),
        lambda link: str(link.group),
    ),
    (
        User.user_permissions.through,
        _("user's own permission"),
        _("user's own permissions"),
        lambda link: permission_label(link.permission),
    ),
):
    _through._meta.verbose_name = _singular
    _through._meta.verbose_name_plural = _plural
    _through.__str__ = _label
