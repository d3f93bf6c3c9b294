"""Two provinces, their content administrators and a course each: the authoring fixtures of
every test of the courses app."""

import io
import zipfile
from types import SimpleNamespace

import pytest

from accounts.models import User
from courses.models import Choice, Course, Lesson, Module, Question
from tests.accounts.factories import client_for
from tests.courses.factories import author_create, course_owned
from units.services import unit_create


@pytest.fixture
def provinces(db):
    """The nation, Hải Phòng (31) and Hà Nội (01), one ward each: enough tree for scoping."""
    nation = unit_create(code="VN", name="Việt Nam", kind="nation", parent=None)
    hai_phong = unit_create(code="31", name="Thành phố Hải Phòng", kind="city", parent=nation)
    ha_noi = unit_create(code="01", name="Thành phố Hà Nội", kind="city", parent=nation)
    hp_ward = unit_create(code="11560", name="Phường Hồng Bàng", kind="ward", parent=hai_phong)
    hn_ward = unit_create(code="00004", name="Phường Ba Đình", kind="ward", parent=ha_noi)
    return SimpleNamespace(
        nation=nation, hai_phong=hai_phong, ha_noi=ha_noi, hp_ward=hp_ward, hn_ward=hn_ward
    )


@pytest.fixture
def hp_author(provinces):
    return author_create(unit=provinces.hai_phong, email="quantri.haiphong@example.com")


@pytest.fixture
def hn_author(provinces):
    return author_create(unit=provinces.ha_noi, email="quantri.hanoi@example.com")


@pytest.fixture
def hp_client(hp_author):
    return client_for(hp_author)


@pytest.fixture
def hn_client(hn_author):
    return client_for(hn_author)


@pytest.fixture
def superuser_client(provinces):
    superuser = User.objects.create_superuser(
        email="quan-tri@example.com", password="x", full_name="Quản trị viên"
    )
    return client_for(superuser)


@pytest.fixture
def hp_course(provinces):
    return course_owned(provinces.hai_phong, title="An toàn mạng Hải Phòng", slug="an-toan-hp")


@pytest.fixture
def hn_course(provinces):
    return course_owned(provinces.ha_noi, title="Dịch vụ công Hà Nội", slug="dich-vu-cong-hn")


# Course archives ---------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    """An empty media storage of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def nothing_built(monkeypatch):
    """Cleaning any model object fails the test: the archive must be refused before that."""

    def built(instance, *args, **kwargs):
        raise AssertionError(
            f"a {type(instance).__name__} was built before the limits were checked"
        )

    for model in (Course, Module, Lesson, Question, Choice):
        monkeypatch.setattr(model, "full_clean", built)


@pytest.fixture(scope="session")
def gigabyte_of_zeros() -> bytes:
    """A zip of about 1 MB holding one member that unpacks to 1 GiB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("media/courses/zeros.png", "w", force_zip64=True) as member:
            for _n in range(1024):
                member.write(bytes(2**20))
    return buffer.getvalue()
