"""The one place that turns "who is asking" into the units they may see."""

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, QuerySet

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


def user_is_privileged(*, user: User) -> bool:
    """More rights than a learner: a unit role, the staff flag or superuser."""
    if user.is_superuser or user.is_staff:
        return True
    return UnitRole.objects.filter(user=user).exists()


def second_factor_required(*, user: User) -> bool:
    """Officials, content administrators, staff and superusers log in with a second factor."""
    return user.is_authenticated and user_is_privileged(user=user)


def learners_visible_to(*, user: User) -> QuerySet[User]:
    """The accounts a user may see and edit as learners. Superuser: everyone. Content
    administrator: plain learners (no role, not staff) whose home or workplace unit is in their
    subtree. Anyone else: nobody."""
    if not user.is_authenticated or not user.is_active:
        return User.objects.none()
    if user.is_superuser:
        return User.objects.all()
    root = role_root_unit(user=user, role=Role.CONTENT_ADMIN)
    if root is None or not user.is_staff:
        return User.objects.none()
    return User.objects.filter(
        Q(home_unit__path__startswith=root.path) | Q(workplace_unit__path__startswith=root.path),
        ~Exists(UnitRole.objects.filter(user=OuterRef("pk"))),
        is_superuser=False,
        is_staff=False,
    )


ROLES_TTL_S = 300


def roles_cache_key(user_id: int) -> str:
    return f"accounts:roles:{user_id}"


def user_roles(*, user: User) -> frozenset[str]:
    """The roles the user holds, for menus: from the cache, forgotten whenever a role changes
    (accounts.services). Access itself is always checked against the database."""
    if not user.is_authenticated:
        return frozenset()
    key = roles_cache_key(user.pk)
    roles = cache.get(key)
    if roles is None:
        roles = frozenset(UnitRole.objects.filter(user=user).values_list("role", flat=True))
        cache.set(key, roles, ROLES_TTL_S)
    return roles
