"""A city official, a course and a commune with three organisations: the report pages' data."""

import pytest

from tests.courses.factories import course_build
from tests.reports.factories import COMMUNE_A, HAI_PHONG, official_of, stat_create
from units.models import Unit
from units.services import unit_create


@pytest.fixture
def official(units):
    return official_of(HAI_PHONG, full_name="Cán bộ Hải Phòng")


@pytest.fixture
def course(units):
    return course_build(title="An toàn trên mạng")


@pytest.fixture
def three_children(units):
    """A commune with three organisations under it, ranked differently by each measure."""
    commune = Unit.objects.get(code=COMMUNE_A)
    made = {}
    for code, name, kind in [
        ("HB-SCHOOL", "Trường THCS Hồng Bàng", "school"),
        ("HB-AGENCY", "UBND phường Hồng Bàng", "agency"),
        ("HB-FIRM", "Công ty Cảng Hải Phòng", "enterprise"),
    ]:
        made[code] = unit_create(code=code, name=name, kind=kind, parent=commune)
    stat_create(
        "HB-SCHOOL", learners=50, enrolled=40, completed=10, target=20, target_completed=10
    )  # 25%, 50%
    stat_create(
        "HB-AGENCY", learners=30, enrolled=20, completed=18, target=100, target_completed=18
    )  # 90%, 18%
    stat_create("HB-FIRM", learners=90, enrolled=80, completed=40)  # 50%, no target
    return made
