"""The one place that turns "who is asking" into the units they may see."""

from django.db.models import QuerySet

from units.models import Unit
from units.selectors import unit_subtree

from .models import Role, UnitRole, User

NATION_CODE = "VN"


def role_root_unit(*, user: User, role: str = Role.OFFICIAL) -> Unit | None:
    """The top unit a user's role reaches: the nation for a superuser, else their grant's unit."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Unit.objects.filter(code=NATION_CODE).first()
    grant = UnitRole.objects.filter(user=user, role=role).select_related("unit").first()
    return grant.unit if grant else None


def units_visible_to(*, user: User, role: str = Role.OFFICIAL) -> QuerySet[Unit]:
    """Every unit the user may see for this role: their unit's subtree, or nothing."""
    root = role_root_unit(user=user, role=role)
    if root is None:
        return Unit.objects.none()
    return unit_subtree(unit=root)


def unit_visible_to(*, user: User, unit: Unit, role: str = Role.OFFICIAL) -> bool:
    root = role_root_unit(user=user, role=role)
    return root is not None and unit.path.startswith(root.path)
