import pytest

from accounts.models import Role, UnitRole
from reports.models import ALL_COURSES, ALL_GROUPS, UnitStat
from tests.factories import UserFactory
from units.models import Unit

HAI_PHONG = "31"
COMMUNE_A = "11311"  # Phường Hồng Bàng
COMMUNE_B = "11560"  # Phường Thuỷ Nguyên


def official_of(code: str, **kwargs):
    user = UserFactory(audience_group="official", **kwargs)
    UnitRole.objects.create(user=user, role=Role.OFFICIAL, unit=Unit.objects.get(code=code))
    return user


def stat_create(code: str, *, course=ALL_COURSES, group=ALL_GROUPS, **counts) -> UnitStat:
    return UnitStat.objects.create(
        unit=Unit.objects.get(code=code), course_key=course, audience_group=group, **counts
    )


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
