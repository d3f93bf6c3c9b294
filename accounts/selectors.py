"""The one place that turns "who is asking" into the units they may see."""

from django.core.cache import cache
from django.db.models import Exists, OuterRef, QuerySet

from units.models import Unit
from units.selectors import in_subtree, unit_is_within

from .models import COUNTED_UNIT_PATH, Role, UnitRole, User

NATION_CODE = "VN"


def role_root_unit(*, user: User, role: str = Role.OFFICIAL) -> Unit | None:
    """The top unit a user's role reaches: the nation for a superuser, else their grant's unit
    (a content administrator's only while they have staff rights)."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Unit.objects.filter(code=NATION_CODE).first()
    if role == Role.CONTENT_ADMIN and not user.is_staff:
        return None
    grant = UnitRole.objects.filter(user=user, role=role).select_related("unit").first()
    return grant.unit if grant else None


def scoped(
    queryset: QuerySet, *, user: User, role: str = Role.OFFICIAL, unit_path: str = "path"
) -> QuerySet:
    """The one scope rule: the rows of `queryset` whose unit (reached by the lookup
    `unit_path`, ending at a unit's materialized path) lies in the subtree the user's role
    reaches. The nation reaches every row; no grant, none."""
    root = role_root_unit(user=user, role=role)
    return scoped_to(queryset, root=root, unit_path=unit_path)


def scoped_to(queryset: QuerySet, *, root: Unit | None, unit_path: str = "path") -> QuerySet:
    """`scoped` for a root already looked up (pages that show the root too)."""
    if root is None:
        return queryset.none()
    if root.depth == 0:  # the nation: every row, no filter to pay for
        return queryset
    return in_subtree(queryset, root=root, unit_path=unit_path)


def units_visible_to(*, user: User, role: str = Role.OFFICIAL) -> QuerySet[Unit]:
    """Every unit the user may see for this role: their unit's subtree, or nothing."""
    return scoped(Unit.objects.all(), user=user, role=role)


def unit_visible_to(*, user: User, unit: Unit, role: str = Role.OFFICIAL) -> bool:
    root = role_root_unit(user=user, role=role)
    return root is not None and unit_is_within(unit=unit, root=root)


def user_is_privileged(*, user: User) -> bool:
    """More rights than a learner: a unit role, the staff flag or superuser."""
    if user.is_superuser or user.is_staff:
        return True
    return UnitRole.objects.filter(user=user).exists()


def second_factor_required(*, user: User) -> bool:
    """Officials, content administrators, staff and superusers log in with a second factor."""
    return user.is_authenticated and user_is_privileged(user=user)


def with_unit_path(queryset: QuerySet[User]) -> QuerySet[User]:
    """People with `unit_path`: the path of the unit they are counted under."""
    return queryset.alias(unit_path=COUNTED_UNIT_PATH)


def learners_visible_to(*, user: User) -> QuerySet[User]:
    """The accounts a user may see and edit as learners. Superuser: everyone. Content
    administrator: plain learners (no role, not staff) counted in their subtree. Anyone else:
    nobody."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return User.objects.all()
    learners = with_unit_path(User.objects.all()).filter(
        ~Exists(UnitRole.objects.filter(user=OuterRef("pk"))),
        is_superuser=False,
        is_staff=False,
    )
    return scoped(learners, user=user, role=Role.CONTENT_ADMIN, unit_path="unit_path")


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
