"""Officials and the statistics rows their report pages read."""

from accounts.models import Role, UnitRole
from reports.models import ALL_COURSES, ALL_GROUPS, UnitStat
from tests.accounts.factories import UserFactory
from units.models import Unit

HAI_PHONG = "31"
COMMUNE_A = "11311"  # Phường Hồng Bàng
COMMUNE_B = "11560"  # Phường Thuỷ Nguyên


def official_of(code: str, **kwargs):
    """An official whose reports scope is the unit `code` and its subtree."""
    user = UserFactory(audience_group="official", **kwargs)
    UnitRole.objects.create(user=user, role=Role.OFFICIAL, unit=Unit.objects.get(code=code))
    return user


def stat_create(code: str, *, course=ALL_COURSES, group=ALL_GROUPS, **counts) -> UnitStat:
    """A figure as the statistics engine stores it, for the unit `code`'s subtree."""
    return UnitStat.objects.create(
        unit=Unit.objects.get(code=code), course_key=course, audience_group=group, **counts
    )
