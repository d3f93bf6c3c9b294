"""The two role groups and the model permissions each grants, kept in step with the unit
roles (the lists are declared in courses.permissions)."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.models import Role, UnitRole, User

from ..permissions import (
    CONTENT_ADMIN_PERMISSIONS,
    CONTENT_ADMINS_GROUP,
    OFFICIAL_PERMISSIONS,
    OFFICIALS_GROUP,
)


@transaction.atomic
def roles_setup() -> dict[str, Group]:
    """Create or refresh the two role groups; idempotent.

    Every staff user holding a content-administrator unit role (the demo's author among them)
    joins "Content administrators", and every official joins "Officials".
    """
    wanted = {
        CONTENT_ADMINS_GROUP: CONTENT_ADMIN_PERMISSIONS,
        OFFICIALS_GROUP: OFFICIAL_PERMISSIONS,
    }
    groups = {}
    for name, codes in wanted.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = [_permission(code) for code in codes]
        group.permissions.set(permissions)
        groups[name] = group
    authors = UnitRole.objects.filter(role=Role.CONTENT_ADMIN, user__is_staff=True)
    groups[CONTENT_ADMINS_GROUP].user_set.add(*User.objects.filter(unit_roles__in=authors))
    officials = UnitRole.objects.filter(role=Role.OFFICIAL)
    groups[OFFICIALS_GROUP].user_set.add(*User.objects.filter(unit_roles__in=officials))
    return groups


def _permission(code: str) -> Permission:
    app_label, codename = code.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)
