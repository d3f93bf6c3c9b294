"""Messages in English, and the organisations learners of Hải Phòng and Hà Nội work at."""

import pytest
from django.utils import translation

from units.models import Unit
from units.services import unit_create


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def organisations(units):
    hai_phong, ha_noi = Unit.objects.get(code="31"), Unit.objects.get(code="01")
    unit_create(code="SO-KHCN-HP", name="Sở Khoa học và Công nghệ", kind="agency", parent=hai_phong)
    unit_create(
        code="DN-CANG-HP",
        name="Công ty Cổ phần Cảng Hải Phòng",
        kind="enterprise",
        parent=Unit.objects.get(code="11311"),
    )
    unit_create(
        code="THPT-HN-01",
        name="Trường THPT Phan Đình Phùng",
        kind="school",
        parent=Unit.objects.get(code="00004", parent=ha_noi),
    )
